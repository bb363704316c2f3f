"""The summary dispatcher with an injected clock: catch-up, exactly once, retries, shards.

The poster here records what it is asked to post (the Discord poster is exercised end to
end in test_summary_e2e.py); the summary itself is a cheap stand-in so that weeks of
schedule run in milliseconds (its numbers are tested in tests/analytics/metrics/test_summary.py).
"""

from __future__ import annotations

import asyncio
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analytics.data.sources.csvdir import CsvFolderSource
from analytics.errors import NoDataError
from analytics.server.schedule import WeeklyRule, shard_of
from analytics.services import Services
from bot.scheduler import PostError, SchedulerConfig, SummaryScheduler
from commands.reply import Reply
from tests.bot.fake_time import FakeTime
from tests.real_data import MARKET_DATA

pytestmark = pytest.mark.timeout(60)
FRIDAY_NY = WeeklyRule(4, 18, 0, "America/New_York")
SLOT = datetime(2025, 3, 7, 23, 0, tzinfo=UTC)  # Friday 2025-03-07 18:00 EST
GUILD = 1300000000000000010
CHANNEL = 1300000000000000011
CONFIG = SchedulerConfig()
#: Without the hourly re-read, the planned wake-up is the next slot itself.
PLANNING = SchedulerConfig(max_sleep=timedelta(days=30))


class RecordingPoster:
    """Records posts; ``failures`` are raised, one per attempt, before any success."""

    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.posts: list[tuple[int, str, str]] = []
        self.attempts = 0
        self.failures = list(failures or [])
        self.block: asyncio.Event | None = None

    async def post(self, channel_id: int, reply: Reply, nonce: str) -> int:
        self.attempts += 1
        if self.block is not None:
            await self.block.wait()  # "the process dies here" when the task is cancelled
        if self.failures:
            raise self.failures.pop(0)
        self.posts.append((channel_id, reply.title, nonce))
        return 5000 + len(self.posts)


def fake_build(services: Services, guild_id: int, baskets: tuple[str, ...]) -> Reply:
    return Reply(title="summary of " + ",".join(baskets))


def scheduler(services: Services, poster: RecordingPoster, clock, **kw) -> SummaryScheduler:
    return SummaryScheduler(services, poster, clock=clock, build=fake_build, **kw)


def subscribe(services: Services, created: datetime, guild: int = GUILD, rule=FRIDAY_NY):
    return services.subscriptions.add(guild, CHANNEL, ["china-titans", "mag7"], rule, 1, created)


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime(SLOT - timedelta(days=3))


def other_process(tmp_path: Path, services: Services) -> Services:
    """A second Services on the same files, as another process would have."""
    return Services.open(services.cache.path, services.store.path, CsvFolderSource(MARKET_DATA))


async def test_a_due_slot_is_posted_once_and_the_next_week_is_planned(services, fake) -> None:
    sub = subscribe(services, fake())
    poster = RecordingPoster()
    s = scheduler(services, poster, fake, config=PLANNING)
    assert await s.tick() == SLOT  # nothing due yet: sleep until Friday 18:00 New York
    assert poster.posts == []
    fake.set(SLOT + timedelta(seconds=2))
    assert await s.tick() == datetime(2025, 3, 14, 22, 0, tzinfo=UTC)  # EDT from the 9th
    assert await s.tick() == datetime(2025, 3, 14, 22, 0, tzinfo=UTC)
    nonce = f"s{sub.id}-{int(SLOT.timestamp())}"
    assert poster.posts == [(CHANNEL, "summary of china-titans,mag7", nonce)]
    row = services.subscriptions.post(sub.id, SLOT)
    assert row is not None and (row.status, row.message_id, row.attempts) == ("posted", 5001, 1)


async def test_catch_up_within_six_hours_skip_after_never_a_burst(services, fake) -> None:
    """The bot was down for five weeks; each scheduler starts once, late by 5h59 or 6h01."""
    store = services.subscriptions
    early = subscribe(services, SLOT - timedelta(weeks=5))
    poster = RecordingPoster()
    fake.set(SLOT + timedelta(hours=5, minutes=59))
    await scheduler(services, poster, fake).tick()
    assert len(poster.posts) == 1  # the latest slot only: no burst of four old ones
    assert [p.slot for p in store.posts(early.id)] == [SLOT]

    store.remove(GUILD, early.id)
    late = subscribe(services, SLOT - timedelta(weeks=5))
    fake.set(SLOT + timedelta(hours=6, minutes=1))
    with_logs = scheduler(services, poster, fake)
    await with_logs.tick()
    assert len(poster.posts) == 1
    (row,) = store.posts(late.id)
    assert (row.slot, row.status) == (SLOT, "skipped") and "late" in (row.error or "")
    # The next week is posted normally.
    fake.set(datetime(2025, 3, 14, 22, 0, 30, tzinfo=UTC))
    await with_logs.tick()
    assert len(poster.posts) == 2


async def test_subscribing_after_this_weeks_slot_waits_for_next_week(services, fake) -> None:
    fake.set(SLOT + timedelta(minutes=30))
    subscribe(services, fake())
    poster = RecordingPoster()
    s = scheduler(services, poster, fake, config=PLANNING)
    assert await s.tick() == SLOT + timedelta(days=7, hours=-1)
    assert poster.posts == []


async def test_exactly_once_after_a_crash_between_claim_and_post(services, fake) -> None:
    sub = subscribe(services, fake())
    fake.set(SLOT)
    dying = RecordingPoster()
    dying.block = asyncio.Event()
    first = scheduler(services, dying, fake, sleep=fake.sleep)
    first.start()
    while dying.attempts == 0:  # claimed, summary built, now inside the post call
        await asyncio.sleep(0.01)
    await first.stop()  # the process dies before Discord answered
    row = services.subscriptions.post(sub.id, SLOT)
    assert row is not None and (row.status, row.claimed_by) == ("claimed", first.worker)

    restarted = RecordingPoster()
    second = scheduler(services, restarted, fake)
    fake.set(SLOT + timedelta(minutes=1))
    # The claim's lease has not expired: nothing yet; wake when it does.
    assert await second.tick() == SLOT + CONFIG.lease
    assert restarted.posts == []
    fake.set(SLOT + CONFIG.lease)
    await second.tick()
    assert len(restarted.posts) == 1
    # The same nonce as the first attempt: Discord drops a duplicate of a post that did go out.
    assert restarted.posts[0][2] == f"s{sub.id}-{int(SLOT.timestamp())}"
    row = services.subscriptions.post(sub.id, SLOT)
    assert row is not None and (row.status, row.attempts) == ("posted", 2)
    # A restart after the post does nothing for this slot.
    third = RecordingPoster()
    fake.set(SLOT + timedelta(hours=1))
    await scheduler(services, third, fake).tick()
    assert third.posts == [] and len(dying.posts + restarted.posts) == 1


async def test_two_schedulers_on_one_database_post_each_slot_once(
    tmp_path: Path, services, fake
) -> None:
    subs = [subscribe(services, fake(), guild=GUILD + i) for i in range(6)]
    other = other_process(tmp_path, services)
    try:
        posters = [RecordingPoster(), RecordingPoster()]
        pair = [scheduler(services, posters[0], fake), scheduler(other, posters[1], fake)]
        for week in range(3):  # 23:00 UTC: on time, then an hour after the EDT slots
            fake.set(SLOT + timedelta(weeks=week))
            await asyncio.gather(*(s.tick() for s in pair), *(s.tick() for s in pair))
        assert len(posters[0].posts) + len(posters[1].posts) == 3 * len(subs)
        nonces = [n for p in posters for _, _, n in p.posts]
        assert len(set(nonces)) == len(nonces)
        for sub in subs:
            rows = other.subscriptions.posts(sub.id)
            assert [r.status for r in rows] == ["posted"] * 3
    finally:
        other.close()


async def test_failed_posts_retry_with_backoff_within_the_slot(services, fake) -> None:
    sub = subscribe(services, fake())
    store = services.subscriptions
    poster = RecordingPoster([PostError("Discord error 503"), PostError("Discord error 500")])
    s = scheduler(services, poster, fake)
    fake.set(SLOT)
    assert await s.tick() == SLOT + timedelta(seconds=60)
    row = store.post(sub.id, SLOT)
    assert row is not None and (row.status, row.error) == ("retry", "Discord error 503")
    fake.set(SLOT + timedelta(seconds=30))
    await s.tick()
    assert poster.attempts == 1  # not before its time
    fake.set(SLOT + timedelta(seconds=60))
    assert await s.tick() == SLOT + timedelta(seconds=60 + 300)
    fake.set(SLOT + timedelta(seconds=360))
    await s.tick()
    row = store.post(sub.id, SLOT)
    assert row is not None and (row.status, row.attempts, row.error) == ("posted", 3, None)
    assert len(poster.posts) == 1 and store.get(sub.id).failed_weeks == 0


async def test_a_summary_that_cannot_be_computed_is_retried_too(services, fake) -> None:
    sub = subscribe(services, fake())
    calls = []

    def flaky(services, guild_id, baskets):
        calls.append(1)
        if len(calls) == 1:
            raise NoDataError("Yahoo rate limited")
        return fake_build(services, guild_id, baskets)

    poster = RecordingPoster()
    s = SummaryScheduler(services, poster, clock=fake, build=flaky)
    fake.set(SLOT)
    await s.tick()
    row = services.subscriptions.post(sub.id, SLOT)
    assert row is not None and "could not be computed: Yahoo rate limited" in (row.error or "")
    fake.set(SLOT + timedelta(minutes=1))
    await s.tick()
    assert len(poster.posts) == 1


async def test_a_bug_in_the_summary_is_kept_as_an_error_id_not_its_message(
    services, fake, caplog: pytest.LogCaptureFixture
) -> None:
    """/summary list shows a post's error: a bug there is an id, its cause only in the log."""
    sub = subscribe(services, fake())

    def broken(services, guild_id, baskets):
        raise RuntimeError("secret internals")

    s = SummaryScheduler(services, RecordingPoster(), clock=fake, build=broken)
    fake.set(SLOT)
    await s.tick()
    row = services.subscriptions.post(sub.id, SLOT)
    assert row is not None and row.status == "retry"
    found = re.fullmatch(
        r"something went wrong on our side \(error id ([0-9a-f]{8})\)", row.error or ""
    )
    assert found is not None, row.error
    logged = [r for r in caplog.records if found.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert str(logged[0].exc_info[1]) == "secret internals"


async def run_week_until_settled(s: SummaryScheduler, fake: FakeTime, slot: datetime) -> None:
    fake.set(slot)
    wake = await s.tick()
    while wake < slot + CONFIG.grace and wake < slot + timedelta(days=1):
        fake.set(wake)
        wake = await s.tick()


async def test_three_failed_weeks_pause_the_subscription(services, fake) -> None:
    sub = subscribe(services, fake())
    store = services.subscriptions
    poster = RecordingPoster([PostError("missing permission (Discord 403)")] * 100)
    s = scheduler(services, poster, fake)
    slots = [SLOT] + [datetime(2025, 3, d, 22, tzinfo=UTC) for d in (14, 21)]
    for week, slot in enumerate(slots):
        await run_week_until_settled(s, fake, slot)
        row = store.post(sub.id, slot)
        assert row is not None and (row.status, row.attempts) == ("failed", 5)
        assert store.get(sub.id).failed_weeks == week + 1
    paused = store.get(sub.id)
    assert paused.paused and "3 failed weeks" in paused.paused_reason
    attempts = poster.attempts
    await run_week_until_settled(s, fake, datetime(2025, 4, 4, 22, tzinfo=UTC))
    assert poster.attempts == attempts == 15  # paused: no more attempts


async def test_each_shard_handles_only_its_servers(services, fake) -> None:
    guilds = [GUILD + (i << 22) for i in range(8)]  # the shard is in the id's high bits
    for g in guilds:
        subscribe(services, fake(), guild=g)
    posters = {0: RecordingPoster(), 1: RecordingPoster()}
    shards = {
        i: scheduler(services, posters[i], fake, shard_ids={i}, shard_count=2) for i in (0, 1)
    }
    fake.set(SLOT)
    for s in shards.values():
        await s.tick()
    store = services.subscriptions
    by_shard = {i: 0 for i in (0, 1)}
    for sub in store.active():
        by_shard[shard_of(sub.guild_id, 2)] += 1
    assert len(posters[0].posts) == by_shard[0] and len(posters[1].posts) == by_shard[1]
    assert min(by_shard.values()) > 0 and sum(by_shard.values()) == len(guilds)


async def test_ambiguous_local_time_posts_once_across_the_fall_back(services) -> None:
    rule = WeeklyRule(6, 1, 30, "Europe/London")  # Sunday 01:30 happens twice on 26 Oct
    clock = FakeTime(datetime(2025, 10, 20, tzinfo=UTC))
    subscribe(services, clock(), rule=rule)
    poster = RecordingPoster()
    s = scheduler(services, poster, clock)
    for hhmm in ((0, 30), (1, 0), (1, 30), (2, 0)):  # both 01:30s and after
        clock.set(datetime(2025, 10, 26, *hhmm, tzinfo=UTC))
        await s.tick()
    assert len(poster.posts) == 1


async def test_manual_send_is_posted_and_is_not_a_failed_week(services, fake) -> None:
    sub = subscribe(services, fake())
    store = services.subscriptions
    poster = RecordingPoster([PostError("Discord error 403")] * 5)
    s = scheduler(services, poster, fake)
    slot = store.request_manual(sub.id, fake())
    await run_week_until_settled(s, fake, slot)
    assert store.post(sub.id, slot).status == "failed" and store.get(sub.id).failed_weeks == 0
    slot = store.request_manual(sub.id, fake())
    await s.tick()
    assert store.post(sub.id, slot).status == "posted" and len(poster.posts) == 1


async def test_the_loop_sleeps_until_due_and_wakes_when_subscriptions_change(
    services, fake
) -> None:
    poster = RecordingPoster()
    s = scheduler(services, poster, fake, sleep=fake.sleep, worker="loop")
    fake.set(SLOT - timedelta(minutes=30))
    s.start()
    try:
        # Nothing subscribed: it sleeps the longest allowed, then re-reads the database.
        assert await fake.wait_sleeping() == fake() + CONFIG.max_sleep
        # A command in a worker thread subscribes: the loop wakes and sleeps until the slot.
        worker = threading.Thread(target=subscribe, args=(services, fake()))
        worker.start()
        worker.join()
        while fake.sleeping_until != [SLOT]:
            await asyncio.sleep(0.005)
        assert poster.posts == []
        fake.set(SLOT)
        while not poster.posts:
            await asyncio.sleep(0.005)
        assert await fake.wait_sleeping() == SLOT + CONFIG.max_sleep
        assert len(poster.posts) == 1
    finally:
        await s.stop()
    assert not services.subscriptions.has_listeners


def test_shards_of_the_bot_process() -> None:
    import discord

    from bot.scheduler import bot_shards

    intents = discord.Intents(guilds=True)
    assert bot_shards(discord.Client(intents=intents)) == (None, 1)
    assert bot_shards(discord.Client(intents=intents, shard_id=1, shard_count=4)) == ({1}, 4)
    sharded = discord.AutoShardedClient(intents=intents, shard_ids=[0, 2], shard_count=4)
    assert bot_shards(sharded) == ({0, 2}, 4)
    assert bot_shards(discord.AutoShardedClient(intents=intents)) == (None, 1)
