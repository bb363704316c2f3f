"""The rows of the server store as values: a basket, a subscription, a ledger entry.

Every :class:`~analytics.server.store.ServerStore` implementation returns these, so the code
above the store (commands, the scheduler) never sees a database row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from analytics.server.schedule import WeeklyRule, slot_key


def ts(moment: datetime) -> str:
    """Timestamps are stored as fixed-width UTC ISO to the second (comparable as text)."""
    return slot_key(moment)


@dataclass(frozen=True, slots=True)
class Basket:
    guild_id: int
    name: str
    members: tuple[str, ...]
    created_by: int | None
    updated_at: str


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    guild_id: int
    channel_id: int
    baskets: tuple[str, ...]
    rule: WeeklyRule
    created_by: int | None
    created_at: datetime
    #: Slots before this instant are never posted (no post for the slot that passed an
    #: hour before someone subscribed, nor for weeks spent paused).
    active_since: datetime
    failed_weeks: int = 0
    paused_at: datetime | None = None
    paused_reason: str | None = None

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "guild_id": self.guild_id,
            "channel_id": self.channel_id,
            "baskets": list(self.baskets),
            "day": self.rule.weekday,
            "time": self.rule.time_text,
            "timezone": self.rule.timezone,
            "created_at": ts(self.created_at),
            "failed_weeks": self.failed_weeks,
            "paused": self.paused,
            "paused_reason": self.paused_reason,
        }


@dataclass(frozen=True, slots=True)
class PostRecord:
    """One row of the ledger: a subscription's slot and what became of it."""

    subscription_id: int
    slot: datetime
    kind: str
    status: str
    claimed_by: str | None
    claimed_at: datetime | None
    attempts: int
    next_attempt_at: datetime | None
    message_id: int | None
    error: str | None
    updated_at: datetime
    guild_id: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "slot_utc": ts(self.slot),
            "kind": self.kind,
            "status": self.status,
            "attempts": self.attempts,
            "message_id": self.message_id,
            "error": self.error,
        }


# -- from rows ------------------------------------------------------------------------------
# Every implementation stores the same columns under the same names (see
# analytics.server.migrations), so one set of converters serves them all. ``row`` is any
# mapping from column name to value: a sqlite3.Row, a sqlite-utils dict, a psycopg dict row.


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def basket_from_row(row: Mapping[str, Any]) -> Basket:
    return Basket(
        guild_id=row["guild_id"],
        name=row["name"],
        members=tuple(json.loads(row["members"])),
        created_by=row["created_by"],
        updated_at=row["updated_at"],
    )


def subscription_from_row(row: Mapping[str, Any]) -> Subscription:
    rule = WeeklyRule(row["weekday"], row["hour"], row["minute"], row["timezone"])
    return Subscription(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        baskets=tuple(json.loads(row["baskets"])),
        rule=rule,
        created_by=row["created_by"],
        created_at=datetime.fromisoformat(row["created_at"]),
        active_since=datetime.fromisoformat(row["active_since"]),
        failed_weeks=row["failed_weeks"],
        paused_at=_dt(row["paused_at"]),
        paused_reason=row["paused_reason"],
    )


def post_from_row(row: Mapping[str, Any]) -> PostRecord:
    """A ledger row joined with its subscription's ``guild_id``."""
    return PostRecord(
        subscription_id=row["subscription_id"],
        slot=datetime.fromisoformat(row["slot_utc"]),
        kind=row["kind"],
        status=row["status"],
        claimed_by=row["claimed_by"],
        claimed_at=_dt(row["claimed_at"]),
        attempts=row["attempts"],
        next_attempt_at=_dt(row["next_attempt_at"]),
        message_id=row["message_id"],
        error=row["error"],
        updated_at=datetime.fromisoformat(row["updated_at"]),
        guild_id=row["guild_id"],
    )
