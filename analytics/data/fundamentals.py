"""Company fundamentals (yfinance ``.info`` field names), cached in SQLite.

Why a cache: ``.info`` costs Yahoo three requests per symbol and Yahoo rate-limits
eagerly, while fundamentals change once a quarter. So an answer is kept for ``ttl``
(24 hours) and, when Yahoo fails, whatever the cache holds is served, marked stale with
the reason — the same contract as prices in :mod:`analytics.data.market`.

A local CSV folder's ``fundamentals.json`` is cheap to read and edited by hand, so
:meth:`FundamentalsStore.beside` gives it a zero TTL: it is read on every question (an edit shows at
once) and the cache is only the fallback when the file becomes unreadable.

"The source has nothing for this symbol" (``fetch_info`` returned ``None``) is a valid
answer and is cached too, so an unknown symbol does not cost three requests per question.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from analytics.data.breaker import CircuitBreaker
from analytics.data.cache import MarketCache
from analytics.data.market import MarketData, utc_now
from analytics.data.per_symbol import PerSymbolStore
from analytics.data.sources.base import Source

DEFAULT_TTL = timedelta(hours=24)


@dataclass(slots=True)
class Fundamentals:
    """What is known about one symbol's fundamentals, and how fresh it is.

    ``info`` is ``None`` when the source has none for the symbol, or when nothing could be
    had (``error`` says why: the source failed and the cache was empty).
    """

    symbol: str
    info: dict[str, Any] | None
    fetched_at: datetime | None
    stale: bool = False
    stale_reason: str | None = None
    error: str | None = None

    @property
    def reported_as_of(self) -> date | None:
        """The date the figures describe, when the data says: Yahoo's ``mostRecentQuarter``
        (epoch seconds) or an ``asOf`` date in a fundamentals.json entry."""
        info = self.info or {}
        quarter = info.get("mostRecentQuarter")
        if isinstance(quarter, int | float) and not isinstance(quarter, bool) and quarter > 0:
            return datetime.fromtimestamp(quarter, UTC).date()
        text = info.get("asOf")
        if isinstance(text, str):
            try:
                return date.fromisoformat(text[:10])
            except ValueError:
                return None
        return None

    @property
    def as_of(self) -> date | None:
        """:attr:`reported_as_of`, else the day the figures were fetched."""
        reported = self.reported_as_of
        if reported is not None:
            return reported
        return self.fetched_at.date() if self.fetched_at else None

    def number(self, field: str) -> float | None:
        """A finite numeric field, or ``None`` (Yahoo sends ``"Infinity"``, strings, nulls)."""
        value = (self.info or {}).get(field)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        value = float(value)
        return value if value == value and abs(value) != float("inf") else None

    def text(self, field: str) -> str | None:
        value = (self.info or {}).get(field)
        return value.strip() if isinstance(value, str) and value.strip() else None


@dataclass(frozen=True, slots=True)
class _Row:
    info: dict[str, Any] | None
    fetched_at: datetime


class FundamentalsStore(PerSymbolStore[_Row, Fundamentals]):
    """Fundamentals of symbols from one source, through the market cache.

    The fetch loop (breaker, rate limits, stale fallback) is
    :class:`~analytics.data.per_symbol.PerSymbolStore`'s; this says what is kept and for how
    long (``ttl``).
    """

    what = "fundamentals"

    def __init__(
        self,
        cache: MarketCache,
        source: Source,
        *,
        clock: Callable[[], datetime] = utc_now,
        ttl: timedelta = DEFAULT_TTL,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        super().__init__(cache, source, clock=clock, breaker=breaker)
        self.ttl = ttl

    @classmethod
    def beside(cls, market: MarketData) -> FundamentalsStore:
        """The store that shares the market's cache, source, clock and circuit breaker.

        The source says how long its answers keep (``info_ttl``: zero for a CSV folder, read
        on every question); otherwise they are cached for 24 hours.
        """
        ttl = getattr(market.source, "info_ttl", None)
        return cls(
            market.cache,
            market.source,
            clock=market.clock,
            ttl=DEFAULT_TTL if ttl is None else ttl,
            breaker=market.breaker,
        )

    # -- cache rows -------------------------------------------------------------------------
    def cached(self, symbol: str) -> _Row | None:
        row = (
            self.cache.connection()
            .execute("SELECT info, fetched_at FROM fundamentals WHERE symbol = ?", (symbol,))
            .fetchone()
        )
        if row is None:
            return None
        info = json.loads(row["info"]) if row["info"] is not None else None
        return _Row(
            info if isinstance(info, dict) else None, datetime.fromisoformat(row["fetched_at"])
        )

    def _save(self, symbol: str, info: dict[str, Any] | None, now: datetime) -> None:
        payload = None if info is None else json.dumps(info, default=str, allow_nan=False)
        with self.cache.transaction():
            self.cache.db["fundamentals"].upsert(
                {
                    "symbol": symbol,
                    "info": payload,
                    "fetched_at": now.isoformat(),
                    "source": getattr(self.source, "label", ""),
                },
                pk="symbol",
            )

    # -- what the fetch loop needs ----------------------------------------------------------
    def _fresh(self, row: _Row, now: datetime) -> bool:
        return now - row.fetched_at < self.ttl

    def _fetcher(self) -> Callable[[str], dict[str, Any] | None]:
        return self.source.fetch_info

    def _from_cache(self, symbol: str, row: _Row) -> Fundamentals:
        return Fundamentals(symbol, row.info, row.fetched_at)

    def _keep(self, symbol: str, fetched: dict[str, Any] | None, now: datetime) -> Fundamentals:
        info = _clean(fetched)
        self._save(symbol, info, now)
        return Fundamentals(symbol, info, now)

    def _fallback(self, symbol: str, row: _Row | None, reason: str) -> Fundamentals:
        if row is None:
            return Fundamentals(
                symbol, None, None, error=f"no fundamentals could be had ({reason})"
            )
        return Fundamentals(symbol, row.info, row.fetched_at, stale=True, stale_reason=reason)

    # -- public -----------------------------------------------------------------------------
    def get(self, symbol: str) -> Fundamentals:
        return self.get_many([symbol])[symbol]


def _clean(info: dict[str, Any] | None) -> dict[str, Any] | None:
    """Drop non-finite floats (JSON cannot store them) and treat an empty dict as none."""
    if not info:
        return None
    out: dict[str, Any] = {}
    for key, value in info.items():
        if isinstance(value, float) and (value != value or abs(value) == float("inf")):
            continue
        out[str(key)] = value
    return out
