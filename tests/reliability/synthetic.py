"""A deterministic market-data source with a lot of bars, for the crash and load tests.

Every weekday from 1980 to 2025 has a bar whose close is a function of the symbol and the
day, so a checker can recompute what the cache must hold without trusting the cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from analytics.data.sources.base import Bar, SymbolHistory

START = date(1980, 1, 1)
END = date(2025, 12, 31)
#: After END, so every day of the range is settled when fetched.
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
SYMBOLS = tuple(f"SYN{i:02d}" for i in range(24))


def close_of(symbol: str, day: date) -> float:
    seed = sum(ord(c) for c in symbol)
    return round(50.0 + seed % 50 + (day.toordinal() * 7 + seed) % 997 / 10.0, 4)


def weekdays(start: date, end: date) -> list[date]:
    first = max(start, START)
    last = min(end, END)
    days = []
    day = first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def expected(symbol: str, start: date, end: date) -> tuple[int, float]:
    """(number of bars, sum of closes) the cache must hold for ``symbol`` in the range."""
    days = weekdays(start, end)
    return len(days), round(sum(close_of(symbol, d) for d in days), 4)


class SyntheticSource:
    """A :class:`analytics.data.sources.base.Source` of generated bars; unknown names are not found."""

    label = "Synthetic"

    def fetch_history(
        self, symbols: Sequence[str], start: date, end: date
    ) -> dict[str, SymbolHistory]:
        out = {}
        for symbol in symbols:
            if symbol not in SYMBOLS:
                out[symbol] = SymbolHistory(symbol, error="no such symbol", error_kind="not_found")
                continue
            bars = [Bar(d, close_of(symbol, d)) for d in weekdays(start, end)]
            out[symbol] = SymbolHistory(symbol, bars=bars, currency="USD", name=symbol)
        return out

    def fetch_info(self, symbol: str) -> dict[str, Any] | None:
        return None
