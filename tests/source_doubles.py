"""Market-data sources for tests: real classes implementing ``analytics.data.sources.base.Source``.

* :class:`MemorySource` serves hand-written bars, so expected answers can be worked out
  on paper.
* :class:`RecordingSource` wraps any source (for example the CSV folder of real data),
  records every call it receives and can be switched to fail as a whole, to answer empty,
  or to rate-limit: what the market service's cache rules are tested against.
* :class:`Clock` is an injectable clock for ``MarketData`` and ``Services``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from analytics.data.sources.base import Bar, Source, SymbolHistory


@dataclass(frozen=True, slots=True)
class Call:
    """One ``fetch_history`` call as the source received it."""

    symbols: tuple[str, ...]
    start: date
    end: date


class Clock:
    """A settable clock: ``clock()`` returns ``clock.now``; ``advance`` moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def daily(*rows: tuple[str, float] | tuple[str, float, float]) -> list[Bar]:
    """``daily(("2025-01-02", 10.0), ("2025-01-03", 11.0, 10.5))`` -> bars (optional adj close)."""
    out = []
    for row in rows:
        adj = row[2] if len(row) > 2 else None
        out.append(Bar(day=date.fromisoformat(row[0]), close=float(row[1]), adj_close=adj))
    return out


class MemorySource:
    """Hand-written bars; a symbol not in ``bars`` is ``not_found``. ``actions`` (symbol ->
    split/dividend days) are reported for the days asked, as Yahoo's source does."""

    label = "Memory"

    def __init__(
        self,
        bars: dict[str, list[Bar]],
        currencies: dict[str, str] | None = None,
        names: dict[str, str] | None = None,
        actions: dict[str, list[date]] | None = None,
    ) -> None:
        self.bars = bars
        self.currencies = currencies or {}
        self.names = names or {}
        self.actions = actions or {}

    def fetch_history(
        self, symbols: Sequence[str], start: date, end: date
    ) -> dict[str, SymbolHistory]:
        out: dict[str, SymbolHistory] = {}
        for symbol in symbols:
            if symbol not in self.bars:
                out[symbol] = SymbolHistory(
                    symbol, error=f"no such symbol {symbol}", error_kind="not_found"
                )
                continue
            out[symbol] = SymbolHistory(
                symbol,
                bars=[b for b in self.bars[symbol] if start <= b.day <= end],
                currency=self.currencies.get(symbol),
                name=self.names.get(symbol),
                actions=[d for d in self.actions.get(symbol, []) if start <= d <= end],
            )
        return out

    def fetch_info(self, symbol: str) -> dict[str, Any] | None:
        return None


class RecordingSource:
    """Wraps a source, recording calls; ``failure`` (an exception) makes every call raise it,
    ``empty`` makes every symbol answer "success, no bars" (Yahoo's empty-frame glitch)."""

    def __init__(self, inner: Source) -> None:
        self.inner = inner
        self.label = inner.label
        self.calls: list[Call] = []
        self.failure: Exception | None = None
        self.empty = False

    def fetch_history(
        self, symbols: Sequence[str], start: date, end: date
    ) -> dict[str, SymbolHistory]:
        self.calls.append(Call(tuple(symbols), start, end))
        if self.failure is not None:
            raise self.failure
        if self.empty:
            return {s: SymbolHistory(s) for s in symbols}
        return self.inner.fetch_history(symbols, start, end)

    def fetch_info(self, symbol: str) -> dict[str, Any] | None:
        return self.inner.fetch_info(symbol)

    def symbols_asked(self) -> list[str]:
        return [s for call in self.calls for s in call.symbols]


def random_walk_bars(symbol: str, start: date, end: date) -> list[Bar]:
    """Seeded by ``symbol``: weekdays with some holidays, a random walk of closes, and an
    adjusted close on about half the days (long synthetic histories for the fast paths)."""
    rng = random.Random(symbol)
    price, bars, day = 100.0, [], start
    while day <= end:
        if day.weekday() < 5 and rng.random() > 0.05:
            price *= math.exp(rng.gauss(0.0, 0.02))
            adj = price * 0.97 if rng.random() < 0.5 else None
            bars.append(Bar(day, price, adj_close=adj))
        day += timedelta(days=1)
    return bars
