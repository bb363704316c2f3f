"""Two bot processes on one database (started twice by mistake): each weekly slot is still
posted exactly once.

Both are real ``marketbot run`` processes with their schedulers, each logged in to its own
Discord double (same server and channel ids), sharing the database. Subscriptions are
written straight into it, with slots that fell due a few minutes ago (the catch-up both
schedulers do as they start) — and, in the soak run, slots just ahead, which both sleep
towards and wake for at the same moment. Every message either bot posts to a channel is
counted at the doubles, and the ledger must say "posted" once per slot.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analytics.server.schedule import WeeklyRule
from analytics.server.sqlite_store import SQLiteServerStore
from analytics.server.subscriptions import SubscriptionStore
from tests.discord_double import DEFAULT_CHANNEL_ID, DEFAULT_GUILD_ID, SECOND_CHANNEL_ID
from tests.reliability import figures
from tests.reliability.test_concurrency import BotProcess, start_bot, stop, wait_ready

pytestmark = pytest.mark.timeout(240)
CHANNELS = (DEFAULT_CHANNEL_ID, SECOND_CHANNEL_ID)


def subscribe_at(db: Path, slots: list[datetime]) -> list[int]:
    """One subscription per slot (UTC wall clock), active since the day before."""
    server = SQLiteServerStore(db)
    try:
        store = SubscriptionStore(server)
        ids = []
        for i, slot in enumerate(slots):
            rule = WeeklyRule(slot.weekday(), slot.hour, slot.minute, "UTC")
            since = slot - timedelta(days=1)
            sub = store.add(DEFAULT_GUILD_ID, CHANNELS[i % 2], ["mag7"], rule, 1, since)
            ids.append(sub.id)
        return ids
    finally:
        server.close()


def ledger(db: Path) -> list[tuple[int, str, str]]:
    server = SQLiteServerStore(db)
    try:
        rows = server.file.connection().execute(
            "SELECT subscription_id, slot_utc, status FROM summary_posts ORDER BY 1, 2"
        )
        return [(r["subscription_id"], r["slot_utc"], r["status"]) for r in rows]
    finally:
        server.close()


def channel_posts(bot: BotProcess) -> dict[int, int]:
    counts = dict.fromkeys(CHANNELS, 0)
    for r in bot.threaded.double.requests.items:
        for channel in CHANNELS:
            if r.method == "POST" and r.path == f"/channels/{channel}/messages" and r.ok:
                counts[channel] += 1
    return counts


def run_two_bots(tmp_path: Path, slots: list[datetime], wait_until: datetime) -> None:
    db = tmp_path / "shared.sqlite3"
    ids = subscribe_at(db, slots)
    bots = [start_bot("bot-a", db, tmp_path, 1300000000000000001),
            start_bot("bot-b", db, tmp_path, 1300000000000000101)]  # fmt: skip
    try:
        for bot in bots:
            wait_ready(bot)
        deadline = (
            time.monotonic() + 120 + max(0.0, (wait_until - datetime.now(UTC)).total_seconds())
        )
        while time.monotonic() < deadline:
            rows = ledger(db)
            if len(rows) == len(ids) and all(r[2] == "posted" for r in rows):
                break
            time.sleep(0.25)
        time.sleep(1.0)  # a duplicate post, if any, would arrive now
        rows = ledger(db)
        per_bot = [channel_posts(bot) for bot in bots]
        posts = {c: sum(p[c] for p in per_bot) for c in CHANNELS}
    finally:
        for bot in bots:
            stop(bot)
    assert [r[0] for r in rows] == ids and all(r[2] == "posted" for r in rows), rows
    expected = {c: sum(1 for i in range(len(slots)) if CHANNELS[i % 2] == c) for c in CHANNELS}
    assert posts == expected, f"posts per channel {posts}, one per slot expected {expected}"
    for bot in bots:
        assert "summary scheduler" in bot.log_text() and "running" in bot.log_text()
        assert "Traceback" not in bot.log_text()
    figures.add("two_bots.slots", len(slots))
    for bot, counts in zip(bots, per_bot, strict=True):
        figures.add(f"two_bots.posted_by_{bot.name}", sum(counts.values()))
    figures.add("two_bots.duplicate_posts", sum(posts.values()) - len(slots))


def test_two_bots_catch_up_each_missed_slot_once(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    slots = [now - timedelta(minutes=m) for m in range(2, 8)]
    run_two_bots(tmp_path, slots, now)


@pytest.mark.soak
def test_two_bots_waking_for_the_same_slot_post_it_once(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    slot = (now + timedelta(seconds=75)).replace(second=0, microsecond=0)
    run_two_bots(tmp_path, [slot, slot + timedelta(minutes=1)], slot + timedelta(minutes=1))
