"""The interface every market-data source implements.

A source knows how to fetch daily bars and per-symbol metadata; it knows nothing about
the cache, periods or returns. The market service (``analytics.data.market``) decides *what*
to fetch (only ranges missing from the cache) and calls :meth:`Source.fetch_history`
once for all symbols that need it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol

FailureKind = Literal["not_found", "failed", "no_history"]


def finite(value: Any) -> float | None:
    """``value`` as a float, or ``None`` when it is missing, not a number, NaN or infinite
    (how pandas frames from any source mark a gap)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True, slots=True)
class Bar:
    """One daily bar on its exchange-local trading date.

    ``adj_close`` is ``None`` when the source has no adjusted close (for example files
    exported with ``auto_adjust=True``, whose ``close`` is already adjusted).
    """

    day: date
    close: float
    open: float | None = None
    high: float | None = None
    low: float | None = None
    adj_close: float | None = None
    volume: float | None = None

    def is_valid(self) -> bool:
        """A bar is usable only with a finite, positive close."""
        return self.close is not None and math.isfinite(self.close) and self.close > 0


@dataclass(slots=True)
class SymbolHistory:
    """What a source returned for one symbol.

    ``error`` is ``None`` on success (``bars`` may still be empty: no trading in the
    range). On failure ``bars`` is empty and ``error_kind`` says why:
    ``not_found`` (the symbol does not exist), ``no_history`` (exists but the source
    serves no usable daily history), ``failed`` (transient: rate limit, network, bad data).

    ``actions`` lists the days in the fetched range with a split or a dividend. A source
    whose prices are adjusted back in time for them (Yahoo) must report them: bars cached
    before such a day are no longer on the same basis as the ones just fetched.
    """

    symbol: str
    bars: list[Bar] = field(default_factory=list)
    currency: str | None = None
    name: str | None = None
    #: The source's short name (Yahoo's ``shortName``, e.g. ``TENCENT``) and exchange code.
    short_name: str | None = None
    exchange: str | None = None
    timezone: str | None = None
    error: str | None = None
    error_kind: FailureKind | None = None
    actions: list[date] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


#: ``quoteType`` values of listings that are companies' shares.
EQUITY = "EQUITY"


@dataclass(frozen=True, slots=True)
class Listing:
    """One search result: a tradable listing and what the source calls it.

    ``quote_type`` is Yahoo's (``EQUITY``, ``ETF``, ``OPTION``, ``INDEX``,
    ``CRYPTOCURRENCY``, ``MUTUALFUND``, ``CURRENCY``, ``FUTURE``), upper case; ``score`` is
    the source's rank (higher first), ``None`` when it gives none.
    """

    symbol: str
    long_name: str | None = None
    short_name: str | None = None
    exchange: str | None = None
    exchange_name: str | None = None
    quote_type: str | None = None
    score: float | None = None

    @property
    def name(self) -> str | None:
        return self.long_name or self.short_name

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "long_name": self.long_name,
            "short_name": self.short_name,
            "exchange": self.exchange,
            "exchange_name": self.exchange_name,
            "quote_type": self.quote_type,
            "score": self.score,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Listing:
        return cls(**{k: data.get(k) for k in cls.__slots__})  # type: ignore[attr-defined]


class Source(Protocol):
    """A provider of daily bars and metadata."""

    #: Short label shown in replies' footers, e.g. ``"Yahoo Finance"`` or ``"CSV folder"``.
    label: str
    # Optional: ``info_ttl`` (a timedelta), how long fetch_info answers may be cached;
    # sources without it get the fundamentals store's default (24 hours).

    def fetch_history(
        self, symbols: Sequence[str], start: date, end: date
    ) -> dict[str, SymbolHistory]:
        """Daily bars for every symbol with ``start <= day <= end`` (inclusive).

        Returns one entry per requested symbol. Per-symbol problems are reported in
        :attr:`SymbolHistory.error`; a failure of the whole source (network down, every
        request rate limited) may instead raise :class:`analytics.errors.SourceError`.
        Bars must be valid (finite positive close); invalid rows are dropped, never
        returned.
        """
        ...

    def fetch_info(self, symbol: str) -> dict[str, Any] | None:
        """Metadata in yfinance ``.info`` field names (``currency``, ``financialCurrency``,
        ``longName``, ``sharesOutstanding``, ``trailingEps``, ...), or ``None`` if the source
        has none for this symbol. May raise :class:`analytics.errors.SourceError`.
        """
        ...

    # Optional: ``search(query, limit, timeout) -> list[Listing]``, listings whose name or
    # ticker matches ``query``, best first (an empty list: nothing matches). A failure
    # (rate limit, timeout, malformed answer) raises :class:`analytics.errors.SourceError`,
    # never returns "nothing matches". Sources without it find no names.
