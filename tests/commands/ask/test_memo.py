"""The memo of understood questions: a repeat is not interpreted again, and any change it
depends on (the market cache, the server's baskets, the day, the question followed up)
gives a fresh interpretation. Counted by spying on the real interpreter, not by timing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from analytics.data.sources.csvdir import CsvFolderSource
from analytics.services import Services
from commands.ask import Refusal, Understood
from commands.ask import command as ask_command
from commands.ask.frame import Frame
from commands.ask.memo import UnderstoodMemo
from commands.spec import Context
from tests.real_data import MARKET_DATA
from tests.source_doubles import Clock

QUESTION = "how did the titans do vs the mag 7 from 2024-12-31 to 2025-03-07?"


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every question the real interpreter was run on."""
    seen: list[str] = []
    real = ask_command.interpret_searching

    def spy(question: str, **kwargs: object) -> object:
        seen.append(question)
        return real(question, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ask_command, "interpret_searching", spy)
    yield seen


def ctx(services: Services, guild: int = 1) -> Context:
    return Context(services, guild_id=guild, user_id=1, channel_id=9_100_001, want_image=False)


def understood(services: Services, question: str = QUESTION, guild: int = 1) -> object:
    return ask_command.understand(ctx(services, guild), question, search=True)


def test_a_repeat_is_taken_from_the_memo(services: Services, calls: list[str]) -> None:
    first = understood(services)
    assert isinstance(first, Understood)
    again = understood(services)
    assert again == first and calls == [QUESTION]
    assert ask_command.understood_memo(services.cache).hits == 1


def test_a_write_to_the_market_cache_interprets_again(services: Services, calls: list[str]) -> None:
    understood(services)
    services.cache.record_symbol_error("ZZZZ", "not_found", "no such symbol", datetime.now(UTC))
    understood(services)
    assert calls == [QUESTION, QUESTION]


def test_other_basket_names_interpret_again(services: Services, calls: list[str]) -> None:
    understood(services, guild=1)
    understood(services, guild=2)  # no baskets either: the same names, the same meaning
    assert len(calls) == 1
    # A server with a basket of that name may read the question otherwise: interpreted
    # again (a server-store write does not touch the market cache: the names are the key).
    services.baskets.create(2, "titans", ["AAPL", "MSFT"], 1, datetime.now(UTC))
    understood(services, guild=2)
    assert len(calls) == 2
    understood(services, guild=1)
    assert len(calls) == 2  # guild 1's names did not change


def test_refusals_are_not_kept(services: Services, calls: list[str]) -> None:
    assert isinstance(understood(services, "what's the weather"), Refusal)
    assert isinstance(understood(services, "what's the weather"), Refusal)
    assert calls == ["what's the weather", "what's the weather"]


def test_two_caches_never_share_answers(tmp_path: Path, calls: list[str]) -> None:
    built = [
        Services.open(
            tmp_path / f"c{i}.sqlite3",
            tmp_path / f"s{i}.sqlite3",
            CsvFolderSource(MARKET_DATA),
            clock=Clock(datetime(2025, 3, 10, 12, tzinfo=UTC)),
        )
        for i in range(2)
    ]
    try:
        for s in built:
            understood(s)
    finally:
        for s in built:
            s.close()
    assert calls == [QUESTION, QUESTION]  # same version number, other file: not a hit


def test_the_key_holds_the_day_and_the_question_followed_up() -> None:
    memo = UnderstoodMemo(size=2)
    day = date(2025, 3, 10)
    a = UnderstoodMemo.key("q", day, frozenset(), None)
    b = UnderstoodMemo.key("q", date(2025, 3, 11), frozenset(), None)
    c = UnderstoodMemo.key("q", day, frozenset(), Frame(intent="returns"))
    assert len({a, b, c}) == 3
    outcome = Understood.__new__(Understood)
    memo.put(a, 1, outcome)
    memo.put(b, 1, outcome)
    memo.put(c, 1, outcome)  # size 2: the least recent (a) goes
    assert memo.get(a, 1) is None and memo.get(b, 1) is outcome and memo.get(c, 1) is outcome
    assert memo.get(b, 2) is None and len(memo) == 1  # another version: dropped
