"""Independent readers of the shared real CSVs, for checking the project's numbers.

Deliberately tiny and separate from ``analytics.data.sources.csvdir``: a test that compares the
project's reader with itself could not fail.
"""

from __future__ import annotations

import csv
from datetime import date
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


def rows(symbol: str) -> list[tuple[str, float]]:
    """``[("YYYY-MM-DD", close), ...]`` oldest first."""
    return sorted(closes(symbol).items())


def on_or_before(series: list[tuple[str, float]], day: str) -> tuple[str, float]:
    """The last ``(day, close)`` on or before ``day``."""
    return [r for r in series if r[0] <= day][-1]


def closes_by_date(symbol: str) -> dict[date, float]:
    """``{date: close}``: the same independent read, keyed by ``datetime.date``."""
    return {date.fromisoformat(d): c for d, c in closes(symbol).items()}


#: The /returns JSON contract (issue 2): every key a result and each member must carry.
RETURNS_KEYS = {
    "command", "target", "basis", "currency", "members", "equal_weight_return_pct",
    "excluded", "as_of", "stale",
}  # fmt: skip
MEMBER_KEYS = {
    "symbol", "currency", "base_date", "base_close", "end_date", "end_close", "return_pct",
}  # fmt: skip


def close_on_or_before(symbol: str, day: str) -> tuple[str, float]:
    series = closes(symbol)
    best = max(d for d in series if d <= day)
    return best, series[best]
