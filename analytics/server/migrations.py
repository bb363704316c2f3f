"""The server store's schema: one ordered list of migrations that every engine runs.

Each migration is written once, in the SQL that SQLite and PostgreSQL share (``TEXT``,
``INTEGER``, ``REFERENCES … ON DELETE CASCADE``, ``UNIQUE``, ``CREATE INDEX``). The few words
the engines spell differently are placeholders that :meth:`Migration.render` fills from the
engine's :data:`SQLITE_WORDS` (or a second engine's own mapping):

* ``{id}`` — an auto-numbered 64-bit primary key;
* ``{bigint}`` — a 64-bit integer (Discord ids do not fit in 32 bits).

An engine applies migration ``n`` (1-based) once, in a transaction, and records ``n`` as its
schema version; the SQLite store keeps it in ``PRAGMA user_version``. Append new migrations;
never edit one that has shipped.

Migrations 1 and 2 make exactly the tables the old single-file release had (its migrations
1 and 3), which is what lets :mod:`analytics.server.sqlite_store` adopt such a file in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    description: str
    sql: str

    def render(self, words: Mapping[str, str]) -> str:
        """The migration in one engine's SQL."""
        return self.sql.format_map(words)


SQLITE_WORDS: Mapping[str, str] = {
    "id": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "bigint": "INTEGER",
}

MIGRATIONS: list[Migration] = [
    Migration(
        "per-server baskets",
        """
        CREATE TABLE baskets (
            guild_id {bigint} NOT NULL,
            name TEXT NOT NULL,
            members TEXT NOT NULL,        -- JSON list of symbols
            created_by {bigint},
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (guild_id, name)
        );
        """,
    ),
    Migration(
        # The UNIQUE pair of summary_posts, inserted by one claim at a time, is what makes
        # each slot post once (see analytics.server.subscriptions).
        "weekly summary subscriptions and the ledger of their slots",
        """
        CREATE TABLE summary_subscriptions (
            id {id},
            guild_id {bigint} NOT NULL,
            channel_id {bigint} NOT NULL,
            baskets TEXT NOT NULL,        -- JSON list of basket names (presets or the server's)
            weekday INTEGER NOT NULL,     -- 0 = Monday
            hour INTEGER NOT NULL,        -- wall-clock time in ``timezone``
            minute INTEGER NOT NULL,
            timezone TEXT NOT NULL,       -- IANA name
            created_by {bigint},
            created_at TEXT NOT NULL,     -- UTC ISO timestamps
            active_since TEXT NOT NULL,   -- slots before this instant are never posted
            failed_weeks INTEGER NOT NULL DEFAULT 0,
            paused_at TEXT,
            paused_reason TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX summary_subscriptions_guild ON summary_subscriptions(guild_id);
        CREATE TABLE summary_posts (
            subscription_id {bigint} NOT NULL
                REFERENCES summary_subscriptions(id) ON DELETE CASCADE,
            slot_utc TEXT NOT NULL,       -- the slot's instant, UTC ISO to the second
            kind TEXT NOT NULL,           -- weekly | manual (/summary send)
            claimed_by TEXT,              -- worker that owns the slot while status = claimed
            claimed_at TEXT,
            status TEXT NOT NULL,         -- claimed | retry | posted | failed | skipped
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,         -- for status = retry
            message_id {bigint},
            error TEXT,
            updated_at TEXT NOT NULL,
            UNIQUE (subscription_id, slot_utc)
        );
        CREATE INDEX summary_posts_status ON summary_posts(status);
        """,
    ),
]
