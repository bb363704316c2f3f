"""The fetch loop of the stores that keep one answer per symbol in the market cache.

Fundamentals (:mod:`analytics.data.fundamentals`) and income statements
(:mod:`analytics.data.statements`) differ in what they keep and how long it stays fresh, but
they ask the same rate-limiting source, symbol by symbol, and must fail the same way, so the
loop that decides whether to ask is written once here:

* a fresh cached answer is served without asking;
* while the circuit breaker is open nothing is asked, and the cache is served, marked stale;
* after a rate limit the remaining symbols are not asked for either (more requests only
  lengthen the source's ban), and each is served from the cache, marked stale;
* another source failure costs only that symbol, served from the cache, marked stale;
* a successful fetch closes the breaker and is saved.

A subclass says what a row is, when it is fresh, how it is fetched, saved and answered.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from analytics.data.breaker import CircuitBreaker
from analytics.data.cache import MarketCache
from analytics.data.market import utc_now
from analytics.data.sources.base import Source
from analytics.errors import RateLimitedError, SourceError

Row = TypeVar("Row")
Answer = TypeVar("Answer")


class PerSymbolStore(ABC, Generic[Row, Answer]):
    """Answers per symbol from one source, through the market cache (module docstring).

    A process has one of each kind (on :class:`~analytics.services.Services`), so its lock
    makes one fetch decision at a time and two questions never fetch a symbol twice.
    """

    #: What the store holds, for logs ("fundamentals of AAPL rate limited").
    what: ClassVar[str]
    #: The reason every symbol gets when the source has no way to fetch this kind of data.
    cannot_fetch: ClassVar[str] = "the data source cannot fetch this"

    def __init__(
        self,
        cache: MarketCache,
        source: Source,
        *,
        clock: Callable[[], datetime] = utc_now,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.cache = cache
        self.source = source
        self.clock = clock
        self.breaker = breaker or CircuitBreaker(clock)
        self._fetch_lock = threading.Lock()

    @abstractmethod
    def cached(self, symbol: str) -> Row | None:
        """The symbol's row in the cache, decoded; None if it has none."""

    @abstractmethod
    def _fresh(self, row: Row, now: datetime) -> bool:
        """Whether the cached row is served at ``now`` without asking the source."""

    @abstractmethod
    def _fetcher(self) -> Callable[[str], Any] | None:
        """The source's fetch of one symbol, or None if the source has none."""

    @abstractmethod
    def _from_cache(self, symbol: str, row: Row) -> Answer:
        """The answer of a fresh cached row."""

    @abstractmethod
    def _keep(self, symbol: str, fetched: Any, now: datetime) -> Answer:
        """Save what the source returned at ``now``; the answer it makes."""

    @abstractmethod
    def _fallback(self, symbol: str, row: Row | None, reason: str) -> Answer:
        """The cached row marked stale with ``reason``, or an error when there is none."""

    def get_many(self, symbols: Iterable[str]) -> dict[str, Answer]:
        """Each symbol's answer: fresh from the cache, else fetched, else stale.

        After a rate limit the remaining symbols are not asked for (more requests only
        lengthen the source's ban); they are served from the cache, marked stale.
        """
        out: dict[str, Answer] = {}
        log = logging.getLogger(type(self).__module__)  # logs under the store's module
        fetch = self._fetcher()
        with self._fetch_lock:
            blocked: str | None = None
            for symbol in dict.fromkeys(symbols):
                now = self.clock()
                row = self.cached(symbol)
                if row is not None and self._fresh(row, now):
                    out[symbol] = self._from_cache(symbol, row)
                    continue
                if fetch is None:
                    blocked = self.cannot_fetch
                elif blocked is None and not self.breaker.allow():
                    blocked = "data source paused after repeated rate limits"
                if blocked is not None:
                    out[symbol] = self._fallback(symbol, row, blocked)
                    continue
                try:
                    fetched = fetch(symbol)
                except RateLimitedError as exc:
                    self.breaker.record_rate_limit()
                    log.warning("%s of %s rate limited: %s", self.what, symbol, exc)
                    blocked = "rate limited by the data source"
                    out[symbol] = self._fallback(symbol, row, blocked)
                    continue
                except SourceError as exc:
                    log.warning("%s of %s failed: %s", self.what, symbol, exc)
                    out[symbol] = self._fallback(symbol, row, f"data source failed: {exc}")
                    continue
                self.breaker.record_success()
                out[symbol] = self._keep(symbol, fetched, now)
        return out
