"""Baskets: the presets, per-server custom baskets in SQLite, and resolving a ``target``.

A target is a basket name (preset or this server's) or a comma-separated list of up to 25
symbols. Server baskets live in the cache database keyed by Discord guild id; the console
acts as one local server (guild id 0).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from analytics.data.cache import Cache
from analytics.data.symbols import MAX_SYMBOLS, _printable, parse_symbol_list
from analytics.errors import UserInputError
from analytics.metrics.targets import PRESETS, Target

NAME_RE = re.compile(r"^[a-z0-9-]{1,32}$")
CONSOLE_GUILD = 0


@dataclass(frozen=True, slots=True)
class Basket:
    guild_id: int
    name: str
    members: tuple[str, ...]
    created_by: int | None
    updated_at: str


def validate_name(text: str) -> str:
    """Normalise a basket name (lower case) and check it is valid and not a preset."""
    name = text.strip().lower()
    if not NAME_RE.match(name):
        raise UserInputError(
            f"Basket name '{_printable(text.strip(), 32)}' is invalid: use 1-32 of a-z 0-9 -."
        )
    if name in PRESETS:
        raise UserInputError(
            f"'{name}' is a preset basket and cannot be changed; pick another name."
        )
    return name


class BasketStore:
    """Per-server baskets in the cache database."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def get(self, guild_id: int, name: str) -> Basket | None:
        row = (
            self.cache.connection()
            .execute(
                "SELECT guild_id, name, members, created_by, updated_at FROM baskets "
                "WHERE guild_id = ? AND name = ?",
                (guild_id, name.strip().lower()),
            )
            .fetchone()
        )
        if not row:
            return None
        return Basket(row[0], row[1], tuple(json.loads(row[2])), row[3], row[4])

    def list(self, guild_id: int) -> list[Basket]:
        rows = self.cache.connection().execute(
            "SELECT guild_id, name, members, created_by, updated_at FROM baskets "
            "WHERE guild_id = ? ORDER BY name",
            (guild_id,),
        )
        return [Basket(r[0], r[1], tuple(json.loads(r[2])), r[3], r[4]) for r in rows]

    def names(self, guild_id: int) -> list[str]:
        return [b.name for b in self.list(guild_id)]

    def create(
        self, guild_id: int, name: str, members: list[str], user_id: int | None, now: datetime
    ) -> Basket:
        name = validate_name(name)
        with self.cache.transaction() as conn:
            if conn.execute(
                "SELECT 1 FROM baskets WHERE guild_id = ? AND name = ?", (guild_id, name)
            ).fetchone():
                raise UserInputError(
                    f"A basket named '{name}' already exists on this server; "
                    "use /basket add or pick another name."
                )
            conn.execute(
                "INSERT INTO baskets (guild_id, name, members, created_by, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, name, json.dumps(members), user_id, now.isoformat(), now.isoformat()),
            )
        return Basket(guild_id, name, tuple(members), user_id, now.isoformat())

    def update_members(
        self,
        guild_id: int,
        name: str,
        change: Callable[[list[str]], list[str]],
        now: datetime,
    ) -> Basket:
        """Apply ``change(old_members) -> new_members`` atomically."""
        name = name.strip().lower()
        refuse_preset(name)
        with self.cache.transaction() as conn:
            row = conn.execute(
                "SELECT members, created_by FROM baskets WHERE guild_id = ? AND name = ?",
                (guild_id, name),
            ).fetchone()
            if not row:
                raise self.unknown(guild_id, name)
            members = change(list(json.loads(row[0])))
            conn.execute(
                "UPDATE baskets SET members = ?, updated_at = ? WHERE guild_id = ? AND name = ?",
                (json.dumps(members), now.isoformat(), guild_id, name),
            )
        return Basket(guild_id, name, tuple(members), row[1], now.isoformat())

    def delete(self, guild_id: int, name: str) -> None:
        name = name.strip().lower()
        if name in PRESETS:
            raise UserInputError(f"'{name}' is a preset basket and cannot be deleted.")
        with self.cache.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM baskets WHERE guild_id = ? AND name = ?", (guild_id, name)
            )
            if cur.rowcount == 0:
                raise self.unknown(guild_id, name)

    def unknown(self, guild_id: int, name: str) -> UserInputError:
        names = self.names(guild_id)
        mine = ", ".join(names) if names else "none yet"
        return UserInputError(
            f"No basket named '{_printable(name, 32)}' on this server. Presets: "
            f"{', '.join(PRESETS)}; this server's baskets: {mine}."
        )

    def resolve_target(self, text: str, guild_id: int) -> Target:
        """Turn a ``target``/``vs`` option into member symbols."""
        raw = (text or "").strip()
        if not raw:
            raise UserInputError(
                "Empty target: give a basket (e.g. mag7, china-titans) or symbols like AAPL,MSFT."
            )
        if "," not in raw:
            lowered = raw.lower()
            if lowered in PRESETS:
                return Target(lowered, PRESETS[lowered], "preset", lowered)
            basket = self.get(guild_id, lowered) if NAME_RE.match(lowered) else None
            if basket:
                return Target(basket.name, basket.members, "server", basket.name)
        try:
            symbols = parse_symbol_list(raw)
        except UserInputError as exc:
            if "," not in raw and NAME_RE.match(raw.lower()):
                raise self.unknown(guild_id, raw.lower()) from None
            raise exc
        return Target(",".join(symbols), tuple(symbols), "symbols")


def refuse_preset(name: str) -> None:
    """Presets are read-only; say so, rather than "no basket named 'mag7'" on this server."""
    if name in PRESETS:
        raise UserInputError(
            f"'{name}' is a preset basket and cannot be changed; "
            "create your own with /basket create."
        )


def check_member_count(members: list[str]) -> None:
    if len(members) > MAX_SYMBOLS:
        raise UserInputError(
            f"A basket holds at most {MAX_SYMBOLS} symbols; this would have {len(members)}."
        )
