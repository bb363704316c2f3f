"""Each distinct (baskets, week) summary computed once per slot storm, and reused.

Thousands of servers pick the same time (Friday 18:00 New York), most with the same
baskets. A summary (prices, valuations, the race chart) costs about a second of CPU, so
computing it per subscription would take hours; computed once per distinct question it
takes seconds. The key is what the summary depends on: the baskets *as resolved* in their
server (two servers' "tech" baskets are the same summary only with the same members), and
the week of the slot. Entries live ``ttl`` (10 minutes): long enough for a storm, short
enough that a retry twenty minutes later sees fresh prices.

Concurrent askers of one key wait for the one computation (single flight); a computation
that fails is not kept, so the next asker tries again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from analytics.services import Services
from commands.reply import Reply
from commands.summary import parse_baskets

SummaryKey = tuple[Any, ...]


def summary_key(
    services: Services, guild_id: int, baskets: tuple[str, ...], slot: datetime
) -> SummaryKey:
    """(resolved baskets, ISO week of the slot): equal keys give equal summaries."""
    targets = parse_baskets(services, guild_id, ",".join(baskets))
    resolved = tuple((t.label, t.kind, tuple(t.symbols)) for t in targets)
    year, week, _ = slot.isocalendar()
    return (resolved, year, week)


@dataclass
class _Entry:
    made_at: datetime
    done: threading.Event = field(default_factory=threading.Event)
    reply: Reply | None = None
    error: BaseException | None = None


class SummaryMemo:
    """Thread-safe, single-flight, time-limited memo of built summaries."""

    def __init__(self, clock: Callable[[], datetime], ttl: timedelta = timedelta(minutes=10)):
        self.clock = clock
        self.ttl = ttl
        self._entries: dict[SummaryKey, _Entry] = {}
        self._lock = threading.Lock()
        self.computed = 0  # computations started (the storm benchmark counts them)
        self.reused = 0

    def get(self, key: SummaryKey, build: Callable[[], Reply]) -> Reply:
        now = self.clock()
        with self._lock:
            self._prune(now)
            entry = self._entries.get(key)
            mine = entry is None
            if entry is None:
                entry = self._entries[key] = _Entry(now)
                self.computed += 1
            else:
                self.reused += 1
        if mine:
            try:
                entry.reply = build()
            except BaseException as exc:
                entry.error = exc
                with self._lock:
                    if self._entries.get(key) is entry:
                        del self._entries[key]
            finally:
                entry.done.set()
        else:
            entry.done.wait()
        if entry.error is not None:
            raise entry.error
        assert entry.reply is not None
        return entry.reply

    def _prune(self, now: datetime) -> None:
        old = [
            k for k, e in self._entries.items() if e.done.is_set() and now - e.made_at > self.ttl
        ]
        for key in old:
            del self._entries[key]
