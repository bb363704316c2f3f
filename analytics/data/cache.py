"""The market cache: daily bars, the ranges fetched and when, symbol metadata, actions.

Public data that can always be fetched again (setting ``MARKETBOT_CACHE``): deleting the
file loses nothing but time. Users' data is elsewhere, in the server store
(:mod:`analytics.server.store`).

Why SQLite: answers come from here in milliseconds, survive restarts, and several processes
(bot and console) can share one file (:class:`~analytics.data.sqlite.SQLiteFile`: WAL, a
busy timeout, a connection per thread). Every write that belongs together — a symbol's bars
and the record that its range was fetched — happens in one transaction, so a crash never
leaves a range marked as fetched without its rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from analytics.data.closes import Closes, ClosesMemo
from analytics.data.schema import MIGRATIONS
from analytics.data.sources.base import Bar
from analytics.data.sqlite import MARKET_CACHE_ID, SQLiteFile

#: One symbol's bars in a range of days, every column (:func:`_bar` builds them).
_SAMPLE = (
    "SELECT day, close, open, high, low, adj_close, volume FROM bars "
    "WHERE symbol = ? AND day >= ? AND day <= ? "
)


#: ``julianday(day)`` minus this is ``date.fromisoformat(day).toordinal()``.
_JULIAN_ORDINAL = 1721424.5


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


class MarketCache(SQLiteFile):
    """The market cache file: thread-safe by giving each thread its own connection."""

    application_id = MARKET_CACHE_ID

    def __init__(self, path: Path | str) -> None:
        super().__init__(path)
        self.migrate(MIGRATIONS)
        #: Recent column reads, valid while the file is unchanged (see ClosesMemo).
        self.closes_memo = ClosesMemo()

    def close(self) -> None:
        self.closes_memo.clear()
        super().close()

    def _value(self, sql: str, params: Sequence[object] = ()) -> Any:
        """The one value a query selects ``AS v`` (an aggregate), or None."""
        row = self.connection().execute(sql, params).fetchone()
        return row["v"] if row else None

    # -- bars --------------------------------------------------------------------------
    def bars(self, symbol: str, start: date, end: date) -> list[Bar]:
        """Bars of one symbol with ``start <= day <= end``, oldest first (an index range scan)."""
        rows = self.connection().execute(
            "SELECT day, close, open, high, low, adj_close, volume FROM bars "
            "WHERE symbol = ? AND day >= ? AND day <= ? ORDER BY day",
            (symbol, start.isoformat(), end.isoformat()),
        )
        # The loop is inlined (not _bar per row): a 20-year chart reads 130,000 rows here.
        return [
            Bar(
                date.fromisoformat(r["day"]), r["close"], open=r["open"], high=r["high"],
                low=r["low"], adj_close=r["adj_close"], volume=r["volume"],
            )
            for r in rows
        ]  # fmt: skip

    def closes(self, symbol: str, start: date, end: date, *, adjusted: bool = False) -> Closes:
        """Every close of one symbol with ``start <= day <= end`` as arrays, oldest first:
        the adjusted close where a bar has one when ``adjusted`` (else its close), exactly
        what :meth:`bars` would give per bar, without building a Bar (see :mod:`closes`).

        The day's ordinal comes from SQLite: ``julianday`` of a ``YYYY-MM-DD`` text is a
        whole day plus .5, so subtracting ``julianday('0001-01-01') - 1`` is exact.
        """
        conn = self.connection()
        # Inside this thread's open transaction a read may see its uncommitted writes (which
        # a rollback would undo without changing the version): read, never keep.
        keep = not conn.in_transaction
        key = (symbol, start, end, adjusted)
        version = self.version() if keep else 0  # before the read: see ClosesMemo
        kept = self.closes_memo.get(key, version) if keep else None
        if kept is not None:
            return kept
        value = "coalesce(adj_close, close)" if adjusted else "close"
        cursor = conn.cursor()
        cursor.row_factory = None  # plain tuples: a Row per bar costs as much as the read
        rows = cursor.execute(
            # Only one of two fixed column expressions is interpolated.
            f"SELECT CAST(julianday(day) - {_JULIAN_ORDINAL} AS INTEGER), {value} "  # noqa: S608
            "FROM bars WHERE symbol = ? AND day >= ? AND day <= ? ORDER BY day",
            (symbol, start.isoformat(), end.isoformat()),
        ).fetchall()
        read = Closes.of_rows(rows)
        return self.closes_memo.put(key, version, read) if keep else read

    def sampled_bars(
        self, symbol: str, start: date, end: date, probes: Sequence[date]
    ) -> tuple[list[Bar], bool]:
        """The few bars of ``[start, end]`` an answer about its endpoints needs, without
        reading the rest: the first bar, and the last bar on or before each of ``probes``
        (``end`` at most), oldest first and each once; and whether any bar of the range has
        an adjusted close.

        Why: a 20-year ``/returns`` of 25 symbols needs about 75 of 130,000 rows, and
        building every row as a :class:`Bar` took 90 % of its time. Each read is one index
        seek; all of them are one snapshot, so they agree with each other even while another
        thread replaces the symbol's history.
        """
        lo, hi = start.isoformat(), end.isoformat()
        with self.snapshot() as conn:
            first = conn.execute(
                _SAMPLE + "ORDER BY day LIMIT 1",
                (symbol, lo, hi),
            ).fetchall()
            if not first:
                return [], False
            rows = {first[0]["day"]: first[0]}
            for probe in sorted({min(p, end) for p in probes if p >= start}):
                for r in conn.execute(
                    _SAMPLE + "ORDER BY day DESC LIMIT 1",
                    (symbol, lo, probe.isoformat()),
                ):
                    rows[r["day"]] = r
            has_adj = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM bars WHERE symbol = ? AND day >= ? AND day <= ? "
                "AND adj_close IS NOT NULL) AS v",
                (symbol, lo, hi),
            ).fetchone()["v"]
        return [_bar(rows[day]) for day in sorted(rows)], bool(has_adj)

    def last_day(self, symbol: str, on_or_before: date) -> date | None:
        day = self._value(
            "SELECT max(day) AS v FROM bars WHERE symbol = ? AND day <= ?",
            (symbol, on_or_before.isoformat()),
        )
        return date.fromisoformat(day) if day else None

    def first_day(self, symbol: str) -> date | None:
        day = self._value("SELECT min(day) AS v FROM bars WHERE symbol = ?", (symbol,))
        return date.fromisoformat(day) if day else None

    def count_bars(self, symbol: str, start: date, end: date) -> int:
        return int(
            self._value(
                "SELECT count(*) AS v FROM bars WHERE symbol = ? AND day >= ? AND day <= ?",
                (symbol, start.isoformat(), end.isoformat()),
            )
        )

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
            {
                "symbol": symbol, "day": b.day.isoformat(), "open": b.open, "high": b.high,
                "low": b.low, "close": b.close, "adj_close": b.adj_close, "volume": b.volume,
            }
            for b in by_day.values()
        ]  # fmt: skip
        with self.transaction() as conn:
            conn.execute(
                "DELETE FROM bars WHERE symbol = ? AND day >= ? AND day <= ?",
                (symbol, start.isoformat(), end.isoformat()),
            )
            # Plain INSERTs, not sqlite-utils: its insert_all inspects the table and builds
            # its statements on every call, 8-10 ms per symbol, which made the storing of a
            # cold 10-symbol question cost as much as a Yahoo round trip (bench figure 2).
            conn.executemany(
                "INSERT INTO bars (symbol, day, open, high, low, close, adj_close, volume) "
                "VALUES (:symbol, :day, :open, :high, :low, :close, :adj_close, :volume)",
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
        return {date.fromisoformat(r["day"]) for r in rows}

    def record_actions(self, symbol: str, days: Iterable[date], now: datetime) -> None:
        rows = [{"symbol": symbol, "day": d.isoformat(), "seen_at": now.isoformat()} for d in days]
        if rows:
            with self.transaction() as conn:
                # A day already recorded keeps its first seen_at. Hand-written: sqlite-utils'
                # insert_all(ignore=True) looks the conflicting row up by rowid, which a
                # WITHOUT ROWID table does not have.
                conn.executemany(
                    "INSERT INTO actions (symbol, day, seen_at) VALUES (:symbol, :day, :seen_at) "
                    "ON CONFLICT DO NOTHING",
                    rows,
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
        for r in rows:
            out[r["symbol"]].append(
                FetchRecord(
                    r["symbol"],
                    date.fromisoformat(r["start"]),
                    date.fromisoformat(r["end"]),
                    datetime.fromisoformat(r["fetched_at"]),
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
        return SymbolMeta(**dict(row)) if row else None

    def save_symbol_meta(
        self,
        symbol: str,
        *,
        currency: str | None,
        name: str | None,
        timezone: str | None,
        now: datetime,
    ) -> None:
        """Upsert what a source told us; ``None`` never overwrites a known value.

        Hand-written: sqlite-utils' upsert would overwrite a known value with NULL, and
        keeping it needs ``coalesce`` in the ``ON CONFLICT`` clause.
        """
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
        with self.transaction():
            # upsert updates only the columns given: the symbol's metadata stays.
            self.db["symbols"].upsert(
                {
                    "symbol": symbol,
                    "last_error": message[:500],
                    "last_error_kind": kind,
                    "last_error_at": now.isoformat(),
                },
                pk="symbol",
            )

    def known_symbols(self, prefix: str = "", limit: int = 25) -> list[str]:
        """Symbols that have bars in the cache (for autocomplete)."""
        rows = self.connection().execute(
            "SELECT DISTINCT symbol FROM fetches WHERE symbol LIKE ? ESCAPE '\\' "
            "AND symbol IN (SELECT symbol FROM bars) ORDER BY symbol LIMIT ?",
            (_like_prefix(prefix), limit),
        )
        return [r["symbol"] for r in rows]

    def last_fetch_time(self) -> datetime | None:
        last = self._value("SELECT max(fetched_at) AS v FROM fetches")
        return datetime.fromisoformat(last) if last else None

    def stats(self) -> dict[str, Any]:
        row = (
            self.connection()
            .execute("SELECT count(DISTINCT symbol) AS symbols, count(*) AS bars FROM bars")
            .fetchone()
        )
        return {"symbols": row["symbols"], "bars": row["bars"], "bytes": self.path.stat().st_size}

    def has_fetched(self, symbol: str) -> bool:
        """Whether ``symbol`` was ever fetched (bars or not): the plain-words interpreter
        takes such a word for a ticker in any case (``nvda``). One indexed lookup."""
        row = (
            self.connection()
            .execute("SELECT 1 FROM fetches WHERE symbol = ? LIMIT 1", (symbol,))
            .fetchone()
        )
        return row is not None


def _bar(r: sqlite3.Row) -> Bar:
    return Bar(
        date.fromisoformat(r["day"]), r["close"], open=r["open"], high=r["high"],
        low=r["low"], adj_close=r["adj_close"], volume=r["volume"],
    )  # fmt: skip


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
    spans = [(r["rowid"], r["start"], r["end"], r["fetched_at"]) for r in rows]
    drop: list[int] = []
    for rid, s, e, t in spans:
        for rid2, s2, e2, t2 in spans:
            if rid2 != rid and s2 <= s and e <= e2 and t2 >= t and (s2, e2, t2) != (s, e, t):
                drop.append(rid)
                break
    if drop:
        conn.executemany("DELETE FROM fetches WHERE rowid = ?", [(r,) for r in drop])


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
