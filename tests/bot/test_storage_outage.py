"""PostgreSQL goes away under a running bot: commands that need the server store say
"storage unavailable, try again" (only to the user who asked), market answers go on, and
when it is back everything works with nothing half-written."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.bot.conftest import discord_double, start_bot, stop_bot
from tests.discord_double import ADMIN_PERMISSIONS, DiscordDouble
from tests.pg_server import PostgresServer
from tests.reliability.discord_helpers import text_of, wait_answer

pytestmark = pytest.mark.timeout(120)


async def ask(double: DiscordDouble, name: str, options: dict, sub: str | None = None,
              admin: bool = False) -> tuple[str, bool]:  # fmt: skip
    handle = await double.send_slash(
        name, options, subcommand=sub, permissions=ADMIN_PERMISSIONS if admin else 0
    )
    bodies = await wait_answer(handle, 40)
    flags = int(bodies[-1].get("flags") or 0)
    return text_of(bodies[-1]), bool(flags & 64)


async def test_postgresql_down_then_back_under_a_running_bot(tmp_path: Path) -> None:
    server = await asyncio.to_thread(PostgresServer.start)
    try:
        url = await asyncio.to_thread(server.create_database, "outage")
        async with discord_double() as double:
            bot, task = await start_bot(double, tmp_path, db_url=url)
            try:
                text, _ = await ask(double, "basket", {"name": "pair", "members": "AAPL,MSFT"},
                                    "create", admin=True)  # fmt: skip
                assert "pair" in text
                await asyncio.to_thread(server.pause)
                text, ephemeral = await ask(double, "basket", {}, "list")
                assert "storage unavailable, try again" in text and ephemeral
                text, ephemeral = await ask(double, "basket", {"name": "lost", "members": "NVDA"},
                                            "create", admin=True)  # fmt: skip
                assert "storage unavailable, try again" in text and ephemeral
                text, ephemeral = await ask(double, "quote", {"symbol": "AAPL"})
                assert "AAPL" in text and not ephemeral and "unavailable" not in text
                text, ephemeral = await ask(
                    double,
                    "returns",
                    {"target": "mag7", "start": "2024-12-31", "end": "2025-03-07"},
                )
                assert "unavailable" not in text and not ephemeral
                await asyncio.to_thread(server.resume)
                text, _ = await ask(double, "basket", {}, "list")
                assert "pair" in text and "lost" not in text  # nothing half-written
            finally:
                await stop_bot(bot, task)
    finally:
        await asyncio.to_thread(server.stop)
