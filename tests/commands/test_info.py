"""commands.info: /help's text from a list it is given, and /about's facts about the
running bot (version, source, cache contents, uptime) on a real cache."""

from __future__ import annotations

from datetime import date
from importlib import metadata

from analytics.services import Services
from commands.info import help_reply, run_about
from commands.reply import Reply
from commands.spec import CommandSpec, Context, GroupSpec
from tests.real_data import rows
from tests.source_doubles import Clock


def answer(ctx: Context, options: dict) -> Reply:
    return Reply(title="ok")


def test_help_shows_each_command_its_description_and_example() -> None:
    specs = [
        CommandSpec("quote", "Last close", answer, example="/quote symbol:AAPL"),
        GroupSpec("basket", "Baskets", (CommandSpec("list", "Every basket", answer),)),
    ]
    reply = help_reply(specs)
    assert reply.description.splitlines() == [
        "**/quote** — Last close",
        "`/quote symbol:AAPL`",
        "**/basket list** — Every basket",
        "`/basket list`",  # no example given: the command itself
    ]
    assert reply.data["commands"][1] == {
        "command": "basket list", "description": "Every basket", "example": "",
    }  # fmt: skip
    assert reply.ephemeral


def test_help_fits_an_embed_description_however_many_commands() -> None:
    many = [CommandSpec(f"c{i}", "x" * 90, answer, example=f"/c{i}") for i in range(80)]
    reply = help_reply(many)
    assert len(reply.description) == 4000
    assert len(reply.data["commands"]) == 80  # --json still lists them all


def test_about_reports_version_source_cache_and_uptime(services: Services) -> None:
    clock = services.clock
    assert isinstance(clock, Clock)
    empty = run_about(Context(services), {})
    fields = {f.name: f.value for f in empty.fields}
    assert fields["Version"] == metadata.version("marketbot")
    assert fields["Data source"] == "CSV folder"
    assert fields["Cache"] == "0 symbols, 0 bars; empty cache"
    assert fields["Uptime"] == "0h 0m"

    services.market.history(["AAPL", "MSFT"], date(2025, 1, 2), date(2025, 3, 7))
    bars = sum(
        1 for s in ("AAPL", "MSFT") for day, _ in rows(s) if "2025-01-02" <= day <= "2025-03-07"
    )
    clock.advance(days=1, hours=2, minutes=5)
    later = run_about(Context(services), {})
    fields = {f.name: f.value for f in later.fields}
    assert fields["Cache"] == f"2 symbols, {bars:,} bars; last fetch 1d 2h 5m ago"
    assert fields["Uptime"] == "1d 2h 5m"
    assert later.data["uptime_seconds"] == 26 * 3600 + 5 * 60
