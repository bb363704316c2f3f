"""The subscription store and its slot ledger: exclusive claims, leases, failure counting."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analytics.errors import UserInputError
from analytics.server.schedule import WeeklyRule
from analytics.server.subscriptions import FAILED_WEEKS_TO_PAUSE, MAX_PER_SERVER, SubscriptionStore

REPO = Path(__file__).resolve().parents[3]
NOW = datetime(2025, 3, 7, 12, 0, tzinfo=UTC)
SLOT = datetime(2025, 3, 7, 23, 0, tzinfo=UTC)
RULE = WeeklyRule(4, 18, 0, "America/New_York")
LEASE = timedelta(minutes=15)
GUILD = 1300000000000000010


@pytest.fixture
def store(open_store) -> SubscriptionStore:
    return SubscriptionStore(open_store())


def test_add_list_remove_and_ownership(store: SubscriptionStore) -> None:
    changes: list[int] = []
    store.add_listener(lambda: changes.append(1))
    sub = store.add(GUILD, 11, ["china-titans", "mag7"], RULE, 5, NOW)
    assert (sub.guild_id, sub.channel_id, sub.baskets, sub.rule) == (
        GUILD, 11, ("china-titans", "mag7"), RULE,
    )  # fmt: skip
    assert sub.created_at == sub.active_since == NOW and not sub.paused
    assert [s.id for s in store.list(GUILD)] == [sub.id] and store.list(GUILD + 1) == []
    with pytest.raises(UserInputError, match="No summary subscription"):
        store.remove(GUILD + 1, sub.id)  # another server's id
    store.claim(sub.id, SLOT, "w1", NOW)
    store.remove(GUILD, sub.id)
    assert store.get(sub.id) is None and store.posts(sub.id) == []
    assert len(changes) == 2  # add and remove woke listeners


def test_per_server_limit(store: SubscriptionStore) -> None:
    for _ in range(MAX_PER_SERVER):
        store.add(GUILD, 11, ["mag7"], RULE, None, NOW)
    with pytest.raises(UserInputError, match="most allowed"):
        store.add(GUILD, 11, ["mag7"], RULE, None, NOW)
    store.add(GUILD + 1, 12, ["mag7"], RULE, None, NOW)  # other servers are unaffected


def test_a_slot_is_claimed_once_among_competing_connections(open_store) -> None:
    """Eight threads with their own store (own connections, like processes) race."""
    sub = SubscriptionStore(open_store()).add(GUILD, 11, ["mag7"], RULE, None, NOW)
    stores = [SubscriptionStore(open_store()) for _ in range(8)]
    barrier = threading.Barrier(len(stores))
    wins: list[str] = []

    def race(i: int) -> None:
        barrier.wait()
        if stores[i].claim(sub.id, SLOT, f"w{i}", NOW) is not None:
            wins.append(f"w{i}")

    threads = [threading.Thread(target=race, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    (row,) = stores[0].posts(sub.id)
    assert (row.status, row.claimed_by, row.attempts) == ("claimed", wins[0], 1)


CLAIM_SCRIPT = """
import sys
from datetime import datetime
from analytics.services import open_server_store
from analytics.server.subscriptions import SubscriptionStore
store = SubscriptionStore(open_server_store(sys.argv[1]))
sys.stdin.readline()  # start together
won = store.claim(int(sys.argv[2]), datetime.fromisoformat(sys.argv[3]), sys.argv[4],
                  datetime.fromisoformat(sys.argv[3]))
print("won" if won else "lost")
"""


def test_a_slot_is_claimed_once_among_processes(open_store, store_target: str) -> None:
    path = store_target
    sub = SubscriptionStore(open_store()).add(GUILD, 11, ["mag7"], RULE, None, NOW)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIM_SCRIPT, str(path), str(sub.id), SLOT.isoformat(), f"p{i}"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for i in range(4)
    ]
    outputs = [p.communicate("go\n", timeout=60)[0].strip() for p in procs]
    assert sorted(outputs) == ["lost", "lost", "lost", "won"]
    (row,) = SubscriptionStore(open_store()).posts(sub.id)
    assert row.status == "claimed"


def test_an_expired_claim_is_taken_over_and_the_old_owner_cannot_finish(
    store: SubscriptionStore,
) -> None:
    sub = store.add(GUILD, 11, ["mag7"], RULE, None, NOW)
    assert store.claim(sub.id, SLOT, "dead", SLOT) is not None
    assert store.claim(sub.id, SLOT, "other", SLOT) is None  # the slot exists
    soon = SLOT + LEASE - timedelta(seconds=1)
    assert store.pending(soon, LEASE) == []
    assert store.take_over(sub.id, SLOT, "heir", soon, LEASE) is None  # lease still valid
    later = SLOT + LEASE
    assert [p.claimed_by for p in store.pending(later, LEASE)] == ["dead"]
    taken = store.take_over(sub.id, SLOT, "heir", later, LEASE)
    assert taken is not None and (taken.claimed_by, taken.attempts) == ("heir", 2)
    assert store.take_over(sub.id, SLOT, "third", later, LEASE) is None
    assert store.mark_posted(sub.id, SLOT, "dead", 999, later) is False  # not the owner
    assert store.mark_posted(sub.id, SLOT, "heir", 1234, later) is True
    row = store.post(sub.id, SLOT)
    assert row is not None and (row.status, row.message_id) == ("posted", 1234)
    assert store.pending(later + timedelta(days=1), LEASE) == []


def test_retry_becomes_pending_at_its_time(store: SubscriptionStore) -> None:
    sub = store.add(GUILD, 11, ["mag7"], RULE, None, NOW)
    store.claim(sub.id, SLOT, "w", SLOT)
    at = SLOT + timedelta(minutes=1)
    assert store.mark_retry(sub.id, SLOT, "w", "Discord 403", at, SLOT)
    assert store.pending(at - timedelta(seconds=1), LEASE) == []
    assert store.next_pending_at(SLOT, LEASE) == [(GUILD, at)]
    (due,) = store.pending(at, LEASE)
    assert (due.status, due.error, due.attempts) == ("retry", "Discord 403", 1)


def test_three_failed_weeks_pause_and_a_success_resumes(store: SubscriptionStore) -> None:
    sub = store.add(GUILD, 11, ["mag7"], RULE, None, NOW)
    slots = [SLOT + timedelta(weeks=i) for i in range(FAILED_WEEKS_TO_PAUSE)]
    # A manual send's failure is not a failed week.
    manual = store.request_manual(sub.id, NOW)
    store.take_over(sub.id, manual, "w", NOW, LEASE)
    after = store.mark_failed(sub.id, manual, "w", "Discord 403", NOW)
    assert after is not None and after.failed_weeks == 0
    for i, slot in enumerate(slots):
        store.claim(sub.id, slot, "w", slot)
        after = store.mark_failed(sub.id, slot, "w", "missing permission (Discord 403)", slot)
        assert after is not None and after.failed_weeks == i + 1
    assert after.paused and "3 failed weeks" in (after.paused_reason or "")
    assert "Discord 403" in (after.paused_reason or "")
    assert store.active() == []
    # /summary send on the paused subscription: success resumes it from now on.
    fixed = slots[-1] + timedelta(days=2)
    slot = store.request_manual(sub.id, fixed)
    store.take_over(sub.id, slot, "w", fixed, LEASE)
    assert store.mark_posted(sub.id, slot, "w", 77, fixed)
    resumed = store.get(sub.id)
    assert resumed is not None and not resumed.paused and resumed.failed_weeks == 0
    assert resumed.active_since == fixed


def test_skip_is_recorded_once(store: SubscriptionStore) -> None:
    sub = store.add(GUILD, 11, ["mag7"], RULE, None, NOW)
    assert store.skip(sub.id, SLOT, "7 hours late", SLOT + timedelta(hours=7))
    assert not store.skip(sub.id, SLOT, "again", SLOT + timedelta(hours=8))
    assert store.claim(sub.id, SLOT, "w", SLOT) is None
    (row,) = store.posts(sub.id)
    assert (row.status, row.error) == ("skipped", "7 hours late")


def test_claim_of_a_deleted_subscription_claims_nothing(store: SubscriptionStore) -> None:
    sub = store.add(GUILD, 11, ["mag7"], RULE, None, NOW)
    store.remove(GUILD, sub.id)
    assert store.claim(sub.id, SLOT, "w", NOW) is None
