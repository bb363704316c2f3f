"""A running marketbot (the real discord.py client) against the local Discord double."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from analytics.data.sources.base import Source
from analytics.data.sources.csvdir import CsvFolderSource
from analytics.services import Services
from bot.app import MarketBot
from bot.runner import Cooldown
from bot.settings import Settings
from tests.conftest import FIXED_NOW
from tests.discord_double import DiscordDouble
from tests.real_data import MARKET_DATA
from tests.source_doubles import Clock


@dataclass
class RunningBot:
    bot: MarketBot
    double: DiscordDouble
    services: Services
    settings: Settings


async def start_bot(
    double: DiscordDouble,
    tmp_path: Path,
    *,
    dev_guild: int | None = None,
    cooldown: Cooldown | None = None,
    db_name: str = "bot.sqlite3",
    folder: Path = MARKET_DATA,
    db_url: str | None = None,
    source: Source | None = None,
) -> tuple[MarketBot, asyncio.Task[None]]:
    settings = Settings(
        source=f"csv:{folder}",
        db_path=tmp_path / db_name,
        db_url=db_url,
        cache_path=tmp_path / "cache.sqlite3",
        discord_token=double.token,
        dev_guild_id=dev_guild,
        log_dir=tmp_path / "logs",
    )
    services = Services.open(
        settings.cache_path,
        settings.server_store,
        source or CsvFolderSource(folder),
        clock=Clock(FIXED_NOW),
    )
    bot = MarketBot(
        settings, services, cooldown=cooldown or Cooldown(limit=1000), guild_ready_timeout=0.05
    )
    task = asyncio.create_task(bot.start(double.token))
    await asyncio.wait_for(bot.ready_event.wait(), 10)
    return bot, task


async def stop_bot(bot: MarketBot, task: asyncio.Task[None]) -> None:
    await bot.close()
    await asyncio.wait_for(task, 10)


@contextlib.asynccontextmanager
async def discord_double() -> AsyncIterator[DiscordDouble]:
    """A running Discord double with discord.py pointed at it (restored afterwards)."""
    async with DiscordDouble() as double:
        with double.point_discord_py():
            yield double


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with discord_double() as double:
        bot, task = await start_bot(double, tmp_path)
        try:
            yield RunningBot(bot, double, bot.services, bot.settings)
        finally:
            await stop_bot(bot, task)
