"""The schema of the last single-file release (340d94b), verbatim: ``PRAGMA user_version`` 4.

A test fixture, not code: the upgrade tests build a database exactly as that release did
(these migrations, applied in order with ``user_version`` bumped after each) and fill it
with rows, then open it with today's code. Never edit it; it is what is deployed.
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
    # 3: weekly summary subscriptions, and one row per (subscription, slot) ever claimed:
    # the UNIQUE pair, inserted inside BEGIN IMMEDIATE, is what makes each slot post once.
    """
    CREATE TABLE summary_subscriptions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        guild_id INTEGER NOT NULL,
        channel_id INTEGER NOT NULL,
        baskets TEXT NOT NULL,        -- JSON list of basket names (presets or the server's)
        weekday INTEGER NOT NULL,     -- 0 = Monday
        hour INTEGER NOT NULL,        -- wall-clock time in ``timezone``
        minute INTEGER NOT NULL,
        timezone TEXT NOT NULL,       -- IANA name
        created_by INTEGER,
        created_at TEXT NOT NULL,     -- UTC ISO timestamps
        active_since TEXT NOT NULL,   -- slots before this instant are never posted
        failed_weeks INTEGER NOT NULL DEFAULT 0,
        paused_at TEXT,
        paused_reason TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX summary_subscriptions_guild ON summary_subscriptions(guild_id);
    CREATE TABLE summary_posts (
        subscription_id INTEGER NOT NULL
            REFERENCES summary_subscriptions(id) ON DELETE CASCADE,
        slot_utc TEXT NOT NULL,       -- the slot's instant, UTC ISO to the second
        kind TEXT NOT NULL,           -- weekly | manual (/summary send)
        claimed_by TEXT,              -- worker that owns the slot while status = claimed
        claimed_at TEXT,
        status TEXT NOT NULL,         -- claimed | retry | posted | failed | skipped
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,         -- for status = retry
        message_id INTEGER,
        error TEXT,
        updated_at TEXT NOT NULL,
        UNIQUE (subscription_id, slot_utc)
    );
    CREATE INDEX summary_posts_status ON summary_posts(status);
    """,
    # 4: splits and dividends whose back-adjustment the cached bars already carry (see
    # analytics.market): a source reporting one of these again is no news.
    """
    CREATE TABLE actions (
        symbol TEXT NOT NULL,
        day TEXT NOT NULL,            -- exchange-local date the source reported it on
        seen_at TEXT NOT NULL,        -- UTC ISO timestamp
        PRIMARY KEY (symbol, day)
    ) WITHOUT ROWID;
    """,
]
