"""The server store in one SQLite file (the default: ``MARKETBOT_DB=data/marketbot.sqlite3``).

What is SQLite's own here, and why:

* Writes that read first run under ``BEGIN IMMEDIATE`` (:meth:`SQLiteFile.transaction`):
  SQLite has no row locks, so taking the file's write lock up front is how a count and its
  insert, or a re-check and its update, see no other writer in between.
* The schema version is ``PRAGMA user_version`` and the file's kind ``PRAGMA application_id``.
* **Upgrade in place.** The release before the split kept everything in this one file
  (``user_version`` 1-5, no application id). Such a file is adopted: its baskets,
  subscriptions and ledger tables are already exactly what migrations 1-2 make, so they stay
  as they are; its market tables are dropped (the market cache refetches them) and the file
  is compacted once.

Rows are read by column name (``sqlite3.Row``) and turned into values by the converters of
:mod:`analytics.server.records`; a plain insert uses sqlite-utils' ``insert`` of a dict.
Conditional writes (``ON CONFLICT DO NOTHING``, owner-checked updates) are hand-written SQL,
in the syntax PostgreSQL shares. Reads stay off sqlite-utils: the scheduler reads at the
bot's start, and sqlite-utils would import pandas there.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from analytics.data.schema import MARKET_TABLES
from analytics.data.sqlite import SERVER_STORE_ID, SQLiteFile, StoreFileError
from analytics.server.migrations import MIGRATIONS, SQLITE_WORDS
from analytics.server.records import (
    Basket,
    PostRecord,
    Subscription,
    basket_from_row,
    post_from_row,
    subscription_from_row,
    ts,
)
from analytics.server.store import LimitReached, NewSubscription, ServerStore

log = logging.getLogger(__name__)

#: A pre-split file's ``user_version`` (the release's migrations 1-4, and 5, ``statements``,
#: which main had for a while before the split) -> the server-store version its users'
#: tables amount to.
_LEGACY_SERVER_VERSION = {1: 1, 2: 1, 3: 2, 4: 2, 5: 2}
_SERVER_TABLES = {"baskets", "summary_subscriptions", "summary_posts", "sqlite_sequence"}

_POSTS = (
    "SELECT p.*, s.guild_id FROM summary_posts p JOIN summary_subscriptions s "
    "ON s.id = p.subscription_id"
)


class _File(SQLiteFile):
    application_id = SERVER_STORE_ID


class SQLiteServerStore(ServerStore):
    """Users' data in one SQLite file, shared safely by threads and processes."""

    engine = "sqlite"

    def __init__(self, path: Path | str) -> None:
        self.file = _File(path)
        self._adopted = False
        self.file.migrate([m.render(SQLITE_WORDS) for m in MIGRATIONS], adopt=self._adopt)
        if self._adopted:
            self._compact()

    # -- lifecycle ----------------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self.file.path

    @property
    def location(self) -> str:
        return str(self.file.path)

    @property
    def schema_version(self) -> int:
        return self.file.schema_version

    def transaction(self) -> Any:
        return self.file.transaction()

    def close(self) -> None:
        self.file.close()

    def _adopt(self, conn: sqlite3.Connection) -> int:
        """Take over a pre-split file: keep users' tables, drop the market's."""
        old = conn.execute("PRAGMA user_version").fetchone()["user_version"]
        tables = {
            r["name"] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        unknown = tables - _SERVER_TABLES - set(MARKET_TABLES)
        if old not in _LEGACY_SERVER_VERSION or unknown:
            raise StoreFileError(
                f"{self.file.path} is not a marketbot database (schema {old}, "
                f"tables {', '.join(sorted(tables))})"
            )
        for table in MARKET_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        self._adopted = True
        log.info("adopted %s (schema %s) as the server store", self.file.path, old)
        return _LEGACY_SERVER_VERSION[old]

    def _compact(self) -> None:
        """Give back the dropped market tables' pages; later is fine if the file is busy."""
        try:
            self.file.connection().execute("VACUUM")
        except sqlite3.OperationalError as exc:
            log.warning("could not compact %s: %s", self.file.path, exc)

    def _rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[sqlite3.Row]:
        return self.file.connection().execute(sql, params or {}).fetchall()

    def _run(self, sql: str, params: Mapping[str, Any]) -> int:
        """Execute one write; how many rows it changed."""
        return self.file.connection().execute(sql, params).rowcount

    # -- baskets ------------------------------------------------------------------------
    def basket(self, guild_id: int, name: str) -> Basket | None:
        rows = self._rows(
            "SELECT * FROM baskets WHERE guild_id = :guild AND name = :name",
            {"guild": guild_id, "name": name},
        )
        return basket_from_row(rows[0]) if rows else None

    def baskets(self, guild_id: int) -> list[Basket]:
        rows = self._rows(
            "SELECT * FROM baskets WHERE guild_id = :guild ORDER BY name", {"guild": guild_id}
        )
        return [basket_from_row(r) for r in rows]

    def insert_basket(self, basket: Basket, now: datetime) -> bool:
        with self.file.transaction():
            return (
                self._run(
                    "INSERT INTO baskets (guild_id, name, members, created_by, created_at, "
                    "updated_at) VALUES (:guild, :name, :members, :by, :now, :now) "
                    "ON CONFLICT DO NOTHING",
                    {
                        "guild": basket.guild_id,
                        "name": basket.name,
                        "members": json.dumps(list(basket.members)),
                        "by": basket.created_by,
                        "now": now.isoformat(),
                    },
                )
                == 1
            )

    def update_basket(
        self, guild_id: int, name: str, change: Callable[[list[str]], list[str]], now: datetime
    ) -> Basket | None:
        with self.file.transaction():
            found = self.basket(guild_id, name)
            if found is None:
                return None
            members = change(list(found.members))
            self._run(
                "UPDATE baskets SET members = :members, updated_at = :now "
                "WHERE guild_id = :guild AND name = :name",
                {
                    "members": json.dumps(members),
                    "now": now.isoformat(),
                    "guild": guild_id,
                    "name": name,
                },
            )
        return Basket(guild_id, name, tuple(members), found.created_by, now.isoformat())

    def delete_basket(self, guild_id: int, name: str) -> bool:
        with self.file.transaction():
            return (
                self._run(
                    "DELETE FROM baskets WHERE guild_id = :guild AND name = :name",
                    {"guild": guild_id, "name": name},
                )
                == 1
            )

    # -- subscriptions ------------------------------------------------------------------
    def insert_subscription(
        self, new: NewSubscription, now: datetime, max_per_server: int
    ) -> Subscription:
        with self.file.transaction():
            (counted,) = self._rows(
                "SELECT count(*) AS n FROM summary_subscriptions WHERE guild_id = :guild",
                {"guild": new.guild_id},
            )
            if counted["n"] >= max_per_server:
                raise LimitReached(counted["n"])
            table = self.file.db["summary_subscriptions"]
            table.insert(
                {
                    "guild_id": new.guild_id,
                    "channel_id": new.channel_id,
                    "baskets": json.dumps(list(new.baskets)),
                    "weekday": new.rule.weekday,
                    "hour": new.rule.hour,
                    "minute": new.rule.minute,
                    "timezone": new.rule.timezone,
                    "created_by": new.created_by,
                    "created_at": ts(now),
                    "active_since": ts(now),
                    "updated_at": ts(now),
                }
            )
            found = self.subscription(int(table.last_pk))  # type: ignore[arg-type]
        assert found is not None
        return found

    def _subscriptions(self, where: str, params: Mapping[str, Any]) -> list[Subscription]:
        sql = f"SELECT * FROM summary_subscriptions WHERE {where} ORDER BY id"  # noqa: S608
        return [subscription_from_row(r) for r in self._rows(sql, params)]

    def subscription(self, sub_id: int) -> Subscription | None:
        found = self._subscriptions("id = :id", {"id": sub_id})
        return found[0] if found else None

    def subscriptions(self, guild_id: int) -> list[Subscription]:
        return self._subscriptions("guild_id = :guild", {"guild": guild_id})

    def active_subscriptions(self) -> list[Subscription]:
        return self._subscriptions("paused_at IS NULL", {})

    def delete_subscription(self, sub_id: int) -> None:
        with self.file.transaction():
            self._run("DELETE FROM summary_posts WHERE subscription_id = :id", {"id": sub_id})
            self._run("DELETE FROM summary_subscriptions WHERE id = :id", {"id": sub_id})

    # -- the ledger ---------------------------------------------------------------------
    def _posts(self, where: str, params: Mapping[str, Any]) -> list[PostRecord]:
        sql = f"{_POSTS} WHERE {where} ORDER BY p.slot_utc"
        return [post_from_row(r) for r in self._rows(sql, params)]

    def post(self, sub_id: int, slot: datetime) -> PostRecord | None:
        found = self._posts(
            "p.subscription_id = :id AND p.slot_utc = :slot", {"id": sub_id, "slot": ts(slot)}
        )
        return found[0] if found else None

    def posts(self, sub_id: int) -> list[PostRecord]:
        return self._posts("p.subscription_id = :id", {"id": sub_id})

    def open_posts(self) -> list[PostRecord]:
        return self._posts("p.status IN ('retry', 'claimed')", {})

    def _insert_post(self, sub_id: int, slot: datetime, now: datetime, **row: Any) -> bool:
        """Insert a ledger row for an existing subscription unless the slot has one.

        ``ON CONFLICT DO NOTHING`` on the unique (subscription_id, slot_utc): of concurrent
        inserts exactly one changes a row. (The SELECT's WHERE is also what SQLite's parser
        needs before an upsert clause.)
        """
        values = {
            "claimed_by": None, "claimed_at": None, "attempts": 0, "next_attempt_at": None,
            "error": None, **row, "id": sub_id, "slot": ts(slot), "now": ts(now),
        }  # fmt: skip
        with self.file.transaction():
            changed = self._run(
                "INSERT INTO summary_posts (subscription_id, slot_utc, kind, status, claimed_by, "
                "claimed_at, attempts, next_attempt_at, error, updated_at) "
                "SELECT id, :slot, :kind, :status, :claimed_by, :claimed_at, :attempts, "
                ":next_attempt_at, :error, :now FROM summary_subscriptions WHERE id = :id "
                "ON CONFLICT DO NOTHING",
                values,
            )
        return changed == 1

    def take_over(
        self,
        sub_id: int,
        slot: datetime,
        worker: str,
        now: datetime,
        may_take: Callable[[PostRecord], bool],
    ) -> bool:
        with self.file.transaction():
            current = self.post(sub_id, slot)
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
        return (
            self._run(
                f"UPDATE summary_posts SET {sets} WHERE subscription_id = :id "  # noqa: S608
                "AND slot_utc = :slot AND status = 'claimed' AND claimed_by = :worker",
                {**params, "id": sub_id, "slot": ts(slot), "worker": worker},
            )
            == 1
        )

    def mark_posted(
        self, sub_id: int, slot: datetime, worker: str, message_id: int, now: datetime
    ) -> bool:
        with self.file.transaction():
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
        self,
        sub_id: int,
        slot: datetime,
        worker: str,
        error: str,
        next_at: datetime,
        now: datetime,
    ) -> bool:
        with self.file.transaction():
            return self._finish(
                sub_id, slot, worker,
                "status = 'retry', error = :error, next_attempt_at = :next, claimed_by = NULL, "
                "updated_at = :now",
                {"error": error, "next": ts(next_at), "now": ts(now)},
            )  # fmt: skip

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
        with self.file.transaction():
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
        with self.file.transaction():
            return self._finish(
                sub_id, slot, worker, "status = 'skipped', error = :reason, updated_at = :now",
                {"reason": reason, "now": ts(now)},
            )  # fmt: skip
