"""The SQLite cache: daily bars, the ranges fetched and when, symbol metadata.

Why SQLite: answers come from here in milliseconds, survive restarts, and several processes
(bot and console) can share one file. WAL mode lets readers proceed while one writer writes;
a busy timeout makes writers wait for each other instead of failing with "database is
locked". Each thread gets its own connection (sqlite3 connections are not shared across
threads), and every write that belongs together — a symbol's bars and the record that its
range was fetched — happens in one transaction, so a crash never leaves a range marked as
fetched without its rows.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics.data.schema import MIGRATIONS
from analytics.data.sources.base import Bar

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 30_000


@dataclass(frozen=True, slots=True)
class FetchRecord:
    symbol: str
    start: date
    end: date
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class SymbolMeta:
    symbol: str
    currency: str | None
    name: str | None
    timezone: str | None


class Cache:
    """One SQLite file; thread-safe by giving each thread its own connection."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all_conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._migrate()

    # -- connections -------------------------------------------------------------------
    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise RuntimeError("cache is closed")
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _enable_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
            with self._lock:
                self._all_conns.append(conn)
        return conn

    @property
    def db(self) -> sqlite_utils.Database:
        """A sqlite-utils view of this thread's connection.

        sqlite-utils is imported here, not at the top: it imports pandas when it can
        (0.4 s and 35 MB), which neither the bot's start nor a chart worker needs.
        """
        import sqlite_utils

        db = getattr(self._local, "db", None)
        if db is None or db.conn is not self.connection():
            db = sqlite_utils.Database(self.connection())
            self._local.db = db
        return db

    def transaction(self) -> _Transaction:
        """``with cache.transaction() as conn:`` — BEGIN IMMEDIATE ... COMMIT/ROLLBACK.

        IMMEDIATE takes the write lock up front, so two writers queue on the busy timeout
        instead of one failing half-way with SQLITE_BUSY on lock upgrade.
        """
        return _Transaction(self.connection())

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for conn in self._all_conns:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._all_conns.clear()
        self._local = threading.local()

    def _migrate(self) -> None:
        conn = self.connection()
        with self.transaction():
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS, start=1):
                if number <= version:
                    continue
                for statement in _split_sql(script):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        return self.connection().execute("PRAGMA user_version").fetchone()[0]

    # -- bars --------------------------------------------------------------------------
    def bars(self, symbol: str, start: date, end: date) -> list[Bar]:
        """Bars of one symbol with ``start <= day <= end``, oldest first (an index range scan)."""
        rows = self.connection().execute(
            "SELECT day, close, open, high, low, adj_close, volume FROM bars "
            "WHERE symbol = ? AND day >= ? AND day <= ? ORDER BY day",
            (symbol, start.isoformat(), end.isoformat()),
        )
        return [Bar(date.fromisoformat(r[0]), r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]

    def last_day(self, symbol: str, on_or_before: date) -> date | None:
        row = (
            self.connection()
            .execute(
                "SELECT max(day) FROM bars WHERE symbol = ? AND day <= ?",
                (symbol, on_or_before.isoformat()),
            )
            .fetchone()
        )
        return date.fromisoformat(row[0]) if row and row[0] else None

    def first_day(self, symbol: str) -> date | None:
        row = (
            self.connection()
            .execute("SELECT min(day) FROM bars WHERE symbol = ?", (symbol,))
            .fetchone()
        )
        return date.fromisoformat(row[0]) if row and row[0] else None

    def count_bars(self, symbol: str, start: date, end: date) -> int:
        row = (
            self.connection()
            .execute(
                "SELECT count(*) FROM bars WHERE symbol = ? AND day >= ? AND day <= ?",
                (symbol, start.isoformat(), end.isoformat()),
            )
            .fetchone()
        )
        return int(row[0])

    def store_fetch(
        self, symbol: str, start: date, end: date, bars: Sequence[Bar], fetched_at: datetime
    ) -> None:
        """Replace the symbol's bars in ``[start, end]`` and record the range as fetched.

        One transaction: either both happen or neither does.
        """
        # One row per day, the last bar winning: a source may repeat a day (a live bar then
        # the final one), which would otherwise abort the whole store on the primary key.
        by_day = {b.day: b for b in bars if start <= b.day <= end and b.is_valid()}
        rows = [
            (symbol, b.day.isoformat(), b.open, b.high, b.low, b.close, b.adj_close, b.volume)
            for b in by_day.values()
        ]
        with self.transaction() as conn:
            conn.execute(
                "DELETE FROM bars WHERE symbol = ? AND day >= ? AND day <= ?",
                (symbol, start.isoformat(), end.isoformat()),
            )
            conn.executemany(
                "INSERT INTO bars (symbol, day, open, high, low, close, adj_close, volume) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.execute(
                'INSERT INTO fetches (symbol, start, "end", fetched_at) VALUES (?, ?, ?, ?)',
                (symbol, start.isoformat(), end.isoformat(), fetched_at.isoformat()),
            )
            _compact_fetches(conn, symbol)

    def replace_history(
        self, symbol: str, start: date, end: date, bars: Sequence[Bar], fetched_at: datetime
    ) -> None:
        """Forget every bar and fetch record of ``symbol``, then store ``[start, end]``.

        For prices adjusted back in time by a split or dividend: the old rows are on another
        basis, so none may survive beside the new ones. One transaction, like store_fetch.
        """
        with self.transaction() as conn:
            conn.execute("DELETE FROM bars WHERE symbol = ?", (symbol,))
            conn.execute("DELETE FROM fetches WHERE symbol = ?", (symbol,))
            self.store_fetch(symbol, start, end, bars, fetched_at)

    def known_actions(self, symbol: str) -> set[date]:
        """Split/dividend days whose adjustment the cached bars of ``symbol`` carry."""
        rows = self.connection().execute("SELECT day FROM actions WHERE symbol = ?", (symbol,))
        return {date.fromisoformat(r[0]) for r in rows}

    def record_actions(self, symbol: str, days: Iterable[date], now: datetime) -> None:
        rows = [(symbol, d.isoformat(), now.isoformat()) for d in days]
        if rows:
            with self.transaction() as conn:
                conn.executemany(
                    "INSERT OR IGNORE INTO actions (symbol, day, seen_at) VALUES (?, ?, ?)", rows
                )

    def fetches(self, symbol: str) -> list[FetchRecord]:
        return self.fetches_many([symbol])[symbol]

    def fetches_many(self, symbols: Iterable[str]) -> dict[str, list[FetchRecord]]:
        symbols = list(symbols)
        out: dict[str, list[FetchRecord]] = {s: [] for s in symbols}
        if not symbols:
            return out
        marks = ",".join("?" * len(symbols))
        rows = self.connection().execute(
            # Only "?" placeholders are interpolated; the symbols go in as parameters.
            f'SELECT symbol, start, "end", fetched_at FROM fetches WHERE symbol IN ({marks}) ORDER BY start',  # noqa: S608
            symbols,
        )
        for sym, s, e, t in rows:
            out[sym].append(
                FetchRecord(
                    sym, date.fromisoformat(s), date.fromisoformat(e), datetime.fromisoformat(t)
                )
            )
        return out

    # -- symbol metadata -----------------------------------------------------------------
    def symbol_meta(self, symbol: str) -> SymbolMeta | None:
        row = (
            self.connection()
            .execute(
                "SELECT symbol, currency, name, timezone FROM symbols WHERE symbol = ?", (symbol,)
            )
            .fetchone()
        )
        return SymbolMeta(*row) if row else None

    def save_symbol_meta(
        self,
        symbol: str,
        *,
        currency: str | None,
        name: str | None,
        timezone: str | None,
        now: datetime,
    ) -> None:
        """Upsert what a source told us; ``None`` never overwrites a known value."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO symbols (symbol, currency, name, timezone, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(symbol) DO UPDATE SET "
                "currency = coalesce(excluded.currency, currency), "
                "name = coalesce(excluded.name, name), "
                "timezone = coalesce(excluded.timezone, timezone), "
                "updated_at = excluded.updated_at",
                (symbol, currency, name, timezone, now.isoformat()),
            )

    def record_symbol_error(self, symbol: str, kind: str, message: str, now: datetime) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO symbols (symbol, last_error, last_error_kind, last_error_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(symbol) DO UPDATE SET "
                "last_error = excluded.last_error, last_error_kind = excluded.last_error_kind, "
                "last_error_at = excluded.last_error_at",
                (symbol, message[:500], kind, now.isoformat()),
            )

    def known_symbols(self, prefix: str = "", limit: int = 25) -> list[str]:
        """Symbols that have bars in the cache (for autocomplete)."""
        rows = self.connection().execute(
            "SELECT DISTINCT symbol FROM fetches WHERE symbol LIKE ? ESCAPE '\\' "
            "AND symbol IN (SELECT symbol FROM bars) ORDER BY symbol LIMIT ?",
            (_like_prefix(prefix), limit),
        )
        return [r[0] for r in rows]

    def last_fetch_time(self) -> datetime | None:
        row = self.connection().execute("SELECT max(fetched_at) FROM fetches").fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def stats(self) -> dict[str, Any]:
        conn = self.connection()
        symbols, rows = conn.execute("SELECT count(DISTINCT symbol), count(*) FROM bars").fetchone()
        return {"symbols": symbols, "bars": rows, "bytes": self.path.stat().st_size}


class _Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._nested = False

    def __enter__(self) -> sqlite3.Connection:
        self._nested = self.conn.in_transaction
        if not self._nested:
            self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._nested:
            return
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")


def _compact_fetches(conn: sqlite3.Connection, symbol: str) -> None:
    """Merge overlapping fetch records of one symbol that share a fetch time bucket.

    Records only grow when new ranges are fetched; merging adjacent ranges fetched at the
    same moment keeps the table small without losing the "when" that TTLs depend on.
    """
    rows = conn.execute(
        'SELECT rowid, start, "end", fetched_at FROM fetches WHERE symbol = ? ORDER BY start',
        (symbol,),
    ).fetchall()
    if len(rows) < 8:
        return
    # Keep the newest fetch time of overlapping ranges only where the older one is wholly
    # contained in the newer: the newer record says everything the older one did.
    drop: list[int] = []
    for rid, s, e, t in rows:
        for rid2, s2, e2, t2 in rows:
            if rid2 != rid and s2 <= s and e <= e2 and t2 >= t and (s2, e2, t2) != (s, e, t):
                drop.append(rid)
                break
    if drop:
        conn.executemany("DELETE FROM fetches WHERE rowid = ?", [(r,) for r in drop])


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL, waiting for other processes.

    Why a loop: changing the journal mode of a brand-new file needs an exclusive lock and
    SQLite does not apply the busy timeout to it, so two processes opening one new database
    at the same moment (two bots started together) got "database is locked" at once.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _split_sql(script: str) -> list[str]:
    """The statements of a migration script.

    A ";" inside a comment or a string literal does not end a statement: pieces are joined
    until SQLite itself says the statement is complete. A trailing comment is dropped.
    """
    statements: list[str] = []
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                statements.append(buffer.strip())
            buffer = ""
    return statements
