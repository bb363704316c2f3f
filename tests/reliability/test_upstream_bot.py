"""The bot stays responsive while Yahoo hangs: the real bot, the Yahoo double and the
Discord double together.

While one question waits on a Yahoo request that will time out, other users' questions —
ones that need no network (/help, /about) and ones the cache can answer — are answered
first. Ordering, not wall-clock timing, is asserted: the slow question's answer must still
be missing, and Yahoo must not even have seen the hung request end, when the others have
theirs. The slow one then ends in a clear reply.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest

from analytics.data.sources.yahoo import YahooSource
from analytics.services import Services
from bot.app import MarketBot
from bot.runner import Cooldown
from bot.settings import Settings
from tests.bot.conftest import discord_double, stop_bot
from tests.discord_double import DiscordDouble
from tests.reliability import figures
from tests.reliability.discord_helpers import message_bodies, text_of, wait_answer
from tests.reliability.test_upstream_faults import NOW, SERVED, TEN
from tests.source_doubles import Clock
from tests.yahoo_double import running_double, shared_symbols

pytestmark = pytest.mark.timeout(90)


async def start_with(
    double: DiscordDouble, services: Services, tmp_path: Path
) -> tuple[MarketBot, asyncio.Task[None]]:
    """A MarketBot on the given services (tests.bot.conftest.start_bot builds its own)."""
    settings = Settings(
        db_path=services.store.path,
        cache_path=services.cache.path,
        discord_token=double.token,
        log_dir=tmp_path / "logs",
    )
    bot = MarketBot(settings, services, cooldown=Cooldown(limit=1000), guild_ready_timeout=0.05)
    task = asyncio.create_task(bot.start(double.token))
    await asyncio.wait_for(bot.ready_event.wait(), 10)
    return bot, task


async def test_other_questions_are_answered_while_a_yahoo_request_hangs(tmp_path: Path) -> None:
    with running_double(shared_symbols(TEN, *SERVED)) as yahoo:
        source = YahooSource(base_url=yahoo.base_url, timeout=2.0, cache_dir=tmp_path / "yf")
        services = Services.open(
            tmp_path / "cache.sqlite3", tmp_path / "bot.sqlite3", source, clock=Clock(NOW)
        )
        # Warm the cache for the question that should not wait.
        services.market.history(["AAPL", "MSFT"], date(2024, 12, 1), date(2025, 2, 28))
        yahoo.hang(30.0, symbols=["NVDA"])
        figures.add("upstream.faults_injected")
        async with discord_double() as double:
            bot, task = await start_with(double, services, tmp_path)
            try:
                slow = await double.send_slash(
                    "returns", {"target": "NVDA", "start": "2025-01-02", "end": "2025-02-28"}
                )
                await slow.wait_defer()
                quick = [
                    await double.send_slash("help", user_id=11),
                    await double.send_slash("about", user_id=12),
                    await double.send_slash(
                        "returns",
                        {"target": "AAPL,MSFT", "start": "2025-01-02", "end": "2025-02-28"},
                        user_id=13,
                    ),
                ]
                for handle in quick:
                    bodies = await wait_answer(handle, timeout=20)
                    assert "Can't answer that" not in text_of(bodies[-1])
                assert message_bodies(slow) == [], "the hung question was answered first?"
                nvda = [r for r in yahoo.requests() if r.symbol == "NVDA"]
                assert nvda == [], f"the others waited for the hung request to end: {nvda}"
                # ...and the hung one ends in a clear reply, not silence.
                bodies = await wait_answer(slow, timeout=30)
                assert "no data could be had" in text_of(bodies[-1])
                hung = yahoo.chart_requests("NVDA", history_only=False)
                assert hung and all(r.status == 0 for r in hung)
            finally:
                await stop_bot(bot, task)
