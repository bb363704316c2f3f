"""Services over the Yahoo double serving the real recorded payloads (see tests/yahoo_recorded.py).

Each recorded listing gets written price bars: its recorded price on the recorded day (and
the same close on the five trading days before, so "latest close" finds it). FX: CNY=X from
the shared CSV, EUR=X and TRY=X written (``WRITTEN_FX``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from analytics.data.sources.yahoo import YahooSource
from analytics.services import Services
from tests.real_data import MARKET_DATA
from tests.source_doubles import Clock
from tests.yahoo_double import DailyBar, SymbolData, YahooDouble, bars_from_shared_csv, symbol_data
from tests.yahoo_recorded import WRITTEN_FX, Recorded, recorded, recorded_price

RECORDED_LISTINGS = ("BEKE", "SPOT", "THYAO.IS", "EREGL.IS", "CMCOM.AS", "CRM", "ARMK")
#: After every recorded price (the latest is 2025-02-24 in Istanbul).
RECORDED_NOW = datetime(2025, 2, 25, 12, 0, tzinfo=UTC)


def trading_days_before(day: date, count: int) -> list[date]:
    days: list[date] = []
    cursor = day
    while len(days) < count:
        if cursor.weekday() < 5:
            days.append(cursor)
        cursor -= timedelta(days=1)
    return sorted(days)


def flat_bars(days: Iterable[date], close: float) -> list[DailyBar]:
    return [DailyBar(d, close, close, close, close, close, 1e6) for d in days]


def listing(
    symbol: str, rec: Recorded | None = None, bars: list[DailyBar] | None = None
) -> SymbolData:
    """A recorded listing: its payloads, currency and zone, and written bars."""
    day, price, currency, zone = recorded_price(symbol)
    return symbol_data(
        symbol,
        bars if bars is not None else flat_bars(trading_days_before(day, 6), price),
        currency=currency,
        timezone=zone,
        recorded=rec or recorded(symbol),
    )


def fx_data(start: date, end: date) -> dict[str, SymbolData]:
    days = [d for d in (start + timedelta(n) for n in range((end - start).days + 1))]
    days = [d for d in days if d.weekday() < 5]
    served = {s: symbol_data(s, flat_bars(days, rate)) for s, rate in WRITTEN_FX.items()}
    cny = bars_from_shared_csv(MARKET_DATA / "CNY=X.csv", start, end)
    served["CNY=X"] = symbol_data("CNY=X", cny)
    return served


def recorded_services(
    double: YahooDouble, tmp_path: Path, now: datetime = RECORDED_NOW
) -> Services:
    cache_dir = tmp_path / "yf"
    cache_dir.mkdir(exist_ok=True)
    source = YahooSource(base_url=double.base_url, cache_dir=cache_dir)
    return Services.open(
        tmp_path / "recorded.sqlite3", tmp_path / "marketbot.sqlite3", source, clock=Clock(now)
    )


def serve_recorded(double: YahooDouble, symbols: Iterable[str] = RECORDED_LISTINGS) -> None:
    double.serve({s: listing(s) for s in symbols})
    double.serve(fx_data(date(2025, 1, 1), date(2025, 2, 28)))


def daily_bars(start: date, end: date, first: float, step: float) -> list[DailyBar]:
    """Written weekday closes from ``start`` to ``end``: ``first``, then ``step`` more a day."""
    out, day, n = [], start, 0
    while day <= end:
        if day.weekday() < 5:
            close = round(first + step * n, 2)
            out.append(DailyBar(day, close, close, close, close, close, 1e6))
            n += 1
        day += timedelta(days=1)
    return out
