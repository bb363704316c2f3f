"""The market cache's schema, as an ordered list of migrations.

Each migration runs once, inside the write transaction that opens the file, and bumps
``PRAGMA user_version`` (see :meth:`analytics.data.sqlite.SQLiteFile.migrate`). Add tables
by appending a migration; never edit one that has shipped.

Everything here is public market data that can be fetched again: deleting the file loses
nothing but the time to refetch it. Users' data (baskets, subscriptions, the summary
ledger) lives in the server store, whose migrations are :mod:`analytics.server.migrations`.

Until the split, one file held both (its ``user_version`` 4, or 5 with ``statements``, was
this list and the server store's interleaved); :mod:`analytics.server.sqlite_store` adopts such a file as the server
store and drops its market tables, which the cache then refetches.
"""

from __future__ import annotations

#: The market tables a combined file of the old release holds (dropped on adoption).
MARKET_TABLES = ("bars", "fetches", "symbols", "fundamentals", "actions", "statements")

MIGRATIONS: list[str] = [
    # 1: prices, what was fetched when, symbol metadata, fundamentals, splits and dividends.
    """
    CREATE TABLE bars (
        symbol TEXT NOT NULL,
        day TEXT NOT NULL,            -- exchange-local trading date, YYYY-MM-DD
        open REAL, high REAL, low REAL,
        close REAL NOT NULL,
        adj_close REAL,
        volume REAL,
        PRIMARY KEY (symbol, day)
    ) WITHOUT ROWID;
    CREATE TABLE fetches (
        symbol TEXT NOT NULL,
        start TEXT NOT NULL,          -- inclusive range asked of the source
        "end" TEXT NOT NULL,
        fetched_at TEXT NOT NULL      -- UTC ISO timestamp
    );
    CREATE INDEX fetches_symbol ON fetches(symbol);
    CREATE TABLE symbols (
        symbol TEXT PRIMARY KEY,
        currency TEXT,
        name TEXT,
        timezone TEXT,
        updated_at TEXT,
        last_error TEXT,
        last_error_kind TEXT,
        last_error_at TEXT
    );
    -- company fundamentals (yfinance ``.info`` or fundamentals.json), one row per symbol.
    CREATE TABLE fundamentals (
        symbol TEXT PRIMARY KEY,
        info TEXT,                    -- JSON in .info field names, NULL: the source has none
        fetched_at TEXT NOT NULL,     -- UTC ISO timestamp of the last successful fetch
        source TEXT                   -- the source's label
    );
    -- splits and dividends whose back-adjustment the cached bars already carry (see
    -- analytics.data.market): a source reporting one of these again is no news.
    CREATE TABLE actions (
        symbol TEXT NOT NULL,
        day TEXT NOT NULL,            -- exchange-local date the source reported it on
        seen_at TEXT NOT NULL,        -- UTC ISO timestamp
        PRIMARY KEY (symbol, day)
    ) WITHOUT ROWID;
    """,
    # 2: income statements (quarterly and annual periods) per symbol: settled data, fetched
    # once and again only after the next report is due (analytics.data.statements).
    """
    CREATE TABLE statements (
        symbol TEXT PRIMARY KEY,
        periods TEXT,                 -- JSON {"quarterly": [...], "annual": [...]}, NULL: none
        latest_end TEXT,              -- the latest period end held, YYYY-MM-DD
        fetched_at TEXT NOT NULL,     -- UTC ISO timestamp of the last successful fetch
        source TEXT
    );
    """,
    # 3: what listings are called (from search answers and chart metadata), and a week's
    # cache of search answers (a failed search is never stored: see analytics.data.listings).
    """
    CREATE TABLE listings (
        symbol TEXT PRIMARY KEY,
        long_name TEXT,
        short_name TEXT,
        exchange TEXT,                -- the source's code, e.g. HKG, NMS
        exchange_name TEXT,           -- how the source shows it, e.g. Hong Kong, NASDAQ
        quote_type TEXT,              -- EQUITY, ETF, INDEX, ...
        updated_at TEXT NOT NULL      -- UTC ISO timestamp
    );
    CREATE INDEX listings_long_name ON listings(lower(long_name));
    CREATE TABLE searches (
        query TEXT PRIMARY KEY,       -- normalised: lower case, single spaces
        listings TEXT NOT NULL,       -- JSON list, best first; [] = nothing matches
        fetched_at TEXT NOT NULL      -- UTC ISO timestamp
    );
    """,
]
