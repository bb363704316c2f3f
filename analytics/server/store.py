"""The server store: what every server's users made (setting ``MARKETBOT_DB``).

Baskets, weekly-summary subscriptions and the ledger of their slots are users' data: unlike
the market cache (:mod:`analytics.data.cache`) they cannot be fetched again, so they live
in a store of their own that deleting the cache never touches.

:class:`ServerStore` is the contract; :class:`~analytics.server.sqlite_store.SQLiteServerStore`
is the SQLite implementation, and a PostgreSQL one is a second subclass. The code above it
(:class:`~analytics.server.baskets.BasketStore`,
:class:`~analytics.server.subscriptions.SubscriptionStore`) holds every rule and message and
only calls these methods, so an implementation is storage and nothing else.

What every implementation promises:

* **Schema.** Opening the store applies :data:`analytics.server.migrations.MIGRATIONS` that
  it has not applied yet, each once, even when several processes open it at the same moment;
  :attr:`ServerStore.schema_version` is how many are applied.
* **Atomic methods.** Each method is one transaction: it happens entirely or not at all, and
  a method that reads then writes (:meth:`~ServerStore.update_basket`,
  :meth:`~ServerStore.insert_subscription`, :meth:`~ServerStore.take_over`) does so with no
  other writer in between, across threads and processes.
* **Claims.** Of any number of concurrent :meth:`~ServerStore.claim` calls for one slot,
  exactly one returns True (the ledger's unique ``(subscription_id, slot_utc)``).
* **Owner-checked finishing writes.** ``mark_*`` change a row only while it is ``claimed`` by
  the worker named, so a worker whose lease was taken over cannot overwrite the new owner.
* **Values out.** Reads return :mod:`analytics.server.records` values, never rows; the
  instants are timezone-aware UTC, stored as :func:`~analytics.server.records.ts` text.
* **Thread-safe**, with :meth:`ServerStore.close` releasing every connection.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from analytics.server.records import Basket, PostRecord, Subscription, ts
from analytics.server.schedule import WeeklyRule


class LimitReached(Exception):
    """:meth:`ServerStore.insert_subscription` found the server at its limit."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} subscriptions already")
        self.count = count


@dataclass(frozen=True, slots=True)
class NewSubscription:
    """What :meth:`ServerStore.insert_subscription` needs; the store numbers it."""

    guild_id: int
    channel_id: int
    baskets: tuple[str, ...]
    rule: WeeklyRule
    created_by: int | None


class ServerStore(ABC):
    """Users' data of every server. See the module docstring for the contract."""

    #: The engine's name, for /about and logs ("sqlite", "postgresql").
    engine: str = ""

    # -- lifecycle ----------------------------------------------------------------------
    @property
    @abstractmethod
    def location(self) -> str:
        """Where the data is, for people (a path, or a URL without its password)."""

    @property
    @abstractmethod
    def schema_version(self) -> int:
        """How many of the migrations this store has applied."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[object]:
        """``with store.transaction():`` — the methods called inside commit together.

        A transaction opened inside another joins it. An exception rolls everything back.
        """

    @abstractmethod
    def close(self) -> None:
        """Release every connection; the store is not used afterwards."""

    # -- baskets ------------------------------------------------------------------------
    @abstractmethod
    def basket(self, guild_id: int, name: str) -> Basket | None:
        """The server's basket of that (normalised, lower-case) name."""

    @abstractmethod
    def baskets(self, guild_id: int) -> list[Basket]:
        """The server's baskets, by name."""

    @abstractmethod
    def insert_basket(self, basket: Basket, now: datetime) -> bool:
        """Store a new basket; False (and nothing written) if the name is taken."""

    @abstractmethod
    def update_basket(
        self, guild_id: int, name: str, change: Callable[[list[str]], list[str]], now: datetime
    ) -> Basket | None:
        """Replace the members by ``change(old_members)``, with no writer in between.

        None if there is no such basket. If ``change`` raises, nothing is written and the
        exception propagates.
        """

    @abstractmethod
    def delete_basket(self, guild_id: int, name: str) -> bool:
        """Delete the basket; False if there was none."""

    # -- subscriptions ------------------------------------------------------------------
    @abstractmethod
    def insert_subscription(
        self, new: NewSubscription, now: datetime, max_per_server: int
    ) -> Subscription:
        """Store a subscription active from ``now`` and return it with its new id.

        Raises :class:`LimitReached` (writing nothing) if the server already has
        ``max_per_server``; the count and the insert see no other writer in between.
        """

    @abstractmethod
    def subscription(self, sub_id: int) -> Subscription | None: ...

    @abstractmethod
    def subscriptions(self, guild_id: int) -> list[Subscription]:
        """The server's subscriptions, by id."""

    @abstractmethod
    def active_subscriptions(self) -> list[Subscription]:
        """Every server's subscriptions that are not paused, by id."""

    @abstractmethod
    def delete_subscription(self, sub_id: int) -> None:
        """Delete a subscription and its ledger rows."""

    # -- the ledger ---------------------------------------------------------------------
    @abstractmethod
    def post(self, sub_id: int, slot: datetime) -> PostRecord | None: ...

    @abstractmethod
    def posts(self, sub_id: int) -> list[PostRecord]:
        """Every ledger row of a subscription, oldest slot first."""

    @abstractmethod
    def open_posts(self) -> list[PostRecord]:
        """Every ledger row someone may still work on (status ``retry`` or ``claimed``)."""

    @abstractmethod
    def _insert_post(self, sub_id: int, slot: datetime, now: datetime, **row: Any) -> bool:
        """Insert a ledger row for an existing subscription unless the slot has one; True
        for exactly one of any number of concurrent inserts (the engine's atomic insert on
        the unique (subscription, slot) pair). ``row`` gives kind, status and the rest."""

    def claim(self, sub_id: int, slot: datetime, worker: str, now: datetime, kind: str) -> bool:
        """Insert the slot as ``claimed`` by ``worker`` (attempt 1) if it has no row yet.

        True for exactly one of any number of concurrent claims; False if the row existed
        or the subscription does not.
        """
        return self._insert_post(
            sub_id, slot, now, kind=kind, status="claimed", claimed_by=worker,
            claimed_at=ts(now), attempts=1,
        )  # fmt: skip

    def skip(self, sub_id: int, slot: datetime, reason: str, now: datetime) -> bool:
        """Insert an untouched weekly slot as ``skipped``; False if its row existed."""
        return self._insert_post(sub_id, slot, now, kind="weekly", status="skipped", error=reason)

    def queue_manual(self, sub_id: int, slot: datetime, now: datetime) -> None:
        """Insert a ``manual`` slot as a ``retry`` due at ``slot`` (no-op if it exists)."""
        self._insert_post(
            sub_id, slot, now, kind="manual", status="retry", next_attempt_at=ts(slot)
        )

    @abstractmethod
    def take_over(
        self,
        sub_id: int,
        slot: datetime,
        worker: str,
        now: datetime,
        may_take: Callable[[PostRecord], bool],
    ) -> bool:
        """Claim an existing row for ``worker`` (one more attempt) if ``may_take(row)``.

        The row is read and rewritten with no writer in between, so of two workers taking
        over one row only one succeeds.
        """

    @abstractmethod
    def mark_posted(
        self, sub_id: int, slot: datetime, worker: str, message_id: int, now: datetime
    ) -> bool:
        """The owner posted: record the message; the subscription's failed-week count
        goes to 0 and a paused subscription resumes from ``now``."""

    @abstractmethod
    def mark_retry(
        self,
        sub_id: int,
        slot: datetime,
        worker: str,
        error: str,
        next_at: datetime,
        now: datetime,
    ) -> bool:
        """The owner gives the slot back, due again at ``next_at``."""

    @abstractmethod
    def mark_failed(
        self,
        sub_id: int,
        slot: datetime,
        worker: str,
        error: str,
        now: datetime,
        pause_after: int,
        pause_reason: str,
    ) -> bool:
        """The owner gives the slot up. A ``weekly`` slot adds a failed week; reaching
        ``pause_after`` pauses the subscription with ``pause_reason`` (a pause once set
        keeps its first reason)."""

    @abstractmethod
    def mark_skipped(
        self, sub_id: int, slot: datetime, worker: str, reason: str, now: datetime
    ) -> bool:
        """The owner found the slot too late to post."""
