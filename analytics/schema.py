"""The cache's schema, as an ordered list of migrations.

Each migration runs once, inside a transaction, and bumps ``PRAGMA user_version``. Add new
tables by appending a migration; never edit one that has shipped.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: prices, what was fetched when, symbol metadata, per-server baskets.
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
    CREATE TABLE baskets (
        guild_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        members TEXT NOT NULL,        -- JSON list of symbols
        created_by INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (guild_id, name)
    );
    """,
    # 2: company fundamentals (yfinance ``.info`` or fundamentals.json), one row per symbol.
    """
    CREATE TABLE fundamentals (
        symbol TEXT PRIMARY KEY,
        info TEXT,                    -- JSON in .info field names, NULL: the source has none
        fetched_at TEXT NOT NULL,     -- UTC ISO timestamp of the last successful fetch
        source TEXT                   -- the source's label
    );
    """,
]
