"""Which Discord shards this process runs: ``MARKETBOT_SHARD_COUNT`` and ``MARKETBOT_SHARD_IDS``.

A bot past a few thousand servers is split into shards, each a gateway connection carrying
the events of the servers with ``(guild_id >> 22) % shard_count == shard_id``. Several
processes (on several hosts) can share one bot by each running a range of the shards:
``MARKETBOT_SHARD_COUNT=4`` with ``MARKETBOT_SHARD_IDS=0-1`` here and ``2-3`` there. Every
process must be given the same count, or Discord routes servers inconsistently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analytics.errors import UserInputError

_ITEM = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")
#: Discord's own ceiling is far lower for any real bot; this only stops absurd values.
MAX_SHARDS = 65_536


class ShardSettingError(UserInputError):
    """MARKETBOT_SHARD_COUNT / MARKETBOT_SHARD_IDS cannot be used as given."""


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """``count`` shards in all; ``ids`` those this process runs (sorted, distinct)."""

    count: int
    ids: tuple[int, ...]

    @property
    def runs_all(self) -> bool:
        return self.ids == tuple(range(self.count))

    @property
    def label(self) -> str:
        return f"shards {format_ids(self.ids)} of {self.count}"


def format_ids(ids: tuple[int, ...]) -> str:
    """``(0, 1, 2, 5)`` -> ``0-2,5``: the form the setting accepts."""
    parts: list[str] = []
    start = prev = None
    for i in ids:
        if prev is not None and i == prev + 1:
            prev = i
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = i
    if start is not None:
        parts.append(str(start) if start == prev else f"{start}-{prev}")
    return ",".join(parts)


def parse_shard_ids(text: str, count: int) -> tuple[int, ...]:
    """``0-3``, ``0,2,5`` or a mix (``0-1,4``) -> sorted distinct ids within ``0..count-1``."""
    ids: set[int] = set()
    for raw in text.split(","):
        item = raw.strip()
        m = _ITEM.match(item)
        if not m:
            shown = "".join(ch if ch.isalnum() or ch in ",-" else "?" for ch in text[:30])
            raise ShardSettingError(
                f"MARKETBOT_SHARD_IDS={shown!r} is not accepted: use a range like 0-3 or a "
                "list like 0,2,5."
            )
        first, last = int(m[1]), int(m[2] if m[2] is not None else m[1])
        if last < first:
            raise ShardSettingError(
                f"MARKETBOT_SHARD_IDS: the range {item} runs backwards; write {last}-{first}."
            )
        if last >= count:
            raise ShardSettingError(
                f"MARKETBOT_SHARD_IDS: shard {last} is outside 0..{count - 1} "
                f"(MARKETBOT_SHARD_COUNT={count})."
            )
        ids.update(range(first, last + 1))
    return tuple(sorted(ids))


def shard_plan(count_text: str | None, ids_text: str | None) -> ShardPlan | None:
    """The plan from the two settings' raw values; None when neither is set (one process,
    Discord's single connection, as a small bot runs)."""
    if count_text is None:
        if ids_text is not None:
            raise ShardSettingError(
                "MARKETBOT_SHARD_IDS needs MARKETBOT_SHARD_COUNT (the total number of shards "
                "across every process), e.g. MARKETBOT_SHARD_COUNT=4 MARKETBOT_SHARD_IDS=0-1."
            )
        return None
    if not count_text.isdigit() or not 1 <= int(count_text) <= MAX_SHARDS:
        raise ShardSettingError(
            f"MARKETBOT_SHARD_COUNT must be a whole number of shards from 1 to {MAX_SHARDS}, "
            f"got {count_text[:30]!r}."
        )
    count = int(count_text)
    ids = parse_shard_ids(ids_text, count) if ids_text is not None else tuple(range(count))
    return ShardPlan(count, ids)
