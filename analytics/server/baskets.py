"""Baskets: the presets, per-server custom baskets, and resolving a ``target``.

A target is a basket name (preset or this server's) or a comma-separated list of up to 25
symbols. Server baskets live in the server store (:mod:`analytics.server.store`, never in
the market cache) keyed by Discord guild id; the console acts as one local server (guild
id 0).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from analytics.data.symbols import MAX_SYMBOLS, _printable, parse_symbol_list
from analytics.errors import StorageUnavailable, UserInputError
from analytics.metrics.targets import PRESETS, Target
from analytics.server.records import Basket
from analytics.server.store import ServerStore

NAME_RE = re.compile(r"^[a-z0-9-]{1,32}$")
CONSOLE_GUILD = 0


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
    """Per-server baskets: the rules and messages, over the server store."""

    def __init__(self, store: ServerStore) -> None:
        self.store = store

    def get(self, guild_id: int, name: str) -> Basket | None:
        return self.store.basket(guild_id, name.strip().lower())

    def list(self, guild_id: int) -> list[Basket]:
        return self.store.baskets(guild_id)

    def names(self, guild_id: int) -> list[str]:
        return [b.name for b in self.list(guild_id)]

    def create(
        self, guild_id: int, name: str, members: list[str], user_id: int | None, now: datetime
    ) -> Basket:
        name = validate_name(name)
        basket = Basket(guild_id, name, tuple(members), user_id, now.isoformat())
        if not self.store.insert_basket(basket, now):
            raise UserInputError(
                f"A basket named '{name}' already exists on this server; "
                "use /basket add or pick another name."
            )
        return basket

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
        basket = self.store.update_basket(guild_id, name, change, now)
        if basket is None:
            raise self.unknown(guild_id, name)
        return basket

    def delete(self, guild_id: int, name: str) -> None:
        name = name.strip().lower()
        if name in PRESETS:
            raise UserInputError(f"'{name}' is a preset basket and cannot be deleted.")
        if not self.store.delete_basket(guild_id, name):
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
            try:
                basket = self.get(guild_id, lowered) if NAME_RE.match(lowered) else None
            except StorageUnavailable:
                # The server store is down: a symbol still answers (market data does not
                # need it); only a name that is not a symbol has to wait for it.
                if not _is_symbol_list(raw):
                    raise
                basket = None
            if basket:
                return Target(basket.name, basket.members, "server", basket.name)
        try:
            symbols = parse_symbol_list(raw)
        except UserInputError as exc:
            if "," not in raw and NAME_RE.match(raw.lower()):
                raise self.unknown(guild_id, raw.lower()) from None
            raise exc
        return Target(",".join(symbols), tuple(symbols), "symbols")


def _is_symbol_list(raw: str) -> bool:
    try:
        parse_symbol_list(raw)
    except UserInputError:
        return False
    return True


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
