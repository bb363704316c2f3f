"""Currency conversion with Yahoo's ``<CUR>=X`` series (units of CUR per 1 USD).

A price on a date converts at the last rate on or before that date, at most
``MAX_RATE_AGE`` old. No rate means no conversion: the caller excludes the member and
says why. A rate is never assumed, not even for pegged currencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from analytics.data.market import MarketData
from analytics.data.series import Problem, Series
from analytics.data.symbols import fx_symbol

MAX_RATE_AGE = timedelta(days=5)

#: Sub-unit quote currencies: (major currency, units per major).
SUBUNITS = {
    "GBp": ("GBP", 100.0),
    "GBX": ("GBP", 100.0),
    "ZAc": ("ZAR", 100.0),
    "ILA": ("ILS", 100.0),
}


def major_currency(currency: str) -> tuple[str, float]:
    """``GBp`` → (``GBP``, 100): the currency FX is quoted in and the divisor to reach it."""
    if currency in SUBUNITS:
        return SUBUNITS[currency]
    return currency.upper(), 1.0


@dataclass(frozen=True, slots=True)
class Rate:
    currency: str
    day: date
    per_usd: float


class FxTable:
    """The FX series one question needs, loaded once, looked up many times."""

    def __init__(self, series: dict[str, Series], problems: dict[str, Problem]) -> None:
        self._series = series
        self._problems = problems

    @property
    def stale(self) -> bool:
        return any(s.stale for s in self._series.values())

    def stale_for(self, currency: str) -> bool:
        """Whether the series converting ``currency`` came from a stale cache."""
        symbol = fx_symbol(major_currency(currency)[0])
        series = self._series.get(symbol) if symbol else None
        return series is not None and series.stale

    def rate(self, currency: str, day: date) -> Rate | str:
        """Units of ``currency`` (major) per USD on ``day``, or the reason there is none."""
        major, _ = major_currency(currency)
        symbol = fx_symbol(major)
        if symbol is None:
            return Rate("USD", day, 1.0)
        series = self._series.get(symbol)
        if series is None:
            problem = self._problems.get(symbol)
            return f"no {symbol} rate ({problem.text if problem else 'not loaded'})"
        i = series.index_on_or_before(day)
        if i is None:
            return f"no {symbol} rate on or before {day.isoformat()}"
        bar = series.bars[i]
        if day - bar.day > MAX_RATE_AGE:
            return (
                f"no {symbol} rate within {MAX_RATE_AGE.days} days of {day.isoformat()} "
                f"(last {bar.day.isoformat()})"
            )
        return Rate(major, bar.day, bar.close)

    def to_usd(self, value: float, currency: str, day: date) -> tuple[float, Rate] | str:
        """Convert a price in ``currency`` on ``day`` into USD, or give the reason not."""
        rate = self.rate(currency, day)
        if isinstance(rate, str):
            return rate
        _, divisor = major_currency(currency)
        return value / divisor / rate.per_usd, rate


def load_fx(market: MarketData, currencies: set[str], start: date, end: date) -> FxTable:
    """Load the FX series needed to convert ``currencies`` between ``start`` and ``end``."""
    symbols = sorted(
        {s for s in (fx_symbol(major_currency(c)[0]) for c in currencies) if s is not None}
    )
    if not symbols:
        return FxTable({}, {})
    history = market.history(symbols, start - MAX_RATE_AGE - timedelta(days=3), end)
    return FxTable(history.series, history.problems)
