"""One symbol's closes over a range as two arrays: what a long chart reads instead of bars.

Why: a 20-year chart of 25 symbols needs 130,000 closes and nothing else of each bar, and
building 130,000 :class:`~analytics.data.sources.base.Bar` objects (and their dates) took
most of the whole ``/chart``. Read column-wise, a day is its ordinal (``date.toordinal``,
computed by SQLite from the stored ``YYYY-MM-DD``) and a close the very float stored, so
every number downstream is the one the bars would have given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np


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
