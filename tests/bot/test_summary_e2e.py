"""End to end: /summary on the real discord.py client against the Discord double, with the
scheduler on an injected clock (days pass without waiting) and the summary computed from
the shared CSVs (checked against tests/real_data.py)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from analytics.data.sources.csvdir import CsvFolderSource
from analytics.metrics.targets import PRESETS
from analytics.server.subscriptions import PostRecord
from analytics.services import Services
from bot.app import MarketBot
from bot.runner import Cooldown
from bot.scheduler import SummaryScheduler
from bot.settings import Settings
from tests.bot.conftest import discord_double
from tests.bot.embeds import table_row
from tests.bot.fake_time import FakeTime
from tests.discord_double import (
    ADMIN_PERMISSIONS,
    DEFAULT_GUILD_ID,
    MEMBER_PERMISSIONS,
    SECOND_CHANNEL_ID,
    DiscordDouble,
)
from tests.real_data import MARKET_DATA, close_on_or_before

pytestmark = pytest.mark.timeout(90)
EPHEMERAL = 64
SLOT = datetime(2025, 3, 7, 23, 0, tzinfo=UTC)  # Friday 18:00 in New York (EST)
CHANNEL_POSTS = rf"^/channels/{SECOND_CHANNEL_ID}/messages$"


@dataclass
class SummaryBot:
    bot: MarketBot
    double: DiscordDouble
    fake: FakeTime
    scheduler: SummaryScheduler

    def rows(self, sub_id: int) -> list[PostRecord]:
        return self.bot.services.subscriptions.posts(sub_id)

    async def wait_row(self, sub_id: int, ok: Callable[[PostRecord], bool]) -> PostRecord:
        async with asyncio.timeout(30):
            while True:
                found = [r for r in self.rows(sub_id) if ok(r)]
                if found:
                    return found[0]
                await asyncio.sleep(0.01)


async def start(
    double: DiscordDouble, tmp_path: Path, fake: FakeTime
) -> tuple[MarketBot, asyncio.Task[None]]:
    """A bot that runs the weekly-summary scheduler as ``marketbot run`` does, on fake time."""
    settings = Settings(
        source=f"csv:{MARKET_DATA}", db_path=tmp_path / "bot.sqlite3",
        cache_path=tmp_path / "cache.sqlite3", discord_token=double.token,
        log_dir=tmp_path / "logs",
    )  # fmt: skip
    services = Services.open(
        settings.cache_path, settings.db_path, CsvFolderSource(MARKET_DATA), clock=fake
    )
    bot = MarketBot(
        settings, services, cooldown=Cooldown(limit=1000), guild_ready_timeout=0.05,
        summaries=True, summary_sleep=fake.sleep,
    )  # fmt: skip
    task = asyncio.create_task(bot.start(double.token))
    await asyncio.wait_for(bot.ready_event.wait(), 10)
    return bot, task


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[SummaryBot]:
    fake = FakeTime(SLOT - timedelta(minutes=30))
    async with discord_double() as double:
        bot, task = await start(double, tmp_path, fake)
        assert bot.summary_scheduler is not None
        try:
            yield SummaryBot(bot, double, fake, bot.summary_scheduler)
        finally:
            await bot.close()
            await asyncio.wait_for(task, 10)


async def subscribe(r: SummaryBot, **options) -> int:
    handle = await r.double.send_slash(
        "summary", {"channel": SECOND_CHANNEL_ID, **options}, subcommand="subscribe",
        permissions=ADMIN_PERMISSIONS,
    )  # fmt: skip
    reply = await handle.wait_reply()
    (sub,) = r.bot.services.subscriptions.list(DEFAULT_GUILD_ID)
    assert reply.data["embeds"][0]["title"] == f"Subscribed: weekly summary #{sub.id}"
    return sub.id


def basket_pct(symbols: tuple[str, ...], base: str = "2025-02-28") -> float:
    """Equal-weighted change to 2025-03-07 from the close on or before ``base``."""
    end = "2025-03-07"
    return sum(
        close_on_or_before(s, end)[1] / close_on_or_before(s, base)[1] - 1 for s in symbols
    ) / len(symbols) * 100  # fmt: skip


async def test_subscribe_needs_manage_server(running: SummaryBot) -> None:
    handle = await running.double.send_slash(
        "summary", {"channel": SECOND_CHANNEL_ID}, subcommand="subscribe",
        permissions=MEMBER_PERMISSIONS,
    )  # fmt: skip
    callback = await handle.wait_callback()
    assert callback.json["type"] == 4 and callback.json["data"]["flags"] & EPHEMERAL
    assert "Manage Server" in callback.json["data"]["embeds"][0]["description"]
    assert running.bot.services.subscriptions.list(DEFAULT_GUILD_ID) == []


async def test_the_weekly_post_arrives_with_the_embed_and_the_chart(running: SummaryBot) -> None:
    sub_id = await subscribe(running)
    # The subscription woke the scheduler, which now sleeps until Friday 18:00 New York.
    async with asyncio.timeout(10):
        while running.fake.sleeping_until != [SLOT]:
            await asyncio.sleep(0.01)
    running.fake.set(SLOT)
    request = await running.double.wait_for(
        lambda q: q.method == "POST" and q.path == f"/channels/{SECOND_CHANNEL_ID}/messages",
        timeout=30,
    )
    assert request.json["allowed_mentions"]["parse"] == []
    assert request.json["nonce"] == f"s{sub_id}-{int(SLOT.timestamp())}"
    (message,) = running.double.channel_messages(SECOND_CHANNEL_ID)
    embed = message.data["embeds"][0]
    assert embed["title"] == "Weekly summary: china-titans vs mag7"
    assert "As of the close of **2025-03-07**" in embed["description"]
    for preset in ("china-titans", "mag7"):
        # Basket, Week, YTD, Fwd P/E
        row = table_row(embed["description"], preset)
        assert row[1] == f"{basket_pct(PRESETS[preset]):+.2f}%", row
        assert row[2] == f"{basket_pct(PRESETS[preset], '2024-12-31'):+.2f}%" and row[3] == "n/a"
    assert "valuation n/a" in embed["fields"][0]["value"]
    assert embed["image"]["url"] == "attachment://summary.png"
    assert Image.open(io.BytesIO(message.files[0].data)).size == (1600, 900)
    row = await running.wait_row(sub_id, lambda r: r.status == "posted")
    assert row.message_id == message.id and row.slot == SLOT

    listed = await running.double.send_slash("summary", subcommand="list")
    text = (await listed.wait_reply()).data["embeds"][0]["fields"][0]["value"]
    assert "Last: posted (weekly) for Fri 2025-03-07 18:00 EST" in text
    assert "Next: Fri 2025-03-14 18:00 EDT · Fri 2025-03-14 22:00 UTC" in text


async def test_a_403_channel_is_retried_then_recorded(running: SummaryBot) -> None:
    running.double.faults.channel_error(SECOND_CHANNEL_ID, 403)
    sub_id = await subscribe(running)
    running.fake.set(SLOT)
    attempts = len(running.scheduler.config.retry_delays) + 1
    for attempt in range(1, attempts + 1):
        await running.double.wait_for_count(
            lambda q: q.method == "POST" and q.path == f"/channels/{SECOND_CHANNEL_ID}/messages",
            attempt,
            timeout=30,
        )
        if attempt < attempts:
            row = await running.wait_row(
                sub_id, lambda r, n=attempt: r.status == "retry" and r.attempts == n
            )
            delay = running.scheduler.config.retry_delays[attempt - 1]
            assert row.next_attempt_at == running.fake() + timedelta(seconds=delay)
            running.fake.set(row.next_attempt_at)
    posts = running.double.find("POST", CHANNEL_POSTS)
    assert len(posts) == attempts and all(p.status == 403 for p in posts)
    row = await running.wait_row(sub_id, lambda r: r.status == "failed")
    assert "missing permission" in (row.error or "") and "403" in (row.error or "")
    assert running.double.channel_messages(SECOND_CHANNEL_ID) == []
    sub = running.bot.services.subscriptions.get(sub_id)
    assert sub is not None and sub.failed_weeks == 1 and not sub.paused

    listed = await running.double.send_slash("summary", subcommand="list")
    text = (await listed.wait_reply()).data["embeds"][0]["fields"][0]["value"]
    assert "Failed weeks in a row: 1" in text
    assert "Last: failed (weekly)" in text and "Discord 403, code 50013" in text


async def test_send_posts_now_through_the_scheduler(running: SummaryBot) -> None:
    sub_id = await subscribe(running)
    handle = await running.double.send_slash(
        "summary", {"id": sub_id}, subcommand="send", permissions=ADMIN_PERMISSIONS
    )
    reply = await handle.wait_reply()
    assert reply.data["flags"] & EPHEMERAL
    assert reply.data["embeds"][0]["title"] == f"Posting summary #{sub_id} now"
    await running.double.wait_for(
        lambda q: q.method == "POST" and q.path == f"/channels/{SECOND_CHANNEL_ID}/messages",
        timeout=30,
    )
    row = await running.wait_row(sub_id, lambda r: r.status == "posted")
    assert row.kind == "manual" and row.slot < SLOT  # not this week's slot


async def test_setup_starts_the_scheduler_and_close_stops_it(tmp_path: Path) -> None:
    fake = FakeTime(SLOT)
    async with discord_double() as double:
        bot, task = await start(double, tmp_path, fake)
        scheduler = bot.summary_scheduler
        assert scheduler is not None and scheduler._task is not None
        assert scheduler.store.has_listeners and not scheduler._task.done()
        await bot.close()
        await asyncio.wait_for(task, 10)
        assert scheduler._task is None and not scheduler.store.has_listeners


async def test_a_discord_5xx_is_retried_and_then_posted(running: SummaryBot) -> None:
    # 503 is not retried inside discord.py (500/502/504 are): the scheduler's backoff is.
    running.double.faults.server_error(CHANNEL_POSTS, method="POST", times=1, status=503)
    sub_id = await subscribe(running)
    running.fake.set(SLOT)
    row = await running.wait_row(sub_id, lambda r: r.status == "retry")
    assert row.error is not None and row.error.startswith("Discord error 503")
    running.fake.set(row.next_attempt_at)
    row = await running.wait_row(sub_id, lambda r: r.status == "posted")
    assert row.attempts == 2 and len(running.double.channel_messages(SECOND_CHANNEL_ID)) == 1
    assert [p.status for p in running.double.find("POST", CHANNEL_POSTS)] == [503, 200]


async def test_timezone_autocomplete(running: SummaryBot) -> None:
    choices = await running.double.send_autocomplete(
        "summary", {"channel": SECOND_CHANNEL_ID, "timezone": "new_y"}, "timezone",
        subcommand="subscribe",
    )  # fmt: skip
    assert "America/New_York" in [c["value"] for c in choices]
