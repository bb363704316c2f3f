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

The queries are :class:`~analytics.server.store.ServerStore`'s, in the syntax PostgreSQL
shares; ``:name`` is sqlite3's own placeholder, and rows are read by column name
(``sqlite3.Row``). None goes through sqlite-utils: the scheduler reads at the bot's start,
and sqlite-utils would import pandas there.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analytics.data.schema import MARKET_TABLES
from analytics.data.sqlite import SERVER_STORE_ID, SQLiteFile, StoreFileError
from analytics.server.migrations import MIGRATIONS, SQLITE_WORDS
from analytics.server.store import ServerStore

log = logging.getLogger(__name__)

#: A pre-split file's ``user_version`` (the release's migrations 1-4, and 5, ``statements``,
#: which main had for a while before the split) -> the server-store version its users'
#: tables amount to.
_LEGACY_SERVER_VERSION = {1: 1, 2: 1, 3: 2, 4: 2, 5: 2}
_SERVER_TABLES = {"baskets", "summary_subscriptions", "summary_posts", "sqlite_sequence"}


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

    # -- what the shared queries need -------------------------------------------------
    def _rows(self, sql: str, params: Mapping[str, Any]) -> list[sqlite3.Row]:
        return self.file.connection().execute(sql, params).fetchall()

    def _run(self, sql: str, params: Mapping[str, Any]) -> int:
        with self.file.transaction() as conn:
            return conn.execute(sql, params).rowcount

    def _insert(self, sql: str, params: Mapping[str, Any]) -> int:
        with self.file.transaction() as conn:
            new_id = conn.execute(sql, params).lastrowid
        assert new_id is not None
        return new_id

    def _locked(self, table: str) -> str:
        """Nothing: a write transaction holds the file's write lock from its BEGIN IMMEDIATE."""
        return ""

    def _lock_server(self, guild_id: int) -> None:
        """Nothing: a write transaction holds the file's write lock from its BEGIN IMMEDIATE."""
