"""Four processes on one database: two consoles and two bots, mixed reads and writes.

* Consoles: ``console_worker`` runs ``marketbot ask`` (its real entry point, opening the
  database and migrating for every command) in a loop: baskets created, extended, deleted
  and listed, returns over random ranges (prices fetched and written), quotes.
* Bots: two ``marketbot run`` processes, each logged in to its own Discord double (one
  double routes every interaction to the newest connection; two doubles let both bots
  work at once), both on the same database and the same server id. The test drives them
  with interactions: baskets created on one are read back through the other.

Promises checked: no reply and no log line says "database is locked" (or any internal
error); every basket a bot created is visible through the other bot, and each console saw
the other's; the file is intact afterwards. ``make test`` runs ~8 s of load, ``make soak``
a minute.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.discord_double import (
    ADMIN_PERMISSIONS,
    MEMBER_PERMISSIONS,
    ThreadedDouble,
    run_in_thread,
)
from tests.real_data import MARKET_DATA
from tests.reliability import figures
from tests.reliability.discord_helpers import is_error, text_of, wait_answer
from tests.reliability.helpers import INTERNAL_ERROR

REPO = Path(__file__).resolve().parents[2]
US = ["AAPL", "AMZN", "GOOGL", "META", "MSFT", "NVDA", "TSLA", "QQQ", "SPY"]
pytestmark = pytest.mark.timeout(300)


def base_env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETBOT_", "DISCORD_"))}
    env.update(MARKETBOT_DB=str(db), MARKETBOT_SOURCE=f"csv:{MARKET_DATA}")
    env.update(MARKETBOT_CACHE=str(db.with_suffix(".cache.sqlite3")))
    env["PYTHONPATH"] = str(REPO)
    return env


@dataclass
class BotProcess:
    name: str
    threaded: ThreadedDouble
    proc: subprocess.Popen[bytes]
    log_dir: Path
    created: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    ops: int = 0

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.log_dir.glob("*.log*"))


def start_bot(name: str, db: Path, tmp: Path, app_id: int) -> BotProcess:
    threaded = run_in_thread(application_id=app_id)
    log_dir = tmp / f"logs-{name}"
    env = base_env(db) | threaded.double.env()
    env.update(DISCORD_TOKEN=threaded.double.token, MARKETBOT_LOG_DIR=str(log_dir))
    stderr = open(tmp / f"{name}.stderr", "wb")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"], cwd=tmp, env=env, stderr=stderr,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return BotProcess(name, threaded, proc, log_dir)


def wait_ready(bot: BotProcess) -> None:
    double = bot.threaded.double
    bot.threaded.run(double.wait_identify(timeout=60), timeout=70)
    for _ in range(100):  # commands synced (or already known) and the guild cached
        if double.commands() and bot.proc.poll() is None:
            break
        time.sleep(0.1)
    assert bot.proc.poll() is None, f"bot {bot.name} exited: {bot.proc.returncode}"
    probe = bot.threaded.run(double.send_slash("about", user_id=99), timeout=30)
    bot.threaded.run(wait_answer(probe, 30), timeout=40)


def interact(
    bot: BotProcess, name: str, options: dict[str, Any], sub: str | None = None, admin: bool = False
) -> tuple[str, bool]:
    """Send one interaction and wait for what the user sees: (text, is an error)."""
    double = bot.threaded.double
    handle = bot.threaded.run(
        double.send_slash(name, options, subcommand=sub, user_id=random.randrange(10**6, 10**9),
                          permissions=ADMIN_PERMISSIONS if admin else MEMBER_PERMISSIONS),
        timeout=30,
    )  # fmt: skip
    bodies = bot.threaded.run(wait_answer(handle, 60), timeout=70)
    text = "\n".join(text_of(b) for b in bodies)
    bot.ops += 1
    if "locked" in text.lower() or INTERNAL_ERROR in text:
        bot.failures.append(f"/{name} {sub or ''} {options}: {text[:300]}")
    return text, any(is_error(b) for b in bodies)


def drive(bot: BotProcess, other: BotProcess, deadline: float, seed: int) -> None:
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        roll = rng.random()
        if roll < 0.3 or not bot.created:
            basket = f"{bot.name}-{len(bot.created)}"
            members = ",".join(rng.sample(US, 3))
            text, error = interact(bot, "basket", {"name": basket, "members": members},
                                   "create", admin=True)  # fmt: skip
            if error:
                bot.failures.append(f"create {basket}: {text[:300]}")
            else:
                bot.created.append(basket)
        elif roll < 0.6 and other.created:
            basket = rng.choice(list(other.created))  # committed: its reply has arrived
            text, error = interact(bot, "basket", {"name": basket}, "show")
            if error:
                bot.failures.append(f"{basket} from {other.name} not visible: {text[:300]}")
        elif roll < 0.85:
            year = rng.randint(2022, 2025)
            options = {"target": ",".join(rng.sample(US, 3)),
                       "start": f"{year}-0{rng.randint(1, 5)}-0{rng.randint(1, 9)}",
                       "end": f"{year}-0{rng.randint(7, 9)}-1{rng.randint(0, 9)}"}  # fmt: skip
            interact(bot, "returns", options)
        else:
            interact(bot, "quote", {"symbol": rng.choice(US)})


def stop(bot: BotProcess) -> None:
    if bot.proc.poll() is None:
        bot.proc.send_signal(signal.SIGTERM)
        try:
            bot.proc.wait(20)
        except subprocess.TimeoutExpired:
            bot.proc.kill()
            bot.proc.wait(10)
    bot.threaded.stop()


def four_processes(tmp_path: Path, seconds: float) -> None:
    db = tmp_path / "shared.sqlite3"
    bots = [start_bot("bot-a", db, tmp_path, 1300000000000000001),
            start_bot("bot-b", db, tmp_path, 1300000000000000101)]  # fmt: skip
    consoles: list[subprocess.Popen[str]] = []
    try:
        for bot in bots:
            wait_ready(bot)
        consoles = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.reliability.console_worker", me, other, str(seconds)],
                cwd=tmp_path,
                env=base_env(db),
                stdout=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for me, other in (("c0", "c1"), ("c1", "c0"))
        ]
        deadline = time.monotonic() + seconds
        drivers = [
            threading.Thread(target=drive, args=(bots[0], bots[1], deadline, 1)),
            threading.Thread(target=drive, args=(bots[1], bots[0], deadline, 2)),
        ]
        for t in drivers:
            t.start()
        for t in drivers:
            t.join(seconds + 120)
        results = [json.loads(c.communicate(timeout=seconds + 120)[0].splitlines()[-1])
                   for c in consoles]  # fmt: skip
        # Everything each bot created is visible through the other, at the end too (by
        # name: /basket list is cut to fit one Discord embed once there are many).
        for bot, other in ((bots[0], bots[1]), (bots[1], bots[0])):
            for basket in bot.created:
                text, error = interact(other, "basket", {"name": basket}, "show")
                assert not error and f"Basket {basket}" in text, (other.name, basket, text)
    finally:
        for c in consoles:
            if c.poll() is None:
                c.kill()
        for bot in bots:
            stop(bot)
    for result in results:
        figures.add("concurrency.console_commands", result["ops"])
        figures.add("concurrency.console_writes", result["writes"])
        assert result["failures"] == [], result["failures"][:3]
        assert result["seen_other"], "a console never saw the other console's baskets"
    for bot in bots:
        figures.add("concurrency.bot_interactions", bot.ops)
        assert bot.failures == [], bot.failures[:3]
        assert bot.created
        logs = bot.log_text() + (tmp_path / f"{bot.name}.stderr").read_text(errors="replace")
        assert "database is locked" not in logs
        assert "Traceback" not in logs, logs[logs.find("Traceback") - 300 :][:2000]
    figures.add("concurrency.locked_errors_seen", 0)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        names = {r[0] for r in conn.execute("SELECT name FROM baskets")}
    created = {b for r in results for b in r["created"]} - {
        b for r in results for b in r["deleted"]
    }
    assert created | {b for bot in bots for b in bot.created} <= names


def test_four_processes_share_one_database(tmp_path: Path) -> None:
    four_processes(tmp_path, seconds=8)


@pytest.mark.soak
def test_four_processes_share_one_database_soak(tmp_path: Path) -> None:
    four_processes(tmp_path, seconds=60)
