"""The server store: what every server's users made (setting ``MARKETBOT_DB``).

Baskets, weekly-summary subscriptions and the ledger of their slots are users' data: unlike
the market cache (:mod:`analytics.data.cache`) they cannot be fetched again, so they live
in a store of their own that deleting the cache never touches.

:class:`ServerStore` is the contract; :class:`~analytics.server.sqlite_store.SQLiteServerStore`
is the SQLite implementation, and a PostgreSQL one is a second subclass. The code above it
(:class:`~analytics.server.baskets.BasketStore`,
:class:`~analytics.server.subscriptions.SubscriptionStore`) holds every rule and message and
only calls these methods, so an implementation is storage and nothing else.

The queries are written here once, in the SQL both engines share (``:name`` placeholders):
the engines ran the same statements, spelled with other placeholders. An engine supplies only
what differs: connections, transactions and errors (``transaction``, ``_rows``, ``_run``,
``_insert``), and how a read-then-write keeps other writers out (``_locked``, ``_lock_server``).

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

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from analytics.server.records import (
    Basket,
    PostRecord,
    Subscription,
    basket_from_row,
    post_from_row,
    subscription_from_row,
    ts,
)
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


#: Ledger rows with their subscription's server, as :func:`post_from_row` reads them.
_POSTS = (
    "SELECT p.*, s.guild_id FROM summary_posts p JOIN summary_subscriptions s "
    "ON s.id = p.subscription_id"
)


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

    # -- what each engine supplies ------------------------------------------------------
    @abstractmethod
    def _rows(self, sql: str, params: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
        """The rows of one query (``:name`` placeholders), each readable by column name."""

    @abstractmethod
    def _run(self, sql: str, params: Mapping[str, Any]) -> int:
        """Execute one write (``:name`` placeholders) in a transaction, joining the open one;
        how many rows it changed."""

    @abstractmethod
    def _insert(self, sql: str, params: Mapping[str, Any]) -> int:
        """Execute one INSERT of a row with an ``id`` column; the id the row was given."""

    @abstractmethod
    def _locked(self, table: str) -> str:
        """The end of a SELECT whose rows (of ``table``, an alias) no one else may change
        until the transaction ends; empty where the transaction already excludes writers."""

    @abstractmethod
    def _lock_server(self, guild_id: int) -> None:
        """Keep other writers off the server's subscriptions until the transaction ends,
        for a count whose rows may not exist yet (so a row lock cannot hold them)."""

    # -- baskets ------------------------------------------------------------------------
    def _baskets(self, where: str, params: Mapping[str, Any], lock: str = "") -> list[Basket]:
        sql = f"SELECT * FROM baskets WHERE {where} ORDER BY name {lock}"  # noqa: S608
        return [basket_from_row(r) for r in self._rows(sql, params)]

    def basket(self, guild_id: int, name: str) -> Basket | None:
        """The server's basket of that (normalised, lower-case) name."""
        found = self._baskets(
            "guild_id = :guild AND name = :name", {"guild": guild_id, "name": name}
        )
        return found[0] if found else None

    def baskets(self, guild_id: int) -> list[Basket]:
        """The server's baskets, by name."""
        return self._baskets("guild_id = :guild", {"guild": guild_id})

    def insert_basket(self, basket: Basket, now: datetime) -> bool:
        """Store a new basket; False (and nothing written) if the name is taken."""
        return self._run(
            "INSERT INTO baskets (guild_id, name, members, created_by, created_at, updated_at) "
            "VALUES (:guild, :name, :members, :by, :now, :now) ON CONFLICT DO NOTHING",
            {"guild": basket.guild_id, "name": basket.name, "by": basket.created_by,
             "members": json.dumps(list(basket.members)), "now": now.isoformat()},
        ) == 1  # fmt: skip

    def update_basket(
        self, guild_id: int, name: str, change: Callable[[list[str]], list[str]], now: datetime
    ) -> Basket | None:
        """Replace the members by ``change(old_members)``, with no writer in between.

        None if there is no such basket. If ``change`` raises, nothing is written and the
        exception propagates.
        """
        key = {"guild": guild_id, "name": name}
        with self.transaction():
            found = self._baskets("guild_id = :guild AND name = :name", key, self._locked(""))
            if not found:
                return None
            members = change(list(found[0].members))
            self._run(
                "UPDATE baskets SET members = :members, updated_at = :now "
                "WHERE guild_id = :guild AND name = :name",
                {**key, "members": json.dumps(members), "now": now.isoformat()},
            )
        return Basket(guild_id, name, tuple(members), found[0].created_by, now.isoformat())

    def delete_basket(self, guild_id: int, name: str) -> bool:
        """Delete the basket; False if there was none."""
        return self._run(
            "DELETE FROM baskets WHERE guild_id = :guild AND name = :name",
            {"guild": guild_id, "name": name},
        ) == 1  # fmt: skip

    # -- subscriptions ------------------------------------------------------------------
    def insert_subscription(
        self, new: NewSubscription, now: datetime, max_per_server: int
    ) -> Subscription:
        """Store a subscription active from ``now`` and return it with its new id.

        Raises :class:`LimitReached` (writing nothing) if the server already has
        ``max_per_server``; the count and the insert see no other writer in between.
        """
        with self.transaction():
            self._lock_server(new.guild_id)
            (counted,) = self._rows(
                "SELECT count(*) AS n FROM summary_subscriptions WHERE guild_id = :guild",
                {"guild": new.guild_id},
            )
            if counted["n"] >= max_per_server:
                raise LimitReached(int(counted["n"]))
            new_id = self._insert(
                "INSERT INTO summary_subscriptions (guild_id, channel_id, baskets, weekday, "
                "hour, minute, timezone, created_by, created_at, active_since, updated_at) "
                "VALUES (:guild, :channel, :baskets, :weekday, :hour, :minute, :tz, :by, "
                ":now, :now, :now)",
                {"guild": new.guild_id, "channel": new.channel_id,
                 "baskets": json.dumps(list(new.baskets)), "weekday": new.rule.weekday,
                 "hour": new.rule.hour, "minute": new.rule.minute, "tz": new.rule.timezone,
                 "by": new.created_by, "now": ts(now)},
            )  # fmt: skip
            found = self.subscription(new_id)
        assert found is not None
        return found

    def _subscriptions(self, where: str, params: Mapping[str, Any]) -> list[Subscription]:
        sql = f"SELECT * FROM summary_subscriptions WHERE {where} ORDER BY id"  # noqa: S608
        return [subscription_from_row(r) for r in self._rows(sql, params)]

    def subscription(self, sub_id: int) -> Subscription | None:
        found = self._subscriptions("id = :id", {"id": sub_id})
        return found[0] if found else None

    def subscriptions(self, guild_id: int) -> list[Subscription]:
        """The server's subscriptions, by id."""
        return self._subscriptions("guild_id = :guild", {"guild": guild_id})

    def active_subscriptions(self) -> list[Subscription]:
        """Every server's subscriptions that are not paused, by id."""
        return self._subscriptions("paused_at IS NULL", {})

    def delete_subscription(self, sub_id: int) -> None:
        """Delete a subscription and its ledger rows."""
        with self.transaction():
            self._run("DELETE FROM summary_posts WHERE subscription_id = :id", {"id": sub_id})
            self._run("DELETE FROM summary_subscriptions WHERE id = :id", {"id": sub_id})

    # -- the ledger ---------------------------------------------------------------------
    def _posts(self, where: str, params: Mapping[str, Any], lock: str = "") -> list[PostRecord]:
        sql = f"{_POSTS} WHERE {where} ORDER BY p.slot_utc {lock}"
        return [post_from_row(r) for r in self._rows(sql, params)]

    def post(self, sub_id: int, slot: datetime) -> PostRecord | None:
        return self._post(sub_id, slot)

    def _post(self, sub_id: int, slot: datetime, lock: str = "") -> PostRecord | None:
        found = self._posts(
            "p.subscription_id = :id AND p.slot_utc = :slot", {"id": sub_id, "slot": ts(slot)}, lock
        )
        return found[0] if found else None

    def posts(self, sub_id: int) -> list[PostRecord]:
        """Every ledger row of a subscription, oldest slot first."""
        return self._posts("p.subscription_id = :id", {"id": sub_id})

    def open_posts(self) -> list[PostRecord]:
        """Every ledger row someone may still work on (status ``retry`` or ``claimed``)."""
        return self._posts("p.status IN ('retry', 'claimed')", {})

    def _insert_post(self, sub_id: int, slot: datetime, now: datetime, **row: Any) -> bool:
        """Insert a ledger row for an existing subscription unless the slot has one.

        ``ON CONFLICT DO NOTHING`` on the unique (subscription_id, slot_utc): of concurrent
        inserts exactly one changes a row. ``row`` gives kind, status and the rest. (The
        SELECT's WHERE is also what SQLite's parser needs before an upsert clause.)
        """
        values = {
            "claimed_by": None, "claimed_at": None, "attempts": 0, "next_attempt_at": None,
            "error": None, **row, "id": sub_id, "slot": ts(slot), "now": ts(now),
        }  # fmt: skip
        return self._run(
            "INSERT INTO summary_posts (subscription_id, slot_utc, kind, status, claimed_by, "
            "claimed_at, attempts, next_attempt_at, error, updated_at) "
            "SELECT id, :slot, :kind, :status, :claimed_by, :claimed_at, :attempts, "
            ":next_attempt_at, :error, :now FROM summary_subscriptions WHERE id = :id "
            "ON CONFLICT DO NOTHING",
            values,
        ) == 1  # fmt: skip

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

    def take_over(
        self, sub_id: int, slot: datetime, worker: str, now: datetime,
        may_take: Callable[[PostRecord], bool],
    ) -> bool:  # fmt: skip
        """Claim an existing row for ``worker`` (one more attempt) if ``may_take(row)``.

        The row is read and rewritten with no writer in between, so of two workers taking
        over one row only one succeeds.
        """
        with self.transaction():
            current = self._post(sub_id, slot, self._locked("p"))
            if current is None or not may_take(current):
                return False
            self._run(
                "UPDATE summary_posts SET status = 'claimed', claimed_by = :worker, "
                "claimed_at = :now, attempts = attempts + 1, next_attempt_at = NULL, "
                "updated_at = :now WHERE subscription_id = :id AND slot_utc = :slot",
                {"worker": worker, "now": ts(now), "id": sub_id, "slot": ts(slot)},
            )
        return True

    def _finish(
        self, sub_id: int, slot: datetime, worker: str, sets: str, params: Mapping[str, Any]
    ) -> bool:
        """Change the row only while ``worker`` owns its claim."""
        return self._run(
            f"UPDATE summary_posts SET {sets} WHERE subscription_id = :id "  # noqa: S608
            "AND slot_utc = :slot AND status = 'claimed' AND claimed_by = :worker",
            {**params, "id": sub_id, "slot": ts(slot), "worker": worker},
        ) == 1  # fmt: skip

    def mark_posted(
        self, sub_id: int, slot: datetime, worker: str, message_id: int, now: datetime
    ) -> bool:
        """The owner posted: record the message; the subscription's failed-week count
        goes to 0 and a paused subscription resumes from ``now``."""
        with self.transaction():
            ok = self._finish(
                sub_id, slot, worker,
                "status = 'posted', message_id = :message, error = NULL, updated_at = :now",
                {"message": message_id, "now": ts(now)},
            )  # fmt: skip
            if ok:
                self._run(
                    "UPDATE summary_subscriptions SET failed_weeks = 0, updated_at = :now, "
                    "active_since = CASE WHEN paused_at IS NULL THEN active_since ELSE :now END, "
                    "paused_at = NULL, paused_reason = NULL WHERE id = :id",
                    {"now": ts(now), "id": sub_id},
                )
        return ok

    def mark_retry(
        self, sub_id: int, slot: datetime, worker: str, error: str, next_at: datetime,
        now: datetime,
    ) -> bool:  # fmt: skip
        """The owner gives the slot back, due again at ``next_at``."""
        return self._finish(
            sub_id, slot, worker,
            "status = 'retry', error = :error, next_attempt_at = :next, claimed_by = NULL, "
            "updated_at = :now",
            {"error": error, "next": ts(next_at), "now": ts(now)},
        )  # fmt: skip

    def mark_failed(
        self, sub_id: int, slot: datetime, worker: str, error: str, now: datetime,
        pause_after: int, pause_reason: str,
    ) -> bool:  # fmt: skip
        """The owner gives the slot up. A ``weekly`` slot adds a failed week; reaching
        ``pause_after`` pauses the subscription with ``pause_reason`` (a pause once set
        keeps its first reason)."""
        with self.transaction():
            ok = self._finish(
                sub_id, slot, worker, "status = 'failed', error = :error, updated_at = :now",
                {"error": error, "now": ts(now)},
            )  # fmt: skip
            row = self.post(sub_id, slot)
            if ok and row is not None and row.kind == "weekly":
                self._run(
                    "UPDATE summary_subscriptions SET failed_weeks = failed_weeks + 1, "
                    "updated_at = :now, "
                    "paused_at = coalesce(paused_at, "
                    "CASE WHEN failed_weeks + 1 >= :limit THEN :now END), "
                    "paused_reason = coalesce(paused_reason, "
                    "CASE WHEN failed_weeks + 1 >= :limit THEN :reason END) WHERE id = :id",
                    {"now": ts(now), "limit": pause_after, "reason": pause_reason, "id": sub_id},
                )
        return ok

    def mark_skipped(
        self, sub_id: int, slot: datetime, worker: str, reason: str, now: datetime
    ) -> bool:
        """The owner found the slot too late to post."""
        return self._finish(
            sub_id, slot, worker, "status = 'skipped', error = :reason, updated_at = :now",
            {"reason": reason, "now": ts(now)},
        )  # fmt: skip
