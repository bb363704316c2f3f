"""``ask()`` (commands.ask.command) on real Services over the shared CSV folder: the answer
is the command's own reply plus the "Understood as" line, follow-ups are remembered per
(channel, user) for 10 minutes, and a refusal or two readings answer nothing.

Expected returns are computed here from the shared CSVs with the csv module
(tests.real_data), not with the project's reader.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from analytics.services import Services
from commands.ask import Ambiguous, Refusal, Understood
from commands.ask.command import ask
from commands.spec import Context
from tests.real_data import closes_on
from tests.source_doubles import Clock

SPAN = "from 2024-12-31 to 2025-03-07"
TITANS = ["9988.HK", "0700.HK", "1810.HK", "1211.HK", "0981.HK", "9618.HK", "9999.HK"]
MAG7 = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA"]
#: Follow-ups live in a process-wide memory: each test asks from channels of its own.
_CHANNELS = itertools.count(7_000_001)


def change_pct(symbol: str) -> float:
    return (closes_on(symbol, "2025-03-07") / closes_on(symbol, "2024-12-31") - 1) * 100


def equal_weight_pct(symbols: list[str]) -> float:
    return sum(change_pct(s) for s in symbols) / len(symbols)


@pytest.fixture
def channel() -> Iterator[int]:
    yield next(_CHANNELS)


def context(services: Services, channel: int, user: int = 1) -> Context:
    return Context(services, guild_id=1, user_id=user, channel_id=channel, want_image=False)


def test_the_answer_is_the_commands_reply_with_the_understood_line(
    services: Services, channel: int
) -> None:
    asked = ask(context(services, channel), f"how did the titans do vs the mag 7 {SPAN}?")
    line = "/compare left:china-titans right:mag7 start:2024-12-31 end:2025-03-07"
    assert isinstance(asked.understood, Understood)
    assert asked.reply.note == f"Understood as `{line}`"
    assert asked.reply.to_text().splitlines()[0] == f"Understood as {line}"
    assert asked.reply.data["understood"] == {
        "command": "compare",
        "options": {
            "left": "china-titans",
            "right": "mag7",
            "start": "2024-12-31",
            "end": "2025-03-07",
        },
    }
    data = asked.reply.data
    assert data["left"]["equal_weight_return_pct"] == pytest.approx(equal_weight_pct(TITANS))
    assert data["right"]["equal_weight_return_pct"] == pytest.approx(equal_weight_pct(MAG7))
    assert asked.reply.exit_code == 0


def test_a_refusal_answers_nothing_and_has_no_understood(services: Services, channel: int) -> None:
    asked = ask(context(services, channel), "should I buy the titans?")
    assert asked.understood is None
    assert isinstance(asked.outcome, Refusal)
    assert asked.reply.exit_code == 2
    assert asked.reply.data == {"error": asked.outcome.message, "exit_code": 2}
    assert asked.reply.note == ""
    assert asked.outcome.message.startswith("I don't trade or give advice, only numbers.")
    # Nothing was remembered to follow up on.
    assert isinstance(ask(context(services, channel), "and in USD?").outcome, Refusal)


def test_two_readings_answer_nothing_and_offer_both(services: Services, channel: int) -> None:
    asked = ask(context(services, channel), "AAPL")
    assert isinstance(asked.outcome, Ambiguous) and asked.understood is None
    assert asked.reply.exit_code == 2
    assert asked.reply.choices == ("/quote symbol:AAPL", "/returns target:AAPL")
    assert asked.reply.data["readings"] == [
        {"command": "quote", "options": {"symbol": "AAPL"}},
        {"command": "returns", "options": {"target": "AAPL"}},
    ]


def test_a_follow_up_is_kept_ten_minutes_for_the_same_channel_and_user(
    services: Services, clock: Clock, channel: int
) -> None:
    ctx = context(services, channel, user=5)
    first = ask(ctx, f"how did AAPL do {SPAN}")
    assert first.reply.data["equal_weight_return_pct"] == pytest.approx(change_pct("AAPL"))
    clock.advance(minutes=9)
    again = ask(ctx, "and in USD?")
    assert again.understood is not None
    assert again.understood.command.line == (
        "/returns target:AAPL start:2024-12-31 end:2025-03-07 currency:usd"
    )
    # Someone else in the channel, or the same person elsewhere, has nothing to follow.
    assert isinstance(ask(context(services, channel, user=6), "and in USD?").outcome, Refusal)
    other_channel = next(_CHANNELS)
    assert isinstance(ask(context(services, other_channel, 5), "and in USD?").outcome, Refusal)
    # The follow-up was an answer too: its ten minutes run from then, and then end.
    clock.advance(minutes=10, seconds=1)
    assert isinstance(ask(ctx, "and in USD?").outcome, Refusal)


def test_a_typed_command_line_is_understood_exactly_and_remembered(
    services: Services, channel: int
) -> None:
    ctx = context(services, channel)
    line = "/returns target:AAPL start:2024-12-31 end:2025-03-07"
    asked = ask(ctx, line)
    assert asked.understood is not None and asked.understood.command.line == line
    assert asked.reply.note == f"Understood as `{line}`"
    assert asked.reply.data["equal_weight_return_pct"] == pytest.approx(change_pct("AAPL"))
    follow = ask(ctx, "what about MSFT?")
    assert follow.understood is not None
    assert follow.understood.command.line == "/returns target:MSFT start:2024-12-31 end:2025-03-07"
    assert follow.reply.data["equal_weight_return_pct"] == pytest.approx(change_pct("MSFT"))


def test_a_mistyped_command_line_is_refused(services: Services, channel: int) -> None:
    asked = ask(context(services, channel), "/returns nonsense")
    assert isinstance(asked.outcome, Refusal) and asked.understood is None
    assert asked.reply.exit_code == 2 and asked.reply.data["error"] == asked.outcome.message


def test_the_frame_a_reply_refers_to_wins_over_memory(services: Services, channel: int) -> None:
    ctx = context(services, channel)
    replied_to = ask(ctx, f"how did NVDA do {SPAN}").understood
    ask(ctx, f"how did AAPL do {SPAN}")  # the asker's latest question
    assert replied_to is not None
    asked = ask(ctx, "and in USD?", previous=replied_to.frame)
    assert asked.understood is not None
    assert asked.understood.command.options["target"] == "NVDA"
