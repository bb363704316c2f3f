"""Several processes on one PostgreSQL server store, each with its own market cache.

The same promises the SQLite file keeps, across hosts: what one process writes the others
use; concurrent writers lose nothing and never see a lock error; one slot is posted once by
two schedulers; a scheduler killed with SIGKILL in the middle of a post leaves a claim that
another takes over after its lease, and the slot is posted once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analytics.server.baskets import CONSOLE_GUILD, BasketStore
from analytics.server.pg_store import PostgresServerStore
from analytics.server.schedule import WeeklyRule
from analytics.server.subscriptions import MAX_PER_SERVER, SubscriptionStore
from bot.scheduler import SchedulerConfig
from tests.conftest import MARKET_DATA

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(180)
GUILD = 1300000000000000010
SLOT = datetime(2025, 3, 7, 23, 0, tzinfo=UTC)  # Friday 18:00 New York
NOW = datetime(2025, 3, 7, 12, 0, tzinfo=UTC)


def env_for(url: str, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETBOT_", "DISCORD_"))}
    env.update(MARKETBOT_DB=url, MARKETBOT_CACHE=str(cache), MARKETBOT_SOURCE=f"csv:{MARKET_DATA}")
    env["PYTHONPATH"] = str(REPO)
    return env


def console(url: str, cache: Path, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", command, "--json"], cwd=cache.parent,
        env=env_for(url, cache), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_basket_made_by_one_host_is_used_by_another(pg_url: str, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    cache_a, cache_b = tmp_path / "a" / "cache.sqlite3", tmp_path / "b" / "cache.sqlite3"
    made = console(pg_url, cache_a, "/basket create name:pair members:AAPL,MSFT")
    assert made.returncode == 0, made.stderr
    used = console(pg_url, cache_b, "/returns target:pair start:2024-12-31 end:2025-03-07")
    assert used.returncode == 0, used.stderr
    data = json.loads(used.stdout)
    assert [m["symbol"] for m in data["members"]] == ["AAPL", "MSFT"]
    # Each host fetched into its own cache; the store held only the basket.
    assert cache_a.exists() and cache_b.exists()
    store = PostgresServerStore(pg_url)
    try:
        assert BasketStore(store).get(CONSOLE_GUILD, "pair").members == ("AAPL", "MSFT")
    finally:
        store.close()


def test_four_processes_writing_at_once_lose_nothing(pg_url: str) -> None:
    rounds = 25
    store = PostgresServerStore(pg_url)
    BasketStore(store).create(GUILD, "shared", ["SPY"], 1, NOW)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.reliability.pg_worker",
                "writes",
                pg_url,
                f"w{i}",
                str(rounds),
                str(GUILD),
            ],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for i in range(4)
    ]
    results = [p.communicate("go\n", timeout=120) for p in procs]
    try:
        assert [p.returncode for p in procs] == [0] * 4, [r[1][-800:] for r in results]
        reports = [json.loads(r[0]) for r in results]
        for out, err in results:
            assert "lock" not in (out + err).lower() and "Traceback" not in err
        baskets = BasketStore(store)
        mine = {b.name for b in baskets.list(GUILD + 1)}
        assert mine == {f"w{i}-{r}" for i in range(4) for r in range(rounds)}
        shared = baskets.get(GUILD, "shared")
        assert shared is not None and len(shared.members) == 1 + 4 * rounds  # no lost append
        assert set(shared.members) == {"SPY"} | {
            f"W{i}{r}" for i in range(4) for r in range(rounds)
        }
        # The per-server limit held across processes: exactly MAX_PER_SERVER subscribed.
        assert sum(r["subscribed"] for r in reports) == MAX_PER_SERVER
        assert sum(r["refused"] for r in reports) == 4 * rounds - MAX_PER_SERVER
        assert len(SubscriptionStore(store).list(GUILD)) == MAX_PER_SERVER
    finally:
        store.close()


def scheduler_process(url: str, worker: str, block: bool, now: datetime) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.pg_worker", "post", url, worker,
         "1" if block else "0", now.isoformat()],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def subscribe_due(url: str) -> int:
    store = PostgresServerStore(url)
    try:
        rule = WeeklyRule(4, 18, 0, "America/New_York")
        return SubscriptionStore(store).add(GUILD, 11, ["mag7"], rule, 1, NOW).id
    finally:
        store.close()


def ledger(url: str, sub_id: int) -> list[tuple[str, str | None, int, int | None]]:
    store = PostgresServerStore(url)
    try:
        rows = SubscriptionStore(store).posts(sub_id)
        return [(r.status, r.claimed_by, r.attempts, r.message_id) for r in rows]
    finally:
        store.close()


def test_two_schedulers_on_one_slot_post_it_once(pg_url: str) -> None:
    sub_id = subscribe_due(pg_url)
    at = SLOT + timedelta(seconds=5)
    procs = [scheduler_process(pg_url, name, False, at) for name in ("host-a", "host-b")]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-800:] for o in outs]
    posting = [o[0].count("posting") for o in outs]
    assert sorted(posting) == [0, 1]
    winner = ("host-a", "host-b")[posting.index(1)]
    assert ledger(pg_url, sub_id) == [("posted", winner, 1, 424242)]


def test_a_scheduler_killed_mid_post_leaves_the_slot_to_another_after_its_lease(
    pg_url: str,
) -> None:
    sub_id = subscribe_due(pg_url)
    at = SLOT + timedelta(seconds=5)
    dying = scheduler_process(pg_url, "dies", True, at)
    assert dying.stdout is not None
    line = dying.stdout.readline()  # it has claimed the slot and is posting
    assert line.startswith("posting s"), dying.stderr.read() if dying.stderr else ""
    os.kill(dying.pid, signal.SIGKILL)
    dying.wait(10)
    assert ledger(pg_url, sub_id) == [("claimed", "dies", 1, None)]
    lease = SchedulerConfig().lease
    early = scheduler_process(pg_url, "heir", False, at + lease - timedelta(seconds=30))
    assert "posting" not in early.communicate(timeout=120)[0]  # the lease still holds
    heir = scheduler_process(pg_url, "heir", False, at + lease + timedelta(seconds=1))
    out, err = heir.communicate(timeout=120)
    assert heir.returncode == 0, err[-800:]
    assert out.count("posting") == 1 and line.split()[1] in out  # the same nonce
    assert ledger(pg_url, sub_id) == [("posted", "heir", 2, 424242)]
