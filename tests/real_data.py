"""Independent readers of the shared real CSVs, for checking the project's numbers.

Deliberately tiny and separate from ``analytics.sources.csvdir``: a test that compares the
project's reader with itself could not fail.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

MARKET_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "market-data"


@cache
def closes(symbol: str) -> dict[str, float]:
    """``{"YYYY-MM-DD": close}`` from ``<symbol>.csv``: the date part as written."""
    out: dict[str, float] = {}
    with open(MARKET_DATA / f"{symbol}.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row.get("Close"):
                out[row["Date"][:10]] = float(row["Close"])
    return out


def closes_on(symbol: str, day: str) -> float:
    """The close on ``day`` exactly (the tests pick trading days)."""
    return closes(symbol)[day]


def close_on_or_before(symbol: str, day: str) -> tuple[str, float]:
    series = closes(symbol)
    best = max(d for d in series if d <= day)
    return best, series[best]
