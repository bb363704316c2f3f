"""The SQLite server store: its file, its migrations, and the upgrade of a pre-split file.

The old database is built here the way the last single-file release built it (its
migrations, verbatim in ``legacy_schema.py``, one transaction each with ``user_version``
bumped after it) and filled with users' rows and market rows; the checks then read the file
with independent sqlite3 connections, so what survived is what is on disk.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics.data.cache import MarketCache
from analytics.data.sqlite import MARKET_CACHE_ID, SERVER_STORE_ID, StoreFileError, split_sql
from analytics.server.baskets import BasketStore
from analytics.server.migrations import MIGRATIONS
from analytics.server.schedule import WeeklyRule
from analytics.server.sqlite_store import SQLiteServerStore
from analytics.server.subscriptions import SubscriptionStore
from tests.analytics.server import legacy_schema

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
GUILD, OTHER = 1300000000000000010, 1300000000000000020
USERS_TABLES = ("baskets", "summary_subscriptions", "summary_posts")
MARKET_TABLES = ("bars", "fetches", "symbols", "fundamentals", "actions")


def make_legacy_database(path: Path, version: int = 4) -> None:
    """A file as the single-file release left it at ``user_version`` ``version``, with rows."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    for number, script in enumerate(legacy_schema.MIGRATIONS[:version], start=1):
        conn.execute("BEGIN IMMEDIATE")
        for statement in split_sql(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO bars (symbol, day, close, adj_close) VALUES (?, ?, ?, ?)",
        [("AAPL", "2025-03-06", 235.33, 235.1), ("AAPL", "2025-03-07", 239.07, 238.9)],
    )
    conn.execute(
        "INSERT INTO fetches VALUES ('AAPL', '2025-03-01', '2025-03-07', '2025-03-08T00:00:00')"
    )
    conn.execute("INSERT INTO symbols (symbol, currency) VALUES ('AAPL', 'USD')")
    conn.executemany(
        "INSERT INTO baskets VALUES (?, ?, ?, ?, ?, ?)",
        [
            (GUILD, "china-adr", json.dumps(["BABA", "JD", "PDD"]), 7, "2025-01-02T10:00:00+00:00",
             "2025-02-03T10:00:00+00:00"),
            (GUILD, "evs", json.dumps(["TSLA", "1211.HK"]), 8, "2025-01-05T10:00:00+00:00",
             "2025-01-05T10:00:00+00:00"),
            (OTHER, "evs", json.dumps(["NIO"]), None, "2025-01-06T10:00:00+00:00",
             "2025-01-06T10:00:00+00:00"),
        ],
    )  # fmt: skip
    if version >= 2:
        conn.execute(
            "INSERT INTO fundamentals VALUES ('AAPL', '{\"trailingEps\": 6.1}', "
            "'2025-03-08T00:00:00+00:00', 'yahoo')"
        )
    if version >= 3:
        conn.executemany(
            "INSERT INTO summary_subscriptions (guild_id, channel_id, baskets, weekday, hour, "
            "minute, timezone, created_by, created_at, active_since, failed_weeks, paused_at, "
            "paused_reason, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (GUILD, 11, json.dumps(["china-titans", "mag7"]), 4, 18, 0, "America/New_York",
                 7, "2025-02-01T00:00:00+00:00", "2025-02-01T00:00:00+00:00", 1, None, None,
                 "2025-02-28T23:00:00+00:00"),
                (OTHER, 21, json.dumps(["evs"]), 0, 9, 30, "Asia/Hong_Kong", None,
                 "2025-02-02T00:00:00+00:00", "2025-02-02T00:00:00+00:00", 3,
                 "2025-02-24T01:30:00+00:00", "paused after 3 failed weeks in a row; last error: 403",
                 "2025-02-24T01:30:00+00:00"),
            ],
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO summary_posts (subscription_id, slot_utc, kind, claimed_by, claimed_at, "
            "status, attempts, next_attempt_at, message_id, error, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (1, "2025-02-21T23:00:00+00:00", "weekly", "bot-a", "2025-02-21T23:00:00+00:00",
                 "posted", 1, None, 1350000000000000001, None, "2025-02-21T23:00:05+00:00"),
                (1, "2025-02-28T23:00:00+00:00", "weekly", None, "2025-02-28T23:00:00+00:00",
                 "retry", 2, "2025-02-28T23:05:00+00:00", None, "Discord error 503",
                 "2025-02-28T23:01:00+00:00"),
                (2, "2025-02-24T01:30:00+00:00", "weekly", "bot-b", "2025-02-24T01:30:00+00:00",
                 "failed", 3, None, None, "403 Missing Access", "2025-02-24T01:30:00+00:00"),
            ],
        )  # fmt: skip
    if version >= 4:
        conn.execute("INSERT INTO actions VALUES ('AAPL', '2024-11-08', '2025-03-08T00:00:00')")
    conn.execute("COMMIT")
    conn.close()


def raw(path: Path, sql: str) -> list[tuple]:
    """What is on disk, read by an independent connection."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def tables(path: Path) -> set[str]:
    return {
        r[0]
        for r in raw(path, "SELECT name FROM sqlite_master WHERE type = 'table'")
        if not r[0].startswith("sqlite_")
    }


def users_rows(path: Path) -> dict[str, list[tuple]]:
    present = tables(path)
    return {t: raw(path, f"SELECT * FROM {t} ORDER BY 1, 2") for t in USERS_TABLES if t in present}  # noqa: S608


def test_a_new_file_has_every_migration_and_only_users_tables(tmp_path: Path) -> None:
    store = SQLiteServerStore(tmp_path / "new" / "marketbot.sqlite3")
    store.close()
    path = tmp_path / "new" / "marketbot.sqlite3"
    assert raw(path, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    assert raw(path, "PRAGMA application_id") == [(SERVER_STORE_ID,)]
    assert raw(path, "PRAGMA journal_mode") == [("wal",)]
    assert tables(path) == set(USERS_TABLES)


def test_a_release_4_database_keeps_every_users_row_and_loses_its_market_tables(
    tmp_path: Path,
) -> None:
    path = tmp_path / "marketbot.sqlite3"
    make_legacy_database(path)
    before = users_rows(path)
    assert [len(before[t]) for t in USERS_TABLES] == [3, 2, 3]  # the fixture is what we think

    store = SQLiteServerStore(path)
    try:
        assert users_rows(path) == before  # byte-for-byte the same rows
        assert tables(path) == set(USERS_TABLES)  # prices, fundamentals, actions dropped
        assert raw(path, "PRAGMA application_id") == [(SERVER_STORE_ID,)]
        assert raw(path, "PRAGMA user_version") == [(len(MIGRATIONS),)]
        # ... and the rows read back as values through today's code:
        baskets = BasketStore(store)
        evs = baskets.get(GUILD, "evs")
        assert evs is not None and (evs.members, evs.created_by) == (("TSLA", "1211.HK"), 8)
        assert baskets.names(GUILD) == ["china-adr", "evs"] and baskets.names(OTHER) == ["evs"]
        subs = SubscriptionStore(store)
        (weekly,) = subs.list(GUILD)
        assert (weekly.id, weekly.baskets, weekly.rule) == (
            1, ("china-titans", "mag7"), WeeklyRule(4, 18, 0, "America/New_York"),
        )  # fmt: skip
        assert (weekly.failed_weeks, weekly.paused) == (1, False)
        (paused,) = subs.list(OTHER)
        assert paused.paused and paused.paused_reason.endswith("last error: 403")  # type: ignore[union-attr]
        assert [s.id for s in subs.active()] == [1]
        assert [(p.status, p.attempts, p.message_id) for p in subs.posts(1)] == [
            ("posted", 1, 1350000000000000001),
            ("retry", 2, None),
        ]
        assert subs.posts(1)[1].guild_id == GUILD
        # New ids continue after the old ones (AUTOINCREMENT's sequence survived).
        new = subs.add(GUILD, 12, ["mag7"], WeeklyRule(0, 9, 0, "UTC"), 7, NOW)
        assert new.id == 3
    finally:
        store.close()
    reopened = SQLiteServerStore(path)  # adopting happens once; reopening changes nothing
    after = users_rows(path)
    reopened.close()
    assert after["baskets"] == before["baskets"]
    assert after["summary_posts"] == before["summary_posts"]
    assert len(after["summary_subscriptions"]) == 3


@pytest.mark.parametrize("version", [1, 2, 3])
def test_older_single_file_databases_are_adopted_too(tmp_path: Path, version: int) -> None:
    path = tmp_path / "marketbot.sqlite3"
    make_legacy_database(path, version)
    baskets_before = raw(path, "SELECT * FROM baskets ORDER BY 1, 2")
    store = SQLiteServerStore(path)
    try:
        assert raw(path, "SELECT * FROM baskets ORDER BY 1, 2") == baskets_before
        assert tables(path) == set(USERS_TABLES)  # migration 2 made what version 1-2 lacked
        sub = SubscriptionStore(store).add(GUILD, 11, ["evs"], WeeklyRule(0, 9, 0, "UTC"), 1, NOW)
        assert sub.id == (3 if version >= 3 else 1)
    finally:
        store.close()


def test_a_file_from_main_before_the_split_with_statements_is_adopted(tmp_path: Path) -> None:
    """Main had a migration 5 (``statements``) in the single file for a while."""
    path = tmp_path / "marketbot.sqlite3"
    make_legacy_database(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "CREATE TABLE statements (symbol TEXT PRIMARY KEY, periods TEXT, latest_end TEXT, "
        "fetched_at TEXT NOT NULL, source TEXT)"
    )
    conn.execute("INSERT INTO statements VALUES ('AAPL', NULL, NULL, '2025-03-08', 'yahoo')")
    conn.execute("PRAGMA user_version = 5")
    conn.close()
    before = users_rows(path)
    SQLiteServerStore(path).close()
    assert users_rows(path) == before and tables(path) == set(USERS_TABLES)


def test_processes_opening_an_old_file_at_once_adopt_it_once(tmp_path: Path) -> None:
    path = tmp_path / "marketbot.sqlite3"
    make_legacy_database(path)
    before = users_rows(path)
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_it() -> None:
        barrier.wait()
        try:
            SQLiteServerStore(path).close()  # each with its own connections, like a process
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert users_rows(path) == before and tables(path) == set(USERS_TABLES)


def test_a_market_cache_file_is_not_taken_for_the_server_store(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    MarketCache(path).close()
    with pytest.raises(StoreFileError, match="is the market cache"):
        SQLiteServerStore(path)
    assert raw(path, "PRAGMA application_id") == [(MARKET_CACHE_ID,)]
    with pytest.raises(StoreFileError, match="is the server store"):
        MarketCache(SQLiteServerStore(tmp_path / "db.sqlite3").path)


def test_an_old_combined_file_is_not_taken_for_the_market_cache(tmp_path: Path) -> None:
    """Pointing MARKETBOT_CACHE at the old file must not drop anyone's baskets."""
    path = tmp_path / "marketbot.sqlite3"
    make_legacy_database(path)
    before = users_rows(path)
    with pytest.raises(StoreFileError, match="is not the market cache"):
        MarketCache(path)
    assert users_rows(path) == before and "bars" in tables(path)


def test_a_foreign_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreFileError, match="is not a marketbot database"):
        SQLiteServerStore(path)
    assert raw(path, "SELECT total FROM invoices") == [(12.5,)]
    assert raw(path, "PRAGMA application_id") == [(0,)]


def test_a_file_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "marketbot.sqlite3"
    SQLiteServerStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StoreFileError, match="written by a newer marketbot"):
        SQLiteServerStore(path)
