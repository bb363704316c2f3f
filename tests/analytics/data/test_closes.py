"""Column reads of closes, and the memo that keeps them while the file is unchanged.

The memo's promise: a repeat read costs no SQL, and a read after *any* commit to the file
(this thread, another thread, another process's connection) sees the new rows. Checked by
writing through each of those and comparing with a fresh read of the file.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest

from analytics.data.cache import MarketCache
from analytics.data.closes import Closes, ClosesMemo
from analytics.data.sources.base import Bar

D = date.fromisoformat
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
START, END = D("2025-01-01"), D("2025-01-31")


def weekday_bars(first: float, days: int = 31) -> list[Bar]:
    out = []
    for n in range(days):
        day = date(2025, 1, 1 + n)
        if day.weekday() < 5:
            out.append(Bar(day, first + n))
    return out


def fresh_read(path: Path, symbol: str) -> list[tuple[int, float]]:
    """What the file holds, read by a connection of its own (never the memo)."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT day, close FROM bars WHERE symbol = ? AND day >= ? AND day <= ? ORDER BY day",
            (symbol, START.isoformat(), END.isoformat()),
        ).fetchall()
    finally:
        conn.close()
    return [(D(day).toordinal(), close) for day, close in rows]


def as_rows(closes: Closes) -> list[tuple[int, float]]:
    return list(zip(closes.days.tolist(), closes.values.tolist(), strict=True))


@pytest.fixture
def cache(tmp_path: Path):
    c = MarketCache(tmp_path / "cache.sqlite3")
    c.store_fetch("AAA", START, END, weekday_bars(10.0), NOW)
    yield c
    c.close()


def test_a_repeat_read_comes_from_the_memo_and_is_read_only(cache: MarketCache) -> None:
    first = cache.closes("AAA", START, END)
    assert as_rows(first) == fresh_read(cache.path, "AAA")
    hits = cache.closes_memo.hits
    again = cache.closes("AAA", START, END)
    assert again is first and cache.closes_memo.hits == hits + 1
    with pytest.raises(ValueError, match="read-only"):
        again.values[0] = 0.0  # shared arrays: nobody may change them in place
    # Another range, or adjusted closes, is another entry.
    assert cache.closes("AAA", START, D("2025-01-10")) is not first
    assert cache.closes("AAA", START, END, adjusted=True) is not first


def test_a_write_on_this_thread_is_seen_at_once(cache: MarketCache) -> None:
    cache.closes("AAA", START, END)
    cache.store_fetch("AAA", START, END, weekday_bars(20.0), NOW)
    after = cache.closes("AAA", START, END)
    assert as_rows(after) == fresh_read(cache.path, "AAA")
    assert after.values[0] == 20.0


def test_a_write_on_another_thread_is_seen(cache: MarketCache) -> None:
    cache.closes("AAA", START, END)
    writer = threading.Thread(
        target=cache.replace_history, args=("AAA", START, END, weekday_bars(30.0), NOW)
    )
    writer.start()
    writer.join()
    after = cache.closes("AAA", START, END)
    assert after.values[0] == 30.0 and as_rows(after) == fresh_read(cache.path, "AAA")


def test_a_write_by_another_process_is_seen(cache: MarketCache, tmp_path: Path) -> None:
    cache.closes("AAA", START, END)
    other = MarketCache(tmp_path / "cache.sqlite3")  # its own connections, as a process has
    try:
        other.store_fetch("AAA", START, END, weekday_bars(40.0), NOW)
    finally:
        other.close()
    after = cache.closes("AAA", START, END)
    assert after.values[0] == 40.0 and as_rows(after) == fresh_read(cache.path, "AAA")


def test_a_write_that_touches_another_table_still_refreshes(cache: MarketCache) -> None:
    # The version is the file's, not the symbol's: any commit refreshes (safe, not minimal).
    cache.closes("AAA", START, END)
    misses = cache.closes_memo.misses
    cache.record_symbol_error("BBB", "unknown", "no such symbol", NOW)
    cache.closes("AAA", START, END)
    assert cache.closes_memo.misses == misses + 1


def test_the_memo_is_bounded_by_points_least_recent_out_first() -> None:
    memo = ClosesMemo(max_points=10)

    def closes(n: int) -> Closes:
        return Closes(np.arange(n, dtype=np.int64), np.ones(n))

    memo.put("a", 1, closes(4))
    memo.put("b", 1, closes(4))
    assert memo.get("a", 1) is not None  # "a" is now the most recent
    memo.put("c", 1, closes(4))  # 12 points: the least recent ("b") goes
    assert memo.get("b", 1) is None and memo.get("a", 1) is not None
    assert memo.get("c", 1) is not None and len(memo) == 2
    memo.put("huge", 1, closes(11))  # larger than the whole memo: returned, not kept
    assert memo.get("huge", 1) is None and len(memo) == 2
    assert memo.get("a", 2) is None and len(memo) == 1  # another version: dropped


def test_closing_the_cache_ends_the_watcher(cache: MarketCache) -> None:
    cache.closes("AAA", START, END)
    cache.close()
    assert len(cache.closes_memo) == 0
    with pytest.raises(RuntimeError, match="closed"):
        cache.version()


def test_a_read_inside_a_transaction_is_never_kept(cache: MarketCache) -> None:
    """Uncommitted rows seen by their own transaction must not outlive a rollback."""
    before = as_rows(cache.closes("AAA", START, END))

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        with cache.transaction():
            cache.store_fetch("AAA", START, END, weekday_bars(50.0), NOW)
            inside = cache.closes("AAA", START, END)
            assert inside.values[0] == 50.0  # the transaction sees its own write
            raise Abort
    after = cache.closes("AAA", START, END)
    assert as_rows(after) == before == fresh_read(cache.path, "AAA")
