"""Shared checks of the reliability suite: database fingerprints, what a good reply looks
like, and valid sample values for every option of every command.

A database fingerprint is a hash of every row of every table (sorted), per table, so
"nothing was written" is checked on the data itself, not on a return value.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from commands.reply import Reply
from commands.spec import CommandSpec, Option

#: Tables that cache market data: a refused question may still have asked the source
#: (to find out that a symbol does not exist) and recorded what it answered.
MARKET_TABLES = frozenset({"bars", "fetches", "symbols", "fundamentals", "listings", "searches"})
#: Characters that reorder or hide text (bidi overrides and isolates): a reply carrying
#: them could show users something other than what it says.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
INTERNAL_ERROR = "Something went wrong on our side"
#: Discord's limit on a message's content; every error must be well under it.
MESSAGE_LIMIT = 2000


def tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    return sorted(r[0] for r in rows)


def fingerprint(path: Path, skip: Iterable[str] = frozenset()) -> dict[str, tuple[int, str]]:
    """``{table: (row count, sha256 of its sorted rows)}`` of the database at ``path``,
    leaving out the tables in ``skip``."""
    out: dict[str, tuple[int, str]] = {}
    skipped = set(skip)
    conn = sqlite3.connect(path, timeout=30)
    try:
        for table in tables(path):
            if table in skipped:
                continue
            # Table names come from sqlite_master, never from input.
            rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()  # noqa: S608
            blob = "\n".join(sorted(repr(r) for r in rows)).encode()
            out[table] = (len(rows), hashlib.sha256(blob).hexdigest())
    finally:
        conn.close()
    return out


def user_state(path: Path) -> dict[str, tuple[int, str]]:
    """The fingerprint of the tables that belong to users (baskets, subscriptions, ...)."""
    return fingerprint(path, skip=MARKET_TABLES)


def changed_tables(
    before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]
) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def reply_text(reply: Reply) -> str:
    parts = [reply.title, reply.description, reply.footer, reply.caption]
    parts += [f"{f.name}\n{f.value}" for f in reply.fields]
    return "\n".join(p for p in parts if p)


def check_reply(reply: Any) -> str:
    """Assert ``reply`` is an answer or a clear error; returns "answer" or "refused".

    A clear error: the error title, a non-empty explanation under Discord's 2000-character
    message limit, and not the "something went wrong" of an unexpected exception (bad input
    is never a crash). No reply may carry bidi controls.
    """
    assert isinstance(reply, Reply), f"not a Reply: {reply!r}"
    text = reply_text(reply)
    bidi = sorted({f"U+{ord(c):04X}" for c in text if c in BIDI_CONTROLS})
    assert not bidi, f"reply carries bidi controls {bidi}: {text[:200]!r}"
    if reply.exit_code == 0:
        assert reply.title.strip(), "an answer without a title"
        return "answer"
    assert reply.tone == "error" and reply.title == "Can't answer that", reply.title
    assert reply.description.strip(), "an error without an explanation"
    assert len(reply.description) < MESSAGE_LIMIT, len(reply.description)
    assert INTERNAL_ERROR not in reply.description, reply.description
    return "refused"


# ---- valid values -------------------------------------------------------------------------
_VALID_BY_NAME: dict[str, tuple[str, ...]] = {
    "target": ("mag7", "AAPL,MSFT", "china-titans", "0700.HK"),
    "left": ("china-titans", "AAPL"),
    "right": ("mag7", "MSFT,NVDA"),
    "vs": ("mag7", "TSLA"),
    "symbol": ("AAPL", "0700.HK", "MSFT"),
    "start": ("2024-12-31", "2025-01-02"),
    "end": ("2025-03-07", "2025-02-28"),
    "name": ("evs", "tech-2"),
    "members": ("TSLA,1211.HK", "AAPL"),
    "timezone": ("Europe/London", "Asia/Hong_Kong", "UTC"),
    "time": ("18:00", "09:30"),
    "day": ("friday", "monday"),
    "hour": ("18",),
}


def valid_values(option: Option, channel_id: int = 0) -> tuple[Any, ...]:
    """Values a careful user would give ``option`` (so fuzzing one option reaches the work)."""
    if option.choices:
        return tuple(option.choices)
    if option.kind == "boolean":
        return (True, False)
    if option.kind == "channel":
        return (channel_id,)
    if option.kind in ("integer", "number"):
        low = option.min_value if option.min_value is not None else 1
        high = option.max_value if option.max_value is not None else low + 10
        mid = (low + high) / 2
        values = (low, mid, high)
        return tuple(int(v) for v in values) if option.kind == "integer" else values
    return _VALID_BY_NAME.get(option.name, ("AAPL",))


def first_valid_options(spec: CommandSpec, channel_id: int = 0) -> dict[str, Any]:
    """Required options filled with their first valid value (what the refusal tests send)."""
    return {o.name: valid_values(o, channel_id)[0] for o in spec.options if o.required}


def admin_specs(specs: Iterable[tuple[str, CommandSpec]]) -> list[tuple[str, CommandSpec]]:
    return [(name, spec) for name, spec in specs if spec.admin]
