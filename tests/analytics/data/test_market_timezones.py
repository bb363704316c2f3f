"""Exchange time zones live in the market cache: a new process over a warm cache asks Yahoo
for none (yfinance would look each one up again before its first history request)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from analytics.data.cache import MarketCache
from analytics.data.market import MarketData
from analytics.data.sources.yahoo import YahooSource
from tests.real_data import closes_by_date
from tests.yahoo_double import YahooDouble, shared_symbols

SYMBOLS = ["AAPL", "MSFT", "0700.HK", "9988.HK"]


def tz_lookups(double: YahooDouble) -> list[str]:
    return [r.symbol for r in double.chart_requests(history_only=False) if "range" in r.query]


def test_a_restarted_bot_asks_no_time_zone_the_cache_knows(
    yahoo_double: YahooDouble, tmp_path: Path
) -> None:
    yahoo_double.serve(shared_symbols(SYMBOLS, date(2024, 12, 2), date(2025, 3, 14)))
    db = tmp_path / "cache.sqlite3"
    first = MarketData(
        MarketCache(db), YahooSource(yahoo_double.base_url, cache_dir=tmp_path / "yf-1")
    )
    first.history(SYMBOLS, date(2025, 2, 3), date(2025, 2, 28))
    assert sorted(tz_lookups(yahoo_double)) == sorted(SYMBOLS)  # a fresh install asks once
    assert {s: first.cache.symbol_meta(s).timezone for s in SYMBOLS} == {
        "AAPL": "America/New_York",
        "MSFT": "America/New_York",
        "0700.HK": "Asia/Hong_Kong",
        "9988.HK": "Asia/Hong_Kong",
    }

    # A new process: yfinance's own zone cache is empty (a new folder), the market cache warm.
    yahoo_double.clear_requests()
    again = MarketData(
        MarketCache(db), YahooSource(yahoo_double.base_url, cache_dir=tmp_path / "yf-2")
    )
    history = again.history(SYMBOLS, date(2025, 2, 3), date(2025, 3, 7))

    assert tz_lookups(yahoo_double) == []
    assert sorted(r.symbol for r in yahoo_double.chart_requests()) == sorted(SYMBOLS)
    for symbol in SYMBOLS:  # and the new days are the right ones, in each market's calendar
        expected = {
            d: c
            for d, c in closes_by_date(symbol).items()
            if date(2025, 3, 1) <= d <= date(2025, 3, 7)
        }
        got = {b.day: b.close for b in history.series[symbol].bars if b.day >= date(2025, 3, 1)}
        assert got.keys() == expected.keys()
        assert all(abs(got[d] - expected[d]) < 1e-6 for d in expected), symbol
