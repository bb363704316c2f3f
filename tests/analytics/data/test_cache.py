"""The market cache: rows as stored, migrations, atomic stores, WAL, metadata."""

from __future__ import annotations

import math
import sqlite3
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from analytics.data import cache as cache_module
from analytics.data.cache import FetchRecord, MarketCache
from analytics.data.schema import MIGRATIONS
from analytics.data.sources.base import Bar
from analytics.data.sqlite import MARKET_CACHE_ID

D = date.fromisoformat
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def raw_rows(path: Path, sql: str, *args: object) -> list[tuple]:
    """Read with an independent connection: what is really on disk, committed."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


@pytest.fixture
def cache(tmp_path: Path):
    c = MarketCache(tmp_path / "sub" / "cache.sqlite3")
    yield c
    c.close()


def test_new_database_has_every_migration_and_wal(cache: MarketCache) -> None:
    assert cache.schema_version == len(MIGRATIONS) >= 1
    assert raw_rows(cache.path, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    assert raw_rows(cache.path, "PRAGMA journal_mode") == [("wal",)]
    tables = {
        r[0] for r in raw_rows(cache.path, "SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    # Market data only: users' tables live in the server store, never in this file.
    assert tables == {
        "bars",
        "fetches",
        "symbols",
        "fundamentals",
        "actions",
        "statements",
        "listings",
        "searches",
    }
    assert raw_rows(cache.path, "PRAGMA application_id") == [(MARKET_CACHE_ID,)]


def test_reopening_does_not_rerun_migrations(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    first = MarketCache(path)
    first.store_fetch("AAA", D("2025-01-02"), D("2025-01-03"), [Bar(D("2025-01-02"), 10.0)], NOW)
    first.close()
    second = MarketCache(path)  # CREATE TABLE would fail if migration 1 ran again
    assert second.bars("AAA", D("2025-01-01"), D("2025-01-31")) == [Bar(D("2025-01-02"), 10.0)]
    second.close()


def test_an_appended_migration_upgrades_an_existing_database_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.sqlite3"
    old = MarketCache(path)
    old.store_fetch("AAA", D("2025-01-02"), D("2025-01-02"), [Bar(D("2025-01-02"), 10.0)], NOW)
    old.close()
    extra = "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('v2')"
    monkeypatch.setattr(cache_module, "MIGRATIONS", [*MIGRATIONS, extra])
    upgraded = MarketCache(path)
    assert upgraded.schema_version == len(MIGRATIONS) + 1
    upgraded.close()
    again = MarketCache(path)  # the INSERT must not run twice
    again.close()
    assert raw_rows(path, "SELECT text FROM notes") == [("v2",)]
    assert raw_rows(path, "SELECT symbol, day, close FROM bars") == [("AAA", "2025-01-02", 10.0)]


def test_store_fetch_writes_valid_rows_in_range_and_a_fetch_record(cache: MarketCache) -> None:
    bars = [
        Bar(D("2024-12-31"), 9.0),  # before the range: dropped
        Bar(D("2025-01-02"), 10.0, open=9.5, high=10.5, low=9.0, adj_close=9.8, volume=1000.0),
        Bar(D("2025-01-03"), math.nan),  # invalid: dropped
        Bar(D("2025-01-06"), 0.0),  # invalid: dropped
        Bar(D("2025-01-07"), 11.0),
        Bar(D("2025-01-09"), 12.0),  # after the range: dropped
    ]
    cache.store_fetch("AAA", D("2025-01-01"), D("2025-01-08"), bars, NOW)
    assert raw_rows(
        cache.path,
        "SELECT symbol, day, open, high, low, close, adj_close, volume FROM bars ORDER BY day",
    ) == [
        ("AAA", "2025-01-02", 9.5, 10.5, 9.0, 10.0, 9.8, 1000.0),
        ("AAA", "2025-01-07", None, None, None, 11.0, None, None),
    ]
    assert raw_rows(cache.path, 'SELECT symbol, start, "end", fetched_at FROM fetches') == [
        ("AAA", "2025-01-01", "2025-01-08", NOW.isoformat())
    ]
    assert cache.fetches("AAA") == [FetchRecord("AAA", D("2025-01-01"), D("2025-01-08"), NOW)]
    assert cache.bars("AAA", D("2025-01-03"), D("2025-01-07")) == [Bar(D("2025-01-07"), 11.0)]
    assert cache.last_day("AAA", D("2025-01-06")) == D("2025-01-02")
    assert cache.first_day("AAA") == D("2025-01-02")
    assert cache.count_bars("AAA", D("2025-01-01"), D("2025-01-31")) == 2


def test_store_fetch_replaces_the_range_only(cache: MarketCache) -> None:
    first = [Bar(D("2025-01-02"), 10.0), Bar(D("2025-01-03"), 11.0), Bar(D("2025-01-06"), 12.0)]
    cache.store_fetch("AAA", D("2025-01-01"), D("2025-01-06"), first, NOW)
    cache.store_fetch("AAA", D("2025-01-03"), D("2025-01-03"), [Bar(D("2025-01-03"), 11.5)], NOW)
    assert [(b.day, b.close) for b in cache.bars("AAA", D("2025-01-01"), D("2025-01-31"))] == [
        (D("2025-01-02"), 10.0),
        (D("2025-01-03"), 11.5),
        (D("2025-01-06"), 12.0),
    ]


def test_a_repeated_day_in_an_answer_keeps_the_last_bar(cache: MarketCache) -> None:
    # Sources can repeat a day (a live bar and its final bar); that must not abort the store.
    bars = [Bar(D("2025-01-02"), 10.0), Bar(D("2025-01-02"), 10.5)]
    cache.store_fetch("AAA", D("2025-01-02"), D("2025-01-02"), bars, NOW)
    assert raw_rows(cache.path, "SELECT day, close FROM bars") == [("2025-01-02", 10.5)]


def test_a_failing_write_leaves_neither_rows_nor_a_fetch_record(cache: MarketCache) -> None:
    good = [Bar(D("2025-01-02"), 10.0), Bar(D("2025-01-03"), 11.0)]
    cache.store_fetch("AAA", D("2025-01-01"), D("2025-01-03"), good, NOW)
    later = datetime(2026, 11, 25, tzinfo=UTC)
    # The second bar cannot be bound as a parameter: the INSERT fails after the DELETE ran.
    bad = [Bar(D("2025-01-02"), 20.0), Bar(D("2025-01-03"), 21.0, volume=object())]  # type: ignore[arg-type]
    with pytest.raises(sqlite3.Error):
        cache.store_fetch("AAA", D("2025-01-01"), D("2025-01-03"), bad, later)
    assert raw_rows(cache.path, "SELECT day, close FROM bars ORDER BY day") == [
        ("2025-01-02", 10.0),
        ("2025-01-03", 11.0),
    ]
    assert raw_rows(cache.path, "SELECT fetched_at FROM fetches") == [(NOW.isoformat(),)]
    # and the connection is usable afterwards (the transaction was rolled back, not left open)
    assert not cache.connection().in_transaction
    cache.store_fetch("BBB", D("2025-01-02"), D("2025-01-02"), [Bar(D("2025-01-02"), 5.0)], NOW)
    assert cache.count_bars("BBB", D("2025-01-01"), D("2025-01-31")) == 1


def test_a_failing_fetch_record_rolls_back_the_rows(cache: MarketCache) -> None:
    cache.store_fetch("AAA", D("2025-01-02"), D("2025-01-02"), [Bar(D("2025-01-02"), 10.0)], NOW)
    conn = sqlite3.connect(cache.path)
    conn.execute(
        "CREATE TRIGGER no_fetch BEFORE INSERT ON fetches "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    conn.commit()
    conn.close()
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        cache.store_fetch(
            "AAA", D("2025-01-02"), D("2025-01-02"), [Bar(D("2025-01-02"), 99.0)], NOW
        )
    assert raw_rows(cache.path, "SELECT day, close FROM bars") == [("2025-01-02", 10.0)]
    assert len(raw_rows(cache.path, "SELECT * FROM fetches")) == 1


def test_symbol_metadata_never_loses_a_known_value(cache: MarketCache) -> None:
    cache.save_symbol_meta("VOD.L", currency="GBp", name="Vodafone", timezone=None, now=NOW)
    cache.save_symbol_meta("VOD.L", currency=None, name=None, timezone="Europe/London", now=NOW)
    meta = cache.symbol_meta("VOD.L")
    assert meta is not None
    assert (meta.currency, meta.name, meta.timezone) == ("GBp", "Vodafone", "Europe/London")
    cache.record_symbol_error("VOD.L", "failed", "x" * 900, NOW)
    assert cache.symbol_meta("VOD.L").currency == "GBp"  # type: ignore[union-attr]
    (err,) = raw_rows(cache.path, "SELECT last_error, last_error_kind FROM symbols")
    assert err == ("x" * 500, "failed")
    assert cache.symbol_meta("NOPE") is None


def test_known_symbols_are_cached_ones_with_bars_and_like_is_escaped(cache: MarketCache) -> None:
    for symbol in ("AAPL", "AMZN", "A_B"):
        cache.store_fetch(
            symbol, D("2025-01-02"), D("2025-01-02"), [Bar(D("2025-01-02"), 1.0)], NOW
        )
    cache.store_fetch("ABNB", D("2025-01-02"), D("2025-01-02"), [], NOW)  # fetched, no bars
    assert cache.known_symbols("A") == ["AAPL", "AMZN", "A_B"]
    assert cache.known_symbols("A_") == ["A_B"]  # "_" is not a wildcard
    assert cache.known_symbols("%") == []
    assert cache.stats()["symbols"] == 3 and cache.stats()["bars"] == 3
    assert cache.last_fetch_time() == NOW


def test_each_thread_gets_its_own_connection_and_sees_committed_rows(cache: MarketCache) -> None:
    cache.store_fetch("AAA", D("2025-01-02"), D("2025-01-02"), [Bar(D("2025-01-02"), 1.0)], NOW)
    seen: list[object] = []

    def worker() -> None:
        seen.append(cache.connection())
        seen.append(cache.count_bars("AAA", D("2025-01-01"), D("2025-01-31")))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen[0] is not cache.connection()
    assert seen[1] == 1


def test_a_closed_cache_refuses_new_connections(tmp_path: Path) -> None:
    c = MarketCache(tmp_path / "c.sqlite3")
    c.close()
    with pytest.raises(RuntimeError, match="closed"):
        c.connection()


def test_a_semicolon_in_a_migration_comment_or_string_does_not_split_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = """
    CREATE TABLE notes (
        id INTEGER PRIMARY KEY,  -- rowid; one per note
        text TEXT DEFAULT 'a; b'
    );
    INSERT INTO notes (id) VALUES (1);
    -- trailing comment; nothing after it
    """
    monkeypatch.setattr(cache_module, "MIGRATIONS", [*MIGRATIONS, extra])
    c = MarketCache(tmp_path / "c.sqlite3")
    c.close()
    assert raw_rows(tmp_path / "c.sqlite3", "SELECT id, text FROM notes") == [(1, "a; b")]


def test_has_fetched_is_any_fetch_record_of_that_exact_symbol(cache: MarketCache) -> None:
    assert cache.has_fetched("AAA") is False
    # A fetch that found no bar (a holiday range) still counts: the source knows the symbol.
    cache.store_fetch("AAA", D("2025-01-01"), D("2025-01-01"), [], NOW)
    cache.store_fetch("BBB", D("2025-01-02"), D("2025-01-02"), [Bar(D("2025-01-02"), 1.0)], NOW)
    assert raw_rows(cache.path, "SELECT DISTINCT symbol FROM fetches ORDER BY symbol") == [
        ("AAA",),
        ("BBB",),
    ]
    assert cache.has_fetched("AAA") and cache.has_fetched("BBB")
    assert not cache.has_fetched("aaa")  # symbols are stored upper case; no case folding
    assert not cache.has_fetched("AA%")  # a parameter, never a pattern
    assert not cache.has_fetched("' OR 1=1 --")


def test_sampled_bars_are_the_first_and_the_last_on_or_before_each_probe(
    cache: MarketCache,
) -> None:
    bars = [
        Bar(D("2025-01-02"), 10.0, open=9.5, volume=100.0),
        Bar(D("2025-01-03"), 11.0, adj_close=10.5),
        Bar(D("2025-01-06"), 12.0),
        Bar(D("2025-01-07"), 13.0),
        Bar(D("2025-01-10"), 14.0),
    ]
    cache.store_fetch("AAA", D("2025-01-01"), D("2025-01-10"), bars, NOW)
    every = {b.day: b for b in cache.bars("AAA", D("2025-01-01"), D("2025-01-10"))}
    start, end = D("2025-01-03"), D("2025-01-07")
    # A probe on a weekend takes the Friday; one past the end is clipped to the end; one
    # before the start finds nothing in the range and adds nothing.
    got, has_adj = cache.sampled_bars(
        "AAA", start, end, [D("2025-01-05"), D("2025-01-31"), D("2025-01-01")]
    )
    assert got == [every[D("2025-01-03")], every[D("2025-01-07")]]
    assert has_adj  # the 3rd has one
    got, has_adj = cache.sampled_bars("AAA", D("2025-01-06"), D("2025-01-10"), [D("2025-01-08")])
    assert got == [every[D("2025-01-06")], every[D("2025-01-07")]]
    assert not has_adj  # the range has no adjusted close, though the symbol has one
    assert got[0] == Bar(D("2025-01-06"), 12.0)  # every column, as cache.bars reads it
    assert cache.sampled_bars("AAA", D("2025-01-01"), D("2025-01-10"), [])[0][0].volume == 100.0
    assert cache.sampled_bars("AAA", D("2025-01-11"), D("2025-01-20"), [D("2025-01-20")]) == (
        [],
        False,
    )
    assert cache.sampled_bars("BBB", start, end, [end]) == ([], False)
    # The reads ended their snapshot: a write from another thread is not blocked by them.
    assert not cache.connection().in_transaction
