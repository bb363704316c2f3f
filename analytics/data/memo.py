"""A bounded, thread-safe memo of values, each valid while the file it came from is unchanged.

Why one class: the market cache's column reads (:class:`analytics.data.closes.ClosesMemo`)
and the plain-words interpreter's understood questions (``commands.ask.memo``) keep answers
the same way. Each entry carries the *version* of the file when it was computed
(:meth:`analytics.data.sqlite.SQLiteFile.version`, taken before the work, so a write landing
meanwhile can only make the entry look older than it is); an entry whose version is not the
current one is dropped on sight. The memo is bounded by a budget of weight (points for
closes, one per question), least recently used out first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class VersionedMemo(Generic[V]):
    """``get(key, version)`` gives what ``put(key, version, value)`` kept, if still valid."""

    def __init__(self, budget: int, weight: Callable[[V], int] = lambda _value: 1) -> None:
        self.budget = budget
        self.weight = weight
        self._entries: OrderedDict[Hashable, tuple[int, V, int]] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, version: int) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != version:
                if found is not None:
                    self._drop(key)
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: Hashable, version: int, value: V) -> V:
        """Keep ``value`` (unless it alone outweighs the budget) and return it."""
        weight = self.weight(value)
        if weight > self.budget:
            return value
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (version, value, weight)
            self._used += weight
            while self._used > self.budget:
                self._drop(next(iter(self._entries)))
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._used = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: Hashable) -> None:
        self._used -= self._entries.pop(key)[2]
