"""Two ``marketbot run`` processes, shards 0-0 and 1-1 of 2, on one PostgreSQL and one Discord.

The Discord double routes each server's events to the connection of its shard
(``(guild_id >> 22) % 2``), as Discord does; each process must IDENTIFY with its own shard,
answer the interactions it is sent, and post the weekly slots of its own servers only —
every server's slot once, by the process whose shard carries it (the ledger names the
worker, whose name holds the process id).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analytics.server.pg_store import PostgresServerStore
from analytics.server.schedule import WeeklyRule
from analytics.server.subscriptions import SubscriptionStore
from tests.bot.test_shards import GUILD_0, GUILD_1, two_guilds
from tests.discord_double import DoubleTimeout, run_in_thread
from tests.reliability.discord_helpers import text_of, wait_answer
from tests.reliability.test_postgres import env_for

pytestmark = pytest.mark.timeout(240)


def start(url: str, tmp: Path, name: str, ids: str, double_env: dict[str, str], token: str):
    folder = tmp / name
    folder.mkdir()
    env = env_for(url, folder / "cache.sqlite3") | double_env
    env.update(DISCORD_TOKEN=token, MARKETBOT_LOG_DIR=str(folder / "logs"),
               MARKETBOT_SHARD_COUNT="2", MARKETBOT_SHARD_IDS=ids)  # fmt: skip
    stderr = open(folder / "stderr", "wb")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=folder, env=env,
                            stderr=stderr, stdout=subprocess.DEVNULL)  # fmt: skip


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def test_two_shard_processes_each_serve_and_post_for_their_own_servers(
    pg_url: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=2)
    rule = WeeklyRule(now.weekday(), now.hour, now.minute, "UTC")
    store = PostgresServerStore(pg_url)
    subs = SubscriptionStore(store)
    ids = {g: subs.add(g, g + 1, ["mag7"], rule, 1, now - timedelta(days=1)).id
           for g in (GUILD_0, GUILD_1)}  # fmt: skip
    threaded = run_in_thread(guilds=two_guilds(), shard_count=2)
    double = threaded.double
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs = [start(pg_url, tmp_path, "shard0", "0-0", double.env(), double.token),
                 start(pg_url, tmp_path, "shard1", "1-1", double.env(), double.token)]  # fmt: skip
        for shard in (0, 1):
            threaded.run(double.wait_gateway(lambda f, s=shard: f.op == 2 and f.d["shard"] == [s, 2],
                                             timeout=90), timeout=100)  # fmt: skip
        threaded.run(double.wait_for(lambda r: r.method == "PUT" and r.ok, timeout=60), timeout=70)
        assert len(double.find("PUT", "/commands$")) == 1  # shard 0's process synced, alone
        answers = {}
        for guild in (GUILD_0, GUILD_1):
            handle = threaded.run(double.send_slash("quote", {"symbol": "AAPL"}, guild_id=guild),
                                  timeout=30)  # fmt: skip
            answers[guild] = text_of(threaded.run(wait_answer(handle, 60), timeout=70)[-1])
        assert all("AAPL" in text for text in answers.values()), answers
        # Both slots posted, each once, by its own shard's process.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            rows = {g: subs.posts(i) for g, i in ids.items()}
            if all(len(r) == 1 and r[0].status == "posted" for r in rows.values()):
                break
            time.sleep(0.3)
        time.sleep(1.0)  # a duplicate, if any, would arrive now
        for guild, proc in ((GUILD_0, procs[0]), (GUILD_1, procs[1])):
            (row,) = subs.posts(ids[guild])
            assert row.status == "posted" and f":{proc.pid}:" in (row.claimed_by or ""), row
            posts = [r for r in double.find("POST", rf"^/channels/{guild + 1}/messages$") if r.ok]
            assert len(posts) == 1
        # With shard 1's process gone, its server gets no answer; shard 0's still does.
        stop(procs[1])
        handle = threaded.run(double.send_slash("quote", {"symbol": "MSFT"}, guild_id=GUILD_0))
        assert "MSFT" in text_of(threaded.run(wait_answer(handle, 60), timeout=70)[-1])
        orphan = threaded.run(double.send_slash("quote", {"symbol": "MSFT"}, guild_id=GUILD_1))
        with pytest.raises(DoubleTimeout):
            threaded.run(wait_answer(orphan, 5), timeout=15)
        for name in ("shard0", "shard1"):
            log = "\n".join(p.read_text() for p in (tmp_path / name / "logs").glob("*.log*"))
            assert "Traceback" not in log and f"running shards {name[-1]} of 2" in log
    finally:
        for proc in procs:
            stop(proc)
        threaded.stop()
        store.close()
