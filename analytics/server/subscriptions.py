"""Weekly-summary subscriptions and the ledger of their slots, in the cache database.

Why a ledger: posting "exactly once per week, restarts or not" needs a durable record of
which slot is owned by whom. Before a worker posts slot S of subscription N it inserts
``(N, S)`` into ``summary_posts`` inside ``BEGIN IMMEDIATE``; the UNIQUE constraint lets
one insert win, across threads, processes and restarts. The row then moves through

    claimed -> posted | retry -> claimed ... | failed | skipped

A claim is a lease: a worker that dies between claiming and finishing leaves ``claimed``
with an old ``claimed_at``, and another worker (or the restarted one) may take it over
once the lease has expired. Every finishing write names the owner, so a worker whose lease
was taken over cannot overwrite the new owner's outcome.

Stores are shared per :class:`~analytics.data.cache.Cache` (:func:`store_for`), so a command
that changes subscriptions in a worker thread can wake the scheduler of the same process
through :meth:`SubscriptionStore.add_listener` without knowing it exists.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from analytics.data.cache import Cache
from analytics.errors import UserInputError
from analytics.server.schedule import WeeklyRule, slot_key

MAX_PER_SERVER = 10
MAX_BASKETS = 4
#: A post that fails in this many consecutive weeks pauses its subscription.
FAILED_WEEKS_TO_PAUSE = 3

_COLUMNS = (
    "id, guild_id, channel_id, baskets, weekday, hour, minute, timezone, created_by, "
    "created_at, active_since, failed_weeks, paused_at, paused_reason"
)
_POST_COLUMNS = (
    "p.subscription_id, p.slot_utc, p.kind, p.status, p.claimed_by, p.claimed_at, p.attempts, "
    "p.next_attempt_at, p.message_id, p.error, p.updated_at, s.guild_id"
)


def ts(moment: datetime) -> str:
    """Timestamps are stored as fixed-width UTC ISO to the second (comparable as text)."""
    return slot_key(moment)


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    guild_id: int
    channel_id: int
    baskets: tuple[str, ...]
    rule: WeeklyRule
    created_by: int | None
    created_at: datetime
    #: Slots before this instant are never posted (no post for the slot that passed an
    #: hour before someone subscribed, nor for weeks spent paused).
    active_since: datetime
    failed_weeks: int = 0
    paused_at: datetime | None = None
    paused_reason: str | None = None

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "guild_id": self.guild_id,
            "channel_id": self.channel_id,
            "baskets": list(self.baskets),
            "day": self.rule.weekday,
            "time": self.rule.time_text,
            "timezone": self.rule.timezone,
            "created_at": ts(self.created_at),
            "failed_weeks": self.failed_weeks,
            "paused": self.paused,
            "paused_reason": self.paused_reason,
        }


@dataclass(frozen=True, slots=True)
class PostRecord:
    """One row of the ledger: a subscription's slot and what became of it."""

    subscription_id: int
    slot: datetime
    kind: str
    status: str
    claimed_by: str | None
    claimed_at: datetime | None
    attempts: int
    next_attempt_at: datetime | None
    message_id: int | None
    error: str | None
    updated_at: datetime
    guild_id: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "slot_utc": ts(self.slot),
            "kind": self.kind,
            "status": self.status,
            "attempts": self.attempts,
            "message_id": self.message_id,
            "error": self.error,
        }


def _subscription(r: tuple[Any, ...]) -> Subscription:
    rule = WeeklyRule(r[4], r[5], r[6], r[7])
    return Subscription(r[0], r[1], r[2], tuple(json.loads(r[3])), rule, r[8], _dt(r[9]),
                        _dt(r[10]), r[11], _dt(r[12]), r[13])  # type: ignore[arg-type]  # fmt: skip


def _post(r: tuple[Any, ...]) -> PostRecord:
    return PostRecord(r[0], _dt(r[1]), r[2], r[3], r[4], _dt(r[5]), r[6], _dt(r[7]), r[8],
                      r[9], _dt(r[10]), r[11])  # type: ignore[arg-type]  # fmt: skip


class SubscriptionStore:
    """Subscriptions and their slot ledger; every write is one IMMEDIATE transaction."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    # -- change notification ------------------------------------------------------------
    def add_listener(self, listener: Callable[[], None]) -> None:
        """``listener()`` runs (in the writer's thread) after every change; it must be
        thread-safe and quick (the scheduler's is ``loop.call_soon_threadsafe``)."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    @property
    def has_listeners(self) -> bool:
        """True while a scheduler in this process is running on this database."""
        with self._lock:
            return bool(self._listeners)

    def notify(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    # -- subscriptions ------------------------------------------------------------------
    def add(
        self,
        guild_id: int,
        channel_id: int,
        baskets: list[str],
        rule: WeeklyRule,
        user_id: int | None,
        now: datetime,
    ) -> Subscription:
        if not 1 <= len(baskets) <= MAX_BASKETS:
            raise UserInputError(f"A summary covers 1 to {MAX_BASKETS} baskets.")
        with self.cache.transaction() as conn:
            (count,) = conn.execute(
                "SELECT count(*) FROM summary_subscriptions WHERE guild_id = ?", (guild_id,)
            ).fetchone()
            if count >= MAX_PER_SERVER:
                raise UserInputError(
                    f"This server already has {count} summary subscriptions (the most allowed); "
                    "remove one with /summary unsubscribe first."
                )
            cur = conn.execute(
                "INSERT INTO summary_subscriptions (guild_id, channel_id, baskets, weekday, hour, "
                "minute, timezone, created_by, created_at, active_since, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    guild_id, channel_id, json.dumps(baskets), rule.weekday, rule.hour,
                    rule.minute, rule.timezone, user_id, ts(now), ts(now), ts(now),
                ),
            )  # fmt: skip
            sub_id = int(cur.lastrowid or 0)
        self.notify()
        found = self.get(sub_id)
        assert found is not None
        return found

    def _subs(self, where: str, args: tuple[Any, ...] = ()) -> list[Subscription]:
        sql = f"SELECT {_COLUMNS} FROM summary_subscriptions WHERE {where} ORDER BY id"  # noqa: S608
        return [_subscription(r) for r in self.cache.connection().execute(sql, args)]

    def get(self, sub_id: int) -> Subscription | None:
        found = self._subs("id = ?", (sub_id,))
        return found[0] if found else None

    def list(self, guild_id: int) -> list[Subscription]:
        return self._subs("guild_id = ?", (guild_id,))

    def active(self) -> list[Subscription]:
        return self._subs("paused_at IS NULL")

    def remove(self, guild_id: int, sub_id: int) -> Subscription:
        """Delete a subscription of this server (its ledger rows go with it)."""
        found = self.owned(guild_id, sub_id)
        with self.cache.transaction() as conn:
            conn.execute("DELETE FROM summary_posts WHERE subscription_id = ?", (sub_id,))
            conn.execute("DELETE FROM summary_subscriptions WHERE id = ?", (sub_id,))
        self.notify()
        return found

    def owned(self, guild_id: int, sub_id: int) -> Subscription:
        """This server's subscription ``sub_id``, or the error listing the server's ids."""
        found = self.get(sub_id)
        if found is None or found.guild_id != guild_id:
            raise self.unknown(guild_id, sub_id)
        return found

    def unknown(self, guild_id: int, sub_id: int) -> UserInputError:
        ids = [str(s.id) for s in self.list(guild_id)]
        mine = ", ".join(ids) if ids else "none yet"
        return UserInputError(
            f"No summary subscription {sub_id} on this server (this server's: {mine}). "
            "/summary list shows them."
        )

    # -- the ledger ---------------------------------------------------------------------
    def _posts(self, where: str, args: tuple[Any, ...] = ()) -> list[PostRecord]:
        sql = (
            f"SELECT {_POST_COLUMNS} FROM summary_posts p JOIN summary_subscriptions s "  # noqa: S608
            f"ON s.id = p.subscription_id WHERE {where} ORDER BY p.slot_utc"
        )
        return [_post(r) for r in self.cache.connection().execute(sql, args)]

    def post(self, sub_id: int, slot: datetime) -> PostRecord | None:
        found = self._posts("p.subscription_id = ? AND p.slot_utc = ?", (sub_id, ts(slot)))
        return found[0] if found else None

    def posts(self, sub_id: int) -> list[PostRecord]:
        """Every ledger row of a subscription, oldest slot first."""
        return self._posts("p.subscription_id = ?", (sub_id,))

    def last_post(self, sub_id: int) -> PostRecord | None:
        rows = self.posts(sub_id)
        return max(rows, key=lambda p: (p.updated_at, p.slot)) if rows else None

    def claim(
        self, sub_id: int, slot: datetime, worker: str, now: datetime, kind: str = "weekly"
    ) -> PostRecord | None:
        """Claim a slot nobody has touched: the row, or None if it already exists.

        ``INSERT OR IGNORE`` under ``BEGIN IMMEDIATE``: of any number of concurrent claims
        of one slot, exactly one inserts.
        """
        with self.cache.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO summary_posts (subscription_id, slot_utc, kind, claimed_by, "
                "claimed_at, status, attempts, updated_at) "
                "SELECT id, ?, ?, ?, ?, 'claimed', 1, ? FROM summary_subscriptions WHERE id = ?",
                (ts(slot), kind, worker, ts(now), ts(now), sub_id),
            )
            won = cur.rowcount == 1
        return self.post(sub_id, slot) if won else None

    def skip(self, sub_id: int, slot: datetime, reason: str, now: datetime) -> bool:
        """Record an untouched slot as skipped (too late to post); False if it existed."""
        with self.cache.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO summary_posts (subscription_id, slot_utc, kind, status, "
                "error, updated_at) SELECT id, ?, 'weekly', 'skipped', ?, ? "
                "FROM summary_subscriptions WHERE id = ?",
                (ts(slot), reason[:500], ts(now), sub_id),
            )
            return cur.rowcount == 1

    def request_manual(self, sub_id: int, now: datetime) -> datetime:
        """Queue an immediate post (``/summary send``); the scheduler picks it up as due."""
        slot = now.astimezone(UTC).replace(microsecond=0)
        with self.cache.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO summary_posts (subscription_id, slot_utc, kind, status, "
                "attempts, next_attempt_at, updated_at) VALUES (?, ?, 'manual', 'retry', 0, ?, ?)",
                (sub_id, ts(slot), ts(slot), ts(now)),
            )
        self.notify()
        return slot

    def pending(self, now: datetime, lease: timedelta) -> list[PostRecord]:
        """Rows someone may work on now: retries that are due, and claims whose lease
        expired (their worker died between claiming and finishing)."""
        rows = self._posts("p.status IN ('retry', 'claimed')")
        return [p for p in rows if self._takeable(p, now, lease)]

    def next_pending_at(self, now: datetime, lease: timedelta) -> list[tuple[int, datetime]]:
        """(guild id, when) of each retry or claim, for when it becomes takeable."""
        out = []
        for p in self._posts("p.status IN ('retry', 'claimed')"):
            when = p.next_attempt_at if p.status == "retry" else p.claimed_at
            if when is not None:
                out.append((p.guild_id, when + (lease if p.status == "claimed" else timedelta(0))))
        return out

    @staticmethod
    def _takeable(p: PostRecord, now: datetime, lease: timedelta) -> bool:
        if p.status == "retry":
            return p.next_attempt_at is None or p.next_attempt_at <= now
        if p.status == "claimed":
            return p.claimed_at is None or p.claimed_at + lease <= now
        return False

    def take_over(
        self, sub_id: int, slot: datetime, worker: str, now: datetime, lease: timedelta
    ) -> PostRecord | None:
        """Claim a due retry or an expired claim, re-checked under the write lock."""
        with self.cache.transaction() as conn:
            current = self.post(sub_id, slot)
            if current is None or not self._takeable(current, now, lease):
                return None
            conn.execute(
                "UPDATE summary_posts SET status = 'claimed', claimed_by = ?, claimed_at = ?, "
                "attempts = attempts + 1, next_attempt_at = NULL, updated_at = ? "
                "WHERE subscription_id = ? AND slot_utc = ?",
                (worker, ts(now), ts(now), sub_id, ts(slot)),
            )
        return self.post(sub_id, slot)

    def _finish(self, conn: Any, sub_id: int, slot: datetime, worker: str, sets: str,
                args: tuple[Any, ...]) -> bool:  # fmt: skip
        cur = conn.execute(
            f"UPDATE summary_posts SET {sets} WHERE subscription_id = ? AND slot_utc = ? "  # noqa: S608
            "AND status = 'claimed' AND claimed_by = ?",
            (*args, sub_id, ts(slot), worker),
        )
        return cur.rowcount == 1

    def mark_posted(
        self, sub_id: int, slot: datetime, worker: str, message_id: int, now: datetime
    ) -> bool:
        """Success: the week counts as good again, and a paused subscription resumes
        (``/summary send`` is how a server checks its fixed channel)."""
        with self.cache.transaction() as conn:
            ok = self._finish(
                conn, sub_id, slot, worker,
                "status = 'posted', message_id = ?, error = NULL, updated_at = ?",
                (message_id, ts(now)),
            )  # fmt: skip
            if ok:
                conn.execute(
                    "UPDATE summary_subscriptions SET failed_weeks = 0, updated_at = ?, "
                    "active_since = CASE WHEN paused_at IS NULL THEN active_since ELSE ? END, "
                    "paused_at = NULL, paused_reason = NULL WHERE id = ?",
                    (ts(now), ts(now), sub_id),
                )
        return ok

    def mark_retry(
        self, sub_id: int, slot: datetime, worker: str, error: str, next_at: datetime,
        now: datetime,
    ) -> bool:  # fmt: skip
        with self.cache.transaction() as conn:
            return self._finish(
                conn, sub_id, slot, worker,
                "status = 'retry', error = ?, next_attempt_at = ?, claimed_by = NULL, "
                "updated_at = ?",
                (error[:500], ts(next_at), ts(now)),
            )  # fmt: skip

    def mark_failed(
        self, sub_id: int, slot: datetime, worker: str, error: str, now: datetime
    ) -> Subscription | None:
        """Give the slot up. A weekly slot counts as a failed week; the third in a row
        pauses the subscription with the reason. Returns the subscription as it is now."""
        with self.cache.transaction() as conn:
            ok = self._finish(
                conn, sub_id, slot, worker, "status = 'failed', error = ?, updated_at = ?",
                (error[:500], ts(now)),
            )  # fmt: skip
            row = conn.execute(
                "SELECT kind FROM summary_posts WHERE subscription_id = ? AND slot_utc = ?",
                (sub_id, ts(slot)),
            ).fetchone()
            if ok and row and row[0] == "weekly":
                reason = (
                    f"paused after {FAILED_WEEKS_TO_PAUSE} failed weeks in a row; "
                    f"last error: {error[:300]}"
                )
                conn.execute(
                    "UPDATE summary_subscriptions SET failed_weeks = failed_weeks + 1, "
                    "updated_at = ?, paused_at = coalesce(paused_at, CASE WHEN "
                    "failed_weeks + 1 >= ? THEN ? END), paused_reason = coalesce(paused_reason, "
                    "CASE WHEN failed_weeks + 1 >= ? THEN ? END) WHERE id = ?",
                    (
                        ts(now),
                        FAILED_WEEKS_TO_PAUSE,
                        ts(now),
                        FAILED_WEEKS_TO_PAUSE,
                        reason,
                        sub_id,
                    ),
                )
        return self.get(sub_id)

    def mark_skipped(
        self, sub_id: int, slot: datetime, worker: str, reason: str, now: datetime
    ) -> bool:
        """A claimed slot that can no longer be posted in time (the owner found it late)."""
        with self.cache.transaction() as conn:
            return self._finish(
                conn, sub_id, slot, worker, "status = 'skipped', error = ?, updated_at = ?",
                (reason[:500], ts(now)),
            )  # fmt: skip


_STORES: weakref.WeakKeyDictionary[Cache, SubscriptionStore] = weakref.WeakKeyDictionary()
_STORES_LOCK = threading.Lock()


def store_for(cache: Cache) -> SubscriptionStore:
    """The one store of a cache in this process (so its listeners see every change)."""
    with _STORES_LOCK:
        store = _STORES.get(cache)
        if store is None:
            store = SubscriptionStore(cache)
            _STORES[cache] = store
        return store
