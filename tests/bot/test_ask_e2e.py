"""Asking in plain words end to end through the Discord double: /ask, a mention, a direct
message, follow-ups and the buttons of two readings (issue 14).

The real discord.py client runs against the double; the numbers in the replies are checked
against the shared CSVs read independently, and every message the bot sent is checked to
ping nobody.
"""

from __future__ import annotations

import json

import pytest

from analytics.metrics.targets import PRESETS
from tests.bot.conftest import RunningBot
from tests.real_data import close_on_or_before, closes

pytestmark = pytest.mark.timeout(60)


def pct(symbol: str, start: str, end: str) -> float:
    _, base = close_on_or_before(symbol, start)
    _, last = close_on_or_before(symbol, end)
    return (last / base - 1) * 100


def equal_weight(symbols: tuple[str, ...] | list[str], start: str, end: str) -> float:
    return sum(pct(s, start, end) for s in symbols) / len(symbols)


def embed_text(message) -> str:
    return json.dumps(message.data["embeds"][0], ensure_ascii=False)


def assert_no_pings(running: RunningBot) -> None:
    """Every message the bot sent disabled mentions, replies included."""
    sent = [
        r
        for r in running.double.requests
        if r.method in ("POST", "PATCH") and ("/messages" in r.path or "/webhooks/" in r.path)
    ]
    assert sent
    for r in sent:
        payload = r.json or {}
        if "allowed_mentions" in payload or "content" in payload:
            assert payload["allowed_mentions"]["parse"] == [], r.path
            assert payload["allowed_mentions"].get("replied_user", False) is False, r.path


async def test_slash_ask_answers_with_the_command_and_the_understood_line(
    running: RunningBot,
) -> None:
    handle = await running.double.send_slash(
        "ask", {"question": "how did the titans do vs the mag 7 between 2024-12-31 and 2025-03-07?"}
    )
    await handle.wait_defer()
    reply = await handle.wait_reply()
    assert reply.content == (
        "Understood as `/compare left:china-titans right:mag7 start:2024-12-31 end:2025-03-07`"
    )
    left = equal_weight(PRESETS["china-titans"], "2024-12-31", "2025-03-07")
    right = equal_weight(PRESETS["mag7"], "2024-12-31", "2025-03-07")
    text = embed_text(reply)
    assert f"{left:+.2f}%" in text and f"{right:+.2f}%" in text
    assert reply.files and reply.files[0].data[:8] == b"\x89PNG\r\n\x1a\n"  # the compare chart
    assert_no_pings(running)


async def test_a_mention_is_answered_in_a_reply_that_pings_nobody(running: RunningBot) -> None:
    double = running.double
    bot_id = double.application_id
    sent = await double.chat.post(
        f"<@{bot_id}> how did AAPL, MSFT and NVDA do from 2024-12-31 to 2025-03-07?"
    )
    answer = await double.chat.wait_reply_to(sent)
    assert answer.content == (
        "Understood as `/returns target:AAPL,MSFT,NVDA start:2024-12-31 end:2025-03-07`"
    )
    assert answer.data["message_reference"]["message_id"] == str(sent.id)
    text = embed_text(answer)
    for symbol in ("AAPL", "MSFT", "NVDA"):
        assert f"{pct(symbol, '2024-12-31', '2025-03-07'):+.2f}%" in text
    ew = equal_weight(["AAPL", "MSFT", "NVDA"], "2024-12-31", "2025-03-07")
    assert f"{ew:+.2f}%" in text
    request = next(r for r in double.requests if r.path == f"/channels/{sent.channel_id}/messages")
    assert request.json["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert_no_pings(running)


async def test_a_direct_message_is_answered_in_the_dm(running: RunningBot) -> None:
    double = running.double
    sent = await double.chat.post("mag7 from 2024-12-31 to 2025-03-07", guild_id=None)
    answer = await double.chat.wait_reply_to(sent)
    assert double.chat.is_dm_channel(answer.channel_id)
    assert answer.content == "Understood as `/returns target:mag7 start:2024-12-31 end:2025-03-07`"
    ew = equal_weight(PRESETS["mag7"], "2024-12-31", "2025-03-07")
    assert f"{ew:+.2f}%" in embed_text(answer)
    assert_no_pings(running)


async def test_follow_ups_by_reply_and_by_the_next_message(running: RunningBot) -> None:
    double = running.double
    bot_id = double.application_id
    # (HKD=X in the shared files stops in December 2024, so this conversation is in 2024.)
    first = await double.chat.post(f"<@{bot_id}> titans between 2024-06-28 and 2024-11-29")
    answer = await double.chat.wait_reply_to(first)
    assert answer.content.endswith("`/returns target:china-titans start:2024-06-28 end:2024-11-29`")

    # A reply to the answer (pinging the bot, as replies do by default) only changes one thing.
    usd = await double.chat.post("and in USD?", reply_to=answer)
    usd_answer = await double.chat.wait_reply_to(usd)
    assert usd_answer.content == (
        "Understood as `/returns target:china-titans start:2024-06-28 end:2024-11-29 currency:usd`"
    )
    assert "in USD" in usd_answer.data["embeds"][0]["footer"]["text"]
    in_usd = []
    for symbol in PRESETS["china-titans"]:
        d0, p0 = close_on_or_before(symbol, "2024-06-28")
        d1, p1 = close_on_or_before(symbol, "2024-11-29")
        fx0, fx1 = close_on_or_before("HKD=X", d0)[1], close_on_or_before("HKD=X", d1)[1]
        in_usd.append(((p1 / fx1) / (p0 / fx0) - 1) * 100)
    assert f"{sum(in_usd) / len(in_usd):+.2f}%" in embed_text(usd_answer)

    # The same person's next message in the channel, within 10 minutes.
    vs = await double.chat.post(f"<@{bot_id}> now against the mag7")
    vs_answer = await double.chat.wait_reply_to(vs)
    assert vs_answer.content == (
        "Understood as `/compare left:china-titans right:mag7 start:2024-06-28 "
        "end:2024-11-29 currency:usd`"
    )
    # Someone else's "and in USD?" is not a follow-up of this conversation.
    other = await double.chat.post(f"<@{bot_id}> and in USD?", user_id=4242)
    other_answer = await double.chat.wait_reply_to(other)
    assert other_answer.content == ""
    assert "market question" in embed_text(other_answer)
    assert_no_pings(running)


async def test_two_readings_get_a_button_each(running: RunningBot) -> None:
    double = running.double
    sent = await double.chat.post(f"<@{double.application_id}> AAPL")
    answer = await double.chat.wait_reply_to(sent)
    buttons = [c for row in answer.data["components"] for c in row["components"]]
    assert [b["custom_id"] for b in buttons] == [
        "ask:/quote symbol:AAPL",
        "ask:/returns target:AAPL",
    ]
    handle = await double.chat.click(answer, "ask:/quote symbol:AAPL", user_id=5151)
    await handle.wait_defer()
    reply = await handle.wait_reply()
    assert reply.content == "Understood as `/quote symbol:AAPL`"
    series = closes("AAPL")
    assert f"{series[max(series)]:,.2f}" in embed_text(reply)
    assert_no_pings(running)


async def test_slash_ask_with_two_readings_offers_buttons_only_to_the_asker(
    running: RunningBot,
) -> None:
    handle = await running.double.send_slash("ask", {"question": "titans since 3/2/2025"})
    await handle.wait_defer()
    reply = await handle.wait_reply()
    assert reply.ephemeral
    ids = [c["custom_id"] for row in reply.data["components"] for c in row["components"]]
    assert ids == [
        "ask:/returns target:china-titans start:2025-03-02",
        "ask:/returns target:china-titans start:2025-02-03",
    ]


async def test_messages_not_addressed_to_the_bot_are_ignored(running: RunningBot) -> None:
    double = running.double
    await double.chat.post("how did the mag 7 do this year?")  # no mention: no content either
    session = double.gateway.session_for(None)
    seen = [f["d"] for f in session.history if f.get("t") == "MESSAGE_CREATE"]
    assert seen and seen[-1]["content"] == ""  # no privileged intent: Discord sends no content
    probe = await double.chat.post(f"<@{double.application_id}> @everyone mag7 ytd")
    answer = await double.chat.wait_reply_to(probe)
    assert "mentions" in embed_text(answer)
    replies = [m for m in double.messages if m.kind == "channel"]
    assert len(replies) == 1
    assert_no_pings(running)
