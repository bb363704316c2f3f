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
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from analytics.data.breaker import CircuitBreaker
from analytics.data.cache import MarketCache
from analytics.data.market import MarketData, utc_now
from analytics.data.sources.base import Source
from analytics.errors import RateLimitedError, SourceError

log = logging.getLogger(__name__)

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


class FundamentalsStore:
    """Fundamentals of symbols from one source, through the market cache.

    A process has one (on :class:`~analytics.services.Services`), so its lock makes one
    fetch decision at a time and two questions never fetch a symbol twice.
    """

    def __init__(
        self,
        cache: MarketCache,
        source: Source,
        *,
        clock: Callable[[], datetime] = utc_now,
        ttl: timedelta = DEFAULT_TTL,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.cache = cache
        self.source = source
        self.clock = clock
        self.ttl = ttl
        self.breaker = breaker or CircuitBreaker(clock)
        self._fetch_lock = threading.Lock()

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

    # -- public -----------------------------------------------------------------------------
    def get(self, symbol: str) -> Fundamentals:
        return self.get_many([symbol])[symbol]

    def get_many(self, symbols: Iterable[str]) -> dict[str, Fundamentals]:
        """Fundamentals of each symbol: fresh from the cache, else fetched, else stale.

        After a rate limit the remaining symbols are not asked for (more requests only
        lengthen Yahoo's ban); they are served from the cache, marked stale.
        """
        out: dict[str, Fundamentals] = {}
        with self._fetch_lock:
            blocked: str | None = None
            for symbol in dict.fromkeys(symbols):
                now = self.clock()
                row = self.cached(symbol)
                if row is not None and now - row.fetched_at < self.ttl:
                    out[symbol] = Fundamentals(symbol, row.info, row.fetched_at)
                    continue
                if blocked is None and not self.breaker.allow():
                    blocked = "data source paused after repeated rate limits"
                if blocked is not None:
                    out[symbol] = _fallback(symbol, row, blocked)
                    continue
                try:
                    info = self.source.fetch_info(symbol)
                except RateLimitedError as exc:
                    self.breaker.record_rate_limit()
                    log.warning("fundamentals of %s rate limited: %s", symbol, exc)
                    blocked = "rate limited by the data source"
                    out[symbol] = _fallback(symbol, row, blocked)
                    continue
                except SourceError as exc:
                    log.warning("fundamentals of %s failed: %s", symbol, exc)
                    out[symbol] = _fallback(symbol, row, f"data source failed: {exc}")
                    continue
                self.breaker.record_success()
                info = _clean(info)
                self._save(symbol, info, now)
                out[symbol] = Fundamentals(symbol, info, now)
        return out


def _fallback(symbol: str, row: _Row | None, reason: str) -> Fundamentals:
    """The cached answer marked stale, or an error when nothing was ever cached."""
    if row is None:
        return Fundamentals(symbol, None, None, error=f"no fundamentals could be had ({reason})")
    return Fundamentals(symbol, row.info, row.fetched_at, stale=True, stale_reason=reason)


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

