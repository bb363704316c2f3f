"""The services a command needs, built once per process and shared by every command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from analytics.charts.renderer import ChartRenderer
from analytics.data.cache import Cache
from analytics.data.market import MarketData, utc_now
from analytics.data.sources.base import Source
from analytics.server.baskets import BasketStore


@dataclass(slots=True)
class Services:
    cache: Cache
    market: MarketData
    baskets: BasketStore
    clock: Callable[[], datetime] = utc_now
    started_at: datetime = field(default_factory=utc_now)
    #: Draws charts (in worker processes once started) and reuses identical PNGs.
    charts: ChartRenderer = field(default_factory=ChartRenderer)

    @classmethod
    def build(
        cls, cache: Cache, source: Source, clock: Callable[[], datetime] = utc_now
    ) -> Services:
        market = MarketData(cache, source, clock=clock)
        return cls(
            cache=cache, market=market, baskets=BasketStore(cache), clock=clock, started_at=clock()
        )

    def close(self) -> None:
        self.charts.stop_workers()
        self.cache.close()
