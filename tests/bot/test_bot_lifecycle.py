"""The bot's lifecycle and guards: cooldown, /help, /about, graceful close, the CLI without a token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.runner import Cooldown
from commands.registry import COMMANDS
from commands.spec import flatten
from tests.bot.conftest import RunningBot, discord_double, start_bot, stop_bot

pytestmark = pytest.mark.timeout(60)
EPHEMERAL = 64


async def test_cooldown_answers_politely_and_ephemerally(tmp_path: Path) -> None:
    async with discord_double() as double:
        bot, task = await start_bot(double, tmp_path, cooldown=Cooldown(limit=2, window=10))
        try:
            for _ in range(2):
                handle = await double.send_slash("quote", {"symbol": "AAPL"})
                await handle.wait_reply()
            third = await double.send_slash("quote", {"symbol": "AAPL"})
            callback = await third.wait_callback()
            assert callback.json["type"] == 4 and callback.json["data"]["flags"] & EPHEMERAL
            assert "Try again in" in callback.json["data"]["embeds"][0]["description"]
        finally:
            await stop_bot(bot, task)


async def test_help_lists_every_command_with_an_example(running: RunningBot) -> None:
    handle = await running.double.send_slash("help", {})
    reply = await handle.wait_reply()
    text = reply.data["embeds"][0]["description"]
    for full, spec in flatten(COMMANDS):
        assert f"/{full}" in text
        assert spec.example and spec.example in text


async def test_about_reports_source_and_cache(running: RunningBot) -> None:
    warm = await running.double.send_slash("quote", {"symbol": "MSFT"})
    await warm.wait_reply()
    handle = await running.double.send_slash("about", {})
    embed = (await handle.wait_reply()).data["embeds"][0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Data source"] == "CSV folder"
    assert fields["Cache"].startswith("1 symbols,")


async def test_close_finishes_and_closes_the_database(tmp_path: Path) -> None:
    async with discord_double() as double:
        bot, task = await start_bot(double, tmp_path)
        handle = await double.send_slash("returns", {"target": "mag7", "period": "1y"})
        await handle.wait_defer()
        await stop_bot(bot, task)
        # The in-flight command was allowed to finish before the close.
        assert handle.followups, "the in-flight answer was lost at shutdown"
        with pytest.raises(RuntimeError):
            bot.services.cache.connection()
        with pytest.raises(RuntimeError):
            bot.services.store.file.connection()  # type: ignore[attr-defined]


def test_run_without_token_explains_and_exits_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "MARKETBOT_"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr and "marketbot ask" in result.stderr
    assert "Traceback" not in result.stderr
