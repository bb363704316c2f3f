"""`marketbot sync` and `marketbot run` as real processes against the Discord double."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.discord_double import DEFAULT_GUILD_ID
from tests.discord_double.threaded import run_in_thread
from tests.real_data import MARKET_DATA

pytestmark = pytest.mark.timeout(90)


def bot_env(double_env: dict[str, str], token: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "MARKETBOT_"))}
    env.update(double_env)
    env.update(
        DISCORD_TOKEN=token,
        MARKETBOT_SOURCE=f"csv:{MARKET_DATA.resolve()}",
        MARKETBOT_DB=str(tmp_path / "bot.sqlite3"),
        MARKETBOT_CACHE=str(tmp_path / "cache.sqlite3"),
        MARKETBOT_LOG_DIR=str(tmp_path / "logs"),
        **extra,
    )
    return env


def test_sync_command_syncs_to_the_dev_guild_and_exits(tmp_path: Path) -> None:
    with run_in_thread() as threaded:
        env = bot_env(
            threaded.double.env(),
            threaded.double.token,
            tmp_path,
            MARKETBOT_DEV_GUILD_ID=str(DEFAULT_GUILD_ID),
        )
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli", "sync"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        names = {c["name"] for c in threaded.double.commands(DEFAULT_GUILD_ID)}
        assert {"returns", "chart", "basket", "help"} <= names
        assert not threaded.double.commands()  # nothing global while developing


def test_run_answers_then_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    with run_in_thread() as threaded:
        double = threaded.double
        env = bot_env(double.env(), double.token, tmp_path)
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            threaded.run(double.wait_for(lambda r: r.method == "PUT", timeout=30), timeout=40)
            threaded.run(double.wait_identify(timeout=30), timeout=40)
            handle = threaded.run(double.send_slash("quote", {"symbol": "AAPL"}), timeout=20)
            reply = threaded.run(handle.wait_reply(timeout=20), timeout=30)
            assert reply.data["embeds"][0]["title"].startswith("AAPL")
            log_file = tmp_path / "logs" / "marketbot.log"
            deadline = time.monotonic() + 20
            while "ready as" not in log_file.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err[-2000:]
        log_text = (tmp_path / "logs" / "marketbot.log").read_text()
        assert "ready as" in log_text
        assert double.token not in log_text + err + out
        assert "Traceback" not in err
