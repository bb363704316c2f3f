"""The reply object's console rendering (``Reply.to_text`` / ``plain``) and the number
formats every reply uses."""

from __future__ import annotations

import pytest

from analytics.services import Services
from commands.registry import run_text
from commands.reply import (
    Field,
    Reply,
    big_money,
    footer,
    money,
    plain,
    pts,
    table,
    tone_of,
)
from commands.spec import Context

GUILD = 4242


def ask(services: Services, text: str) -> Reply:
    return run_text(text, Context(services, guild_id=GUILD, user_id=7, want_image=False))


# -- plain text for a terminal -------------------------------------------------------------


def test_plain_unwraps_bold_underline_and_inline_code() -> None:
    assert plain("**mag7** -10.35% vs **China tech titans** +42.83%") == (
        "mag7 -10.35% vs China tech titans +42.83%"
    )
    assert plain("__Note__: run `marketbot run` first") == "Note: run marketbot run first"
    assert plain("(**-3.20%**)") == "(-3.20%)"


def test_plain_renders_mentions_and_timestamps() -> None:
    assert plain("Posts to <#1300000000000000011>") == "Posts to #1300000000000000011"
    assert plain("by <@42>, <@!43> for <@&44>") == "by @42, @43 for @44"
    assert plain("next <t:1741388400:R>, then <t:1741993200>") == (
        "next 2025-03-07 23:00 UTC, then 2025-03-14 23:00 UTC"
    )


def test_plain_leaves_signs_stars_and_underscores_that_are_text() -> None:
    text = "25.0x* (provider ratio, marked *) · -2.5% · America/New_York · 2**53 · a_b"
    assert plain(text) == text
    assert plain("*") == "*" and plain("**") == "**" and plain("** x **") == "** x **"


def test_plain_drops_code_fence_lines_and_keeps_the_table_aligned() -> None:
    fenced = table([["Name", "Return"], ["mag7", "-10.35%"], ["china-titans", "+42.83%"]])
    assert fenced.startswith("```\n") and fenced.endswith("\n```")
    assert plain(fenced).splitlines() == [
        "Name           Return",
        "mag7          -10.35%",
        "china-titans  +42.83%",
    ]
    assert plain("```py\nx = 1\n```") == "x = 1"


def test_to_text_renders_every_part_plain() -> None:
    reply = Reply(
        title="**Weekly** summary",
        description="As of the close of **2025-03-07**",
        fields=[
            Field("Channel", "<#99>"),
            Field("Members", table([["AAPL", "1"], ["TSLA", "22"]])),
        ],
        caption="`/summary list` shows how it went",
        footer="Data: CSV folder",
        note="Understood as `/returns target:mag7`",
        stale=True,
    )
    assert reply.to_text().splitlines() == [
        "Understood as /returns target:mag7",
        "Weekly summary [stale]",
        "As of the close of 2025-03-07",
        "Channel: #99",
        "Members:",
        "AAPL   1",
        "TSLA  22",
        "/summary list shows how it went",
        "Data: CSV folder",
    ]


@pytest.mark.parametrize(
    "command",
    [
        "/compare left:china-titans right:mag7 start:2024-12-31 end:2025-03-07",
        "/help",
        "/summary subscribe baskets:mag7,china-titans channel:1300000000000000011",
    ],
)
def test_real_replies_use_markdown_and_their_text_has_none(
    services: Services, command: str
) -> None:
    reply = ask(services, command)
    assert reply.exit_code == 0, reply.description
    discord_text = " ".join([reply.description, *(f.value for f in reply.fields)])
    assert "**" in discord_text or "<#" in discord_text  # what Discord gets is markdown
    text = reply.to_text()
    assert "**" not in text and "`" not in text and "<#" not in text


def test_the_summary_channel_is_named_as_a_channel(services: Services) -> None:
    reply = ask(services, "/summary subscribe baskets:mag7 channel:1300000000000000011")
    assert "Channel: #1300000000000000011" in reply.to_text().splitlines()


# -- number formats ------------------------------------------------------------------------


def test_money_big_money_and_points() -> None:
    assert [money(None), money(1234.5, "USD"), money(12.345), money(0.12345, "HKD")] == [
        "n/a", "1,234.50 USD", "12.35", "0.1235 HKD",
    ]  # fmt: skip
    assert [big_money(1.234e12), big_money(-12.5e6), big_money(999), big_money(None)] == [
        "$1.23T", "-$12.50M", "$999", "n/a",
    ]  # fmt: skip
    assert (pts(53.18), pts(-0.5), pts(None)) == ("+53.18 pts", "-0.50 pts", "n/a")


def test_tone_and_footer() -> None:
    assert [tone_of(1.0), tone_of(-0.1), tone_of(0.0), tone_of(None)] == [
        "gain", "loss", "neutral", "neutral",
    ]  # fmt: skip
    assert footer("CSV folder", "basis price", None, "", "as of 2025-03-07") == (
        "Data: CSV folder · basis price · as of 2025-03-07"
    )


def test_an_error_reply_is_private_and_carries_its_exit_code() -> None:
    error = Reply.error("Unknown symbol NOPE.", exit_code=2)
    assert (error.ephemeral, error.exit_code, error.tone) == (True, 2, "error")
    assert error.data == {"error": "Unknown symbol NOPE.", "exit_code": 2}
    assert error.to_text() == "Can't answer that\nUnknown symbol NOPE."
