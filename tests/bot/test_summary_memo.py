"""One computation per distinct (baskets, week): keys, single flight, expiry, and a storm."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from analytics.server.schedule import WeeklyRule
from analytics.services import Services
from bot.scheduler import SummaryScheduler
from bot.summary_memo import SummaryMemo, summary_key
from commands.reply import Reply
from tests.bot.fake_time import FakeTime
from tests.bot.test_scheduler import CHANNEL, SLOT, RecordingPoster

pytestmark = pytest.mark.timeout(60)
A, B = 1300000000000000010, 1300000000000000020


def test_keys_follow_what_the_baskets_resolve_to_and_the_week(services: Services) -> None:
    now = datetime(2025, 3, 7, tzinfo=UTC)
    services.baskets.create(A, "tech", ["AAPL", "MSFT"], 1, now)
    services.baskets.create(B, "tech", ["AAPL", "MSFT"], 1, now)
    services.baskets.create(B, "chips", ["NVDA"], 1, now)
    key = summary_key(services, A, ("tech", "mag7"), SLOT)
    assert key == summary_key(services, B, ("tech", "mag7"), SLOT)  # same members
    assert key == summary_key(services, B, ("tech", "mag7"), SLOT + timedelta(hours=1))
    assert key != summary_key(services, A, ("tech", "mag7"), SLOT + timedelta(days=7))
    assert key != summary_key(services, A, ("mag7", "tech"), SLOT)  # order is the layout
    services.baskets.update_members(B, "tech", lambda m: [*m, "NVDA"], now)
    assert key != summary_key(services, B, ("tech", "mag7"), SLOT)


def test_concurrent_askers_of_one_key_share_one_computation() -> None:
    memo = SummaryMemo(lambda: SLOT)
    calls: list[int] = []
    release = threading.Event()

    def build() -> Reply:
        calls.append(1)
        release.wait(5)
        return Reply(title="the one")

    got: list[Reply] = []
    threads = [threading.Thread(target=lambda: got.append(memo.get(("k",), build)))
               for _ in range(8)]  # fmt: skip
    for t in threads:
        t.start()
    time.sleep(0.2)
    release.set()
    for t in threads:
        t.join(5)
    assert len(calls) == 1 and len(got) == 8 and all(r is got[0] for r in got)
    assert (memo.computed, memo.reused) == (1, 7)


def test_entries_expire_and_failures_are_not_kept() -> None:
    fake = FakeTime(SLOT)
    memo = SummaryMemo(fake, ttl=timedelta(minutes=10))
    n = iter(range(100))
    assert memo.get(("k",), lambda: Reply(title=str(next(n)))).title == "0"
    fake.set(SLOT + timedelta(minutes=9))
    assert memo.get(("k",), lambda: Reply(title=str(next(n)))).title == "0"
    fake.set(SLOT + timedelta(minutes=11))
    assert memo.get(("k",), lambda: Reply(title=str(next(n)))).title == "1"

    def fail() -> Reply:
        raise RuntimeError("no prices")

    with pytest.raises(RuntimeError):
        memo.get(("bad",), fail)
    assert memo.get(("bad",), lambda: Reply(title="ok")).title == "ok"


async def test_a_storm_of_forty_subscriptions_computes_each_distinct_summary_once(
    services: Services,
) -> None:
    fake = FakeTime(SLOT - timedelta(days=1))
    store = services.subscriptions
    rule = WeeklyRule(4, 18, 0, "America/New_York")
    combos = (["mag7"], ["china-titans", "mag7"], ["mag7"], ["china-titans", "mag7"])
    guilds = [A + (i << 22) for i in range(10)]
    for guild in guilds:
        for baskets in combos:
            store.add(guild, CHANNEL, list(baskets), rule, 1, fake())
    built: list[tuple[int, tuple[str, ...]]] = []
    lock = threading.Lock()

    def build(services: Services, guild_id: int, baskets: tuple[str, ...]) -> Reply:
        with lock:
            built.append((guild_id, baskets))
        time.sleep(0.05)  # long enough for concurrent workers to ask for the same one
        return Reply(title=",".join(baskets))

    poster = RecordingPoster()
    scheduler = SummaryScheduler(services, poster, clock=fake, build=build)
    fake.set(SLOT + timedelta(seconds=1))
    await scheduler.tick()
    assert len(poster.posts) == 40
    assert len({p[2] for p in poster.posts}) == 40  # one nonce per subscription's slot
    assert sorted(b for _, b in built) == [("china-titans", "mag7"), ("mag7",)]
    assert (scheduler.memo.computed, scheduler.memo.reused) == (2, 38)
    assert sorted(p[1] for p in poster.posts) == ["china-titans,mag7"] * 20 + ["mag7"] * 20
