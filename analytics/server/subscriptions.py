"""Weekly-summary subscriptions and the ledger of their slots: the rules over the store.

Why a ledger: posting "exactly once per week, restarts or not" needs a durable record of
which slot is owned by whom. Before a worker posts slot S of subscription N it claims
``(N, S)`` in ``summary_posts``; the store's unique pair lets one claim win, across threads,
processes and restarts (:meth:`analytics.server.store.ServerStore.claim`). The row then
moves through

    claimed -> posted | retry -> claimed ... | failed | skipped

A claim is a lease: a worker that dies between claiming and finishing leaves ``claimed``
with an old ``claimed_at``, and another worker (or the restarted one) may take it over
once the lease has expired. Every finishing write names the owner, so a worker whose lease
was taken over cannot overwrite the new owner's outcome.

A process has one :class:`SubscriptionStore` (on :class:`~analytics.services.Services`), so
a command that changes subscriptions in a worker thread can wake the scheduler of the same
process through :meth:`SubscriptionStore.add_listener` without knowing it exists.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from analytics.errors import UserInputError
from analytics.server.records import PostRecord, Subscription, ts
from analytics.server.schedule import WeeklyRule
from analytics.server.store import LimitReached, NewSubscription, ServerStore

__all__ = ["MAX_BASKETS", "PostRecord", "Subscription", "SubscriptionStore", "ts"]

MAX_PER_SERVER = 10
MAX_BASKETS = 4
#: A post that fails in this many consecutive weeks pauses its subscription.
FAILED_WEEKS_TO_PAUSE = 3
#: Errors and reasons kept in the ledger are cut to this many characters.
MAX_ERROR = 500


class SubscriptionStore:
    """Subscriptions and their slot ledger over a :class:`ServerStore`; every write is
    one of the store's atomic methods."""

    def __init__(self, store: ServerStore) -> None:
        self.store = store
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
        """True while a scheduler in this process is running on this store."""
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
        new = NewSubscription(guild_id, channel_id, tuple(baskets), rule, user_id)
        try:
            found = self.store.insert_subscription(new, now, MAX_PER_SERVER)
        except LimitReached as full:
            raise UserInputError(
                f"This server already has {full.count} summary subscriptions (the most "
                "allowed); remove one with /summary unsubscribe first."
            ) from None
        self.notify()
        return found

    def get(self, sub_id: int) -> Subscription | None:
        return self.store.subscription(sub_id)

    def list(self, guild_id: int) -> list[Subscription]:
        return self.store.subscriptions(guild_id)

    def active(self) -> list[Subscription]:
        return self.store.active_subscriptions()

    def remove(self, guild_id: int, sub_id: int) -> Subscription:
        """Delete a subscription of this server (its ledger rows go with it)."""
        found = self.owned(guild_id, sub_id)
        self.store.delete_subscription(sub_id)
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
    def post(self, sub_id: int, slot: datetime) -> PostRecord | None:
        return self.store.post(sub_id, slot)

    def posts(self, sub_id: int) -> list[PostRecord]:
        """Every ledger row of a subscription, oldest slot first."""
        return self.store.posts(sub_id)

    def last_post(self, sub_id: int) -> PostRecord | None:
        rows = self.posts(sub_id)
        return max(rows, key=lambda p: (p.updated_at, p.slot)) if rows else None

    def claim(
        self, sub_id: int, slot: datetime, worker: str, now: datetime, kind: str = "weekly"
    ) -> PostRecord | None:
        """Claim a slot nobody has touched: the row, or None if it already exists.

        Of any number of concurrent claims of one slot, exactly one wins.
        """
        won = self.store.claim(sub_id, slot, worker, now, kind)
        return self.post(sub_id, slot) if won else None

    def skip(self, sub_id: int, slot: datetime, reason: str, now: datetime) -> bool:
        """Record an untouched slot as skipped (too late to post); False if it existed."""
        return self.store.skip(sub_id, slot, reason[:MAX_ERROR], now)

    def request_manual(self, sub_id: int, now: datetime) -> datetime:
        """Queue an immediate post (``/summary send``); the scheduler picks it up as due."""
        slot = now.astimezone(UTC).replace(microsecond=0)
        self.store.queue_manual(sub_id, slot, now)
        self.notify()
        return slot

    def pending(self, now: datetime, lease: timedelta) -> list[PostRecord]:
        """Rows someone may work on now: retries that are due, and claims whose lease
        expired (their worker died between claiming and finishing)."""
        return [p for p in self.store.open_posts() if self._takeable(p, now, lease)]

    def next_pending_at(self, now: datetime, lease: timedelta) -> list[tuple[int, datetime]]:
        """(guild id, when) of each retry or claim, for when it becomes takeable."""
        out = []
        for p in self.store.open_posts():
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
        taken = self.store.take_over(
            sub_id, slot, worker, now, lambda p: self._takeable(p, now, lease)
        )
        return self.post(sub_id, slot) if taken else None

    def mark_posted(
        self, sub_id: int, slot: datetime, worker: str, message_id: int, now: datetime
    ) -> bool:
        """Success: the week counts as good again, and a paused subscription resumes
        (``/summary send`` is how a server checks its fixed channel)."""
        return self.store.mark_posted(sub_id, slot, worker, message_id, now)

    def mark_retry(
        self, sub_id: int, slot: datetime, worker: str, error: str, next_at: datetime,
        now: datetime,
    ) -> bool:  # fmt: skip
        return self.store.mark_retry(sub_id, slot, worker, error[:MAX_ERROR], next_at, now)

    def mark_failed(
        self, sub_id: int, slot: datetime, worker: str, error: str, now: datetime
    ) -> Subscription | None:
        """Give the slot up. A weekly slot counts as a failed week; the third in a row
        pauses the subscription with the reason. Returns the subscription as it is now."""
        reason = (
            f"paused after {FAILED_WEEKS_TO_PAUSE} failed weeks in a row; last error: {error[:300]}"
        )
        self.store.mark_failed(
            sub_id, slot, worker, error[:MAX_ERROR], now, FAILED_WEEKS_TO_PAUSE, reason
        )
        return self.get(sub_id)

    def mark_skipped(
        self, sub_id: int, slot: datetime, worker: str, reason: str, now: datetime
    ) -> bool:
        """A claimed slot that can no longer be posted in time (the owner found it late)."""
        return self.store.mark_skipped(sub_id, slot, worker, reason[:MAX_ERROR], now)
