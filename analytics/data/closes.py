"""One symbol's closes over a range as two arrays: what a long chart reads instead of bars.

Why: a 20-year chart of 25 symbols needs 130,000 closes and nothing else of each bar, and
building 130,000 :class:`~analytics.data.sources.base.Bar` objects (and their dates) took
most of the whole ``/chart``. Read column-wise, a day is its ordinal (``date.toordinal``,
computed by SQLite from the stored ``YYYY-MM-DD``) and a close the very float stored, so
every number downstream is the one the bars would have given.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date

import numpy as np

from analytics.data.memo import VersionedMemo


@dataclass(frozen=True, slots=True)
class Closes:
    """Days (``date.toordinal``, int64, ascending) and their closes (float64), same length."""

    days: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.days)

    def dates(self) -> list[date]:
        """The days as dates (for answers that show each of them)."""
        return list(map(date.fromordinal, self.days.tolist()))

    @classmethod
    def of_rows(cls, rows: list[tuple[int, float]]) -> Closes:
        """From ``(ordinal, close)`` rows as SQLite returns them."""
        if not rows:
            return cls(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))
        # One float64 matrix (a C loop, 4x faster than unzipping): ordinals are integers far
        # below 2**53, so they pass through float64 exactly.
        table = np.array(rows, dtype=np.float64)
        return cls(table[:, 0].astype(np.int64), np.ascontiguousarray(table[:, 1]))


#: Closes kept in memory at most (all entries together): 16 bytes each, so 8 MB.
MEMO_POINTS = 500_000


class ClosesMemo(VersionedMemo[Closes]):
    """The closes the market cache read recently, kept in this process while the file is
    unchanged.

    Why: a 20-year chart of 25 symbols reads 130,000 rows, and Python's sqlite3 spends
    about 75 ms turning them into tuples, a third of the whole answer, every time the same
    basket is charted again (a server asks about the same few baskets all day). Kept as
    read-only arrays, a repeat costs a dictionary lookup.

    Why it is never stale: every entry carries the file's *version* when it was read
    (``PRAGMA data_version`` of a connection that never writes, which changes whenever any
    other connection commits: this process's threads or another process on the same file).
    An entry whose version is not the current one is dropped; the version is taken before
    the rows are read, so a write landing in between can only make the entry look older
    than it is (a wasted read), never newer. Bounded by points (:data:`MEMO_POINTS`),
    least recently used out first.
    """

    def __init__(self, max_points: int = MEMO_POINTS) -> None:
        super().__init__(max_points, weight=len)

    def put(self, key: Hashable, version: int, value: Closes) -> Closes:
        """Keep ``value``, made read-only (callers share the arrays), and return it."""
        value.days.flags.writeable = False
        value.values.flags.writeable = False
        return super().put(key, version, value)
