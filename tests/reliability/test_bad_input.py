"""Bad input: arbitrary text in every option of every command, through the path Discord
uses (``commands.parse.convert_options`` then ``commands.registry.execute``).

Promise: no exception escapes; every reply is an answer or a clear error under 2000
characters (never "something went wrong", which would mean bad input crashed a command);
a refused command writes nothing, checked after every refusal and counted: the server store
(users' data) sees no commit at all (SQLite's ``PRAGMA data_version``, bumped by any commit
of another connection) and its users' tables are unchanged; the market cache sees no commit
either unless the source was asked (an "unknown symbol" answer is recorded there).

Commands come from ``commands.registry.COMMANDS``, so commands added later are fuzzed too.
The named cases (dates, SQL, markdown, mentions, zero-width and right-to-left characters,
10,000 characters, preset and case collisions, 26 members, unknown time zones) are in
``test_bad_input_cases.py``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.data.sources.csvdir import CsvFolderSource
from analytics.errors import UserInputError
from analytics.services import Services
from commands.parse import convert_options
from commands.registry import COMMANDS, execute
from commands.reply import Reply
from commands.spec import CommandSpec, Context, flatten
from tests.conftest import FIXED_NOW
from tests.real_data import MARKET_DATA
from tests.reliability import figures
from tests.reliability.helpers import (
    check_reply,
    user_state,
    valid_values,
)
from tests.source_doubles import Clock, RecordingSource

ALL_COMMANDS = flatten(COMMANDS)
GUILD = 4242
CHANNEL = 4243

#: Hand-picked nasty strings, mixed into the generated ones.
NASTY: tuple[str, ...] = (
    "",
    " ",
    "\t\n",
    "0000-00-00",
    "9999-12-31",
    "2025-02-30",
    "2025-13-01",
    "1969-12-31",
    "-1",
    "-99999999999999999999",
    "99999999999999999999999999999999",
    "1e309",
    "NaN",
    "-inf",
    "AAPL'; DROP TABLE baskets;--",
    "' OR '1'='1",
    'x"); DELETE FROM bars; --',
    "**AAPL**",
    "`mag7`",
    "```",
    "||spoiler||",
    "@everyone",
    "@here",
    "<@1300000000000000003>",
    "<#1300000000000000011>",
    "<@&1>",
    "AA\u200bPL",
    "\u200b",
    "\ufeffmag7",
    "\u202eLPAA",
    "\u2066mag7\u2069",
    "\u202e1y",
    "A" * 10_000,
    "AAPL," * 2_000,
    ",".join(f"S{i}" for i in range(26)),
    "mag7",
    "MAG7",
    " Mag7 ",
    "china-titans,mag7",
    "../../etc/passwd",
    "%",
    "_",
    "\\",
    "\x00",
    "Ａ",
    "ß",
    "ı",
    "Europe/Atlantis",
    "Mars/Olympus_Mons",
    "25:61",
    "0700.hk",
    "HKD=X",
    "^HSI",
    ",,,",
)

_FUZZ = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="ascii"), max_size=24),
    st.from_regex(r"[A-Za-z0-9.^=\-, ]{0,30}", fullmatch=True),
    st.integers().map(str),
    st.floats().map(str),
)


class CountingSource(RecordingSource):
    """A :class:`RecordingSource` that also counts ``fetch_info`` (fundamentals) calls."""

    def __init__(self, inner: CsvFolderSource) -> None:
        super().__init__(inner)
        self.info_calls = 0

    def fetch_info(self, symbol: str) -> dict[str, Any] | None:
        self.info_calls += 1
        return super().fetch_info(symbol)

    def asked(self) -> int:
        return len(self.calls) + self.info_calls


@dataclass(frozen=True)
class Before:
    """What a refusal is compared with: users' tables, each file's commits, source calls."""

    users: dict[str, tuple[int, str]]
    cache_version: int
    store_version: int
    asked: int


@dataclass
class Fuzzed:
    services: Services
    source: CountingSource
    #: The server store (users' data).
    db: Path
    #: Connections to the market cache and to the server store, in that order.
    watchers: list[sqlite3.Connection]

    def data_version(self) -> list[int]:
        """Each file's ``PRAGMA data_version``: it changes when another connection commits."""
        return [w.execute("PRAGMA data_version").fetchone()[0] for w in self.watchers]

    def before(self) -> Before:
        cache_version, store_version = self.data_version()
        return Before(user_state(self.db), cache_version, store_version, self.source.asked())

    def assert_refusal_wrote_nothing(self, before: Before, what: str) -> None:
        """Checked after every refusal, whatever the command asked the source:

        * the server store saw no commit at all, and its users' tables are unchanged;
        * the market cache saw no commit unless the source was asked (then it may have
          recorded the answer: "unknown symbol", or prices fetched before the refusal).
        """
        cache_version, store_version = self.data_version()
        assert store_version == before.store_version, f"{what}: committed to the server store"
        assert user_state(self.db) == before.users, f"{what}: changed users' tables"
        if self.source.asked() == before.asked:
            assert cache_version == before.cache_version, (
                f"{what}: committed to the market cache without asking the source"
            )
        figures.add("bad_input.refusals_checked_nothing_written")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    folder = tmp_path_factory.mktemp("fuzz")
    cache, db = folder / "cache.sqlite3", folder / "marketbot.sqlite3"
    source = CountingSource(CsvFolderSource(MARKET_DATA))
    services = Services.open(cache, db, source, clock=Clock(FIXED_NOW))
    # A server basket, so basket commands have something to add to, show and remove from.
    services.baskets.create(GUILD, "evs", ["TSLA", "1211.HK"], 1, FIXED_NOW)
    watchers = [sqlite3.connect(path, isolation_level=None) for path in (cache, db)]
    yield Fuzzed(services, source, db, watchers)
    for watcher in watchers:
        watcher.close()
    services.close()


def run_like_discord(fz: Fuzzed, spec: CommandSpec, full_name: str, raw: dict[str, Any]) -> Reply:
    """What bot.runner does with the options of an interaction, minus Discord."""
    try:
        options = convert_options(spec, raw)
    except UserInputError as exc:
        return Reply.error(str(exc))
    ctx = Context(fz.services, guild_id=GUILD, user_id=7, channel_id=CHANNEL, can_manage=True)
    return execute(spec, ctx, options, full_name)


def check_one(fz: Fuzzed, spec: CommandSpec, full_name: str, raw: dict[str, Any]) -> str:
    """Run one invocation and check the promises; returns "answer" or "refused"."""
    before = fz.before()
    reply = run_like_discord(fz, spec, full_name, raw)
    outcome = check_reply(reply)
    figures.add("bad_input.cases")
    figures.add(f"bad_input.{outcome}")
    if outcome == "refused":
        what = f"/{full_name} {raw!r} was refused ({reply.description[:120]})"
        fz.assert_refusal_wrote_nothing(before, what)
    return outcome


def _raw_strategy(spec: CommandSpec) -> st.SearchStrategy[dict[str, Any]]:
    """Options of one invocation: at least one fuzzed; the others valid, or absent."""
    names = [o.name for o in spec.options]

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        if not names:
            return {draw(st.sampled_from(["target", "x", "period"])): draw(_FUZZ)}
        fuzzed = draw(st.sets(st.sampled_from(names), min_size=1, max_size=len(names)))
        raw: dict[str, Any] = {}
        for option in spec.options:
            if option.name in fuzzed:
                raw[option.name] = draw(_FUZZ)
                continue
            valid = st.sampled_from(valid_values(option, CHANNEL))
            value = draw(valid if option.required else st.one_of(st.none(), valid))
            if value is not None:
                raw[option.name] = value
        return raw

    return build()


def _ids() -> list[str]:
    return [name.replace(" ", "-") for name, _ in ALL_COMMANDS]


_FAST = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize(("full_name", "spec"), ALL_COMMANDS, ids=_ids())
@_FAST
@given(data=st.data())
def test_arbitrary_text_in_every_option(
    fuzzed: Fuzzed, full_name: str, spec: CommandSpec, data: st.DataObject
) -> None:
    raw = data.draw(_raw_strategy(spec), label="options")
    check_one(fuzzed, spec, full_name, raw)


@pytest.mark.soak
@pytest.mark.parametrize(("full_name", "spec"), ALL_COMMANDS, ids=_ids())
@settings(_FAST, max_examples=400)
@given(data=st.data())
def test_arbitrary_text_in_every_option_soak(
    fuzzed: Fuzzed, full_name: str, spec: CommandSpec, data: st.DataObject
) -> None:
    raw = data.draw(_raw_strategy(spec), label="options")
    check_one(fuzzed, spec, full_name, raw)


def test_every_option_gets_every_nasty_string(fuzzed: Fuzzed) -> None:
    """Each hand-picked string in each option alone (the others valid): nothing is left to
    chance for the cases named in the issue."""
    tried = 0
    answered: set[tuple[str, str]] = set()
    for full_name, spec in ALL_COMMANDS:
        base = {o.name: valid_values(o, CHANNEL)[0] for o in spec.options if o.required}
        for option in spec.options:
            for value in NASTY:
                raw = base | {option.name: value}
                try:  # a blank value is no value: skip repeats of the same valid question
                    key = (full_name, repr(sorted(convert_options(spec, raw).items())))
                except UserInputError:
                    key = None
                if key in answered:
                    continue
                if key is not None:
                    answered.add(key)
                check_one(fuzzed, spec, full_name, raw)
                tried += 1
    assert tried >= len(NASTY)  # at least one command has options
