"""Figure 7: does ``/returns`` stay fast as the cache grows from 1 to 20 years?

The real files hold about five years, so this figure is **synthetic**: 25 symbols
(``SYNA`` … ``SYNY``) of seeded random-walk daily bars on weekdays, written straight into
two temporary caches through the cache's own ``store_fetch`` (bars plus the fetch record,
as after a real ``period:max`` fetch). One cache holds one year, the other twenty; both answer the same
``/returns`` of all 25 symbols over one year. The source behind them refuses every call,
and the calls it saw are counted (must be 0): the answers come from SQLite alone.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from analytics.data.cache import MarketCache
from analytics.data.sources.base import Bar, SymbolHistory
from analytics.errors import SourceError
from analytics.metrics.periods import EARLIEST
from analytics.server.sqlite_store import SQLiteServerStore
from analytics.services import Services
from bench.core import Figure, Samples, time_ms
from bench.env import END, BenchEnv, Parsed, check


class RefusingSource:
    """A source that must never be asked: counts calls and fails them."""

    label = "synthetic cache"

    def __init__(self) -> None:
        self.calls = 0

    def fetch_history(
        self, symbols: Sequence[str], start: date, end: date
    ) -> dict[str, SymbolHistory]:
        self.calls += 1
        raise SourceError("the scale benchmark must be answered from the cache")

    def fetch_info(self, symbol: str) -> dict[str, Any] | None:
        self.calls += 1
        raise SourceError("the scale benchmark must be answered from the cache")


def synthetic_symbols(count: int) -> list[str]:
    return [f"SYN{chr(ord('A') + i)}" for i in range(count)]


def synthetic_bars(symbol: str, start: date, end: date) -> list[Bar]:
    """A seeded random walk on weekdays (the seed is the symbol: the same bars every run)."""
    rng = random.Random(symbol)
    price, bars, day = 50.0 + rng.random() * 100.0, [], start
    while day <= end:
        if day.weekday() < 5:
            price *= math.exp(rng.gauss(0.0003, 0.02))
            spread = price * 0.01
            bars.append(
                Bar(day, price, price - spread / 2, price + spread, price - spread, price, 1e6)
            )
        day += timedelta(days=1)
    return bars


def build_cache(path: Path, symbols: list[str], years: int) -> MarketCache:
    cache = MarketCache(path)
    start = date(END.year - years, END.month, END.day)
    fetched_at = datetime.now(UTC)
    for symbol in symbols:
        # Recorded as fetched from 1970: as after a ``period:max`` question, the source had
        # nothing before ``start``, so no question about these symbols needs the source.
        bars = synthetic_bars(symbol, start, END)
        cache.store_fetch(symbol, EARLIEST, END, bars, fetched_at)
        cache.save_symbol_meta(symbol, currency="USD", name=None, timezone=None, now=fetched_at)
    return cache


def scale_figures(env: BenchEnv) -> list[Figure]:
    cfg = env.config
    symbols = synthetic_symbols(cfg.scale_symbols)
    question = Parsed.of(f"/returns target:{','.join(symbols)} period:1y end:{END.isoformat()}")
    whole = Parsed.of(f"/returns target:{','.join(symbols)} period:max end:{END.isoformat()}")
    small_source, big_source = RefusingSource(), RefusingSource()
    small = Services.build(
        build_cache(env.workdir / "scale-1y.sqlite3", symbols, 1),
        SQLiteServerStore(env.workdir / "scale-1y.server.sqlite3"),
        small_source,
    )
    big_cache = build_cache(env.workdir / "scale-big.sqlite3", symbols, cfg.scale_years)
    big = Services.build(
        big_cache, SQLiteServerStore(env.workdir / "scale-big.server.sqlite3"), big_source
    )
    try:
        stats = big_cache.stats()
        for _ in range(3):
            check(question.run(small), "scale 1y")
            check(question.run(big), "scale 20y")
            check(whole.run(big), "scale max")
        on_small, on_big, max_q = Samples(), Samples(), Samples()
        for _ in range(cfg.repeats):
            on_small.add(time_ms(lambda: question.run(small))[0])
            on_big.add(time_ms(lambda: question.run(big))[0])
        for _ in range(max(cfg.slow_repeats, 2)):
            max_q.add(time_ms(lambda: whole.run(big))[0])
    finally:
        small.close()
        big.close()
    group = "7 scale"
    n, years = cfg.scale_symbols, cfg.scale_years
    return [
        Figure(
            group,
            f"cache size, {n} symbols x {years}y (synthetic)",
            stats["bytes"] / 1e6,
            "MB",
            note=f"{stats['bars']} bars",
        ),
        on_small.figure(group, f"/returns {n} symbols x 1y, 1y cached", "ms"),
        on_big.figure(group, f"/returns {n} symbols x 1y, {years}y cached", "ms"),
        Figure(
            group,
            f"{years}y cached / 1y cached (same run)",
            on_big.median / on_small.median,
            "x",
            target=2.0,
        ),
        max_q.figure(group, f"/returns {n} symbols x {years}y (period max)", "ms", target=150.0),
        Figure(
            group,
            "source calls while answering",
            small_source.calls + big_source.calls,
            "calls",
            target=0.0,
            compare="==",
        ),
    ]
