"""YahooSource through the real yfinance against the local Yahoo double (no mocks).

Prices for the calendar tests are the real CSVs in ``<repo>/../shared/market-data``;
expected closes are read from those files here, independently of the double's loader.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from analytics.data.sources.yahoo import YahooSession, YahooSource
from analytics.errors import RateLimitedError, SourceError
from tests.real_data import closes_by_date as csv_closes
from tests.yahoo_double import (
    DailyBar,
    YahooDouble,
    closed_port_url,
    shared_symbols,
    symbol_data,
)

HK = ["0700.HK", "0981.HK", "1024.HK", "1211.HK", "1810.HK", "3690.HK", "9618.HK", "9988.HK"]
US = ["AAPL", "MSFT", "NVDA", "TSLA"]
SERVED_FROM, SERVED_TO = date(2024, 12, 2), date(2025, 3, 14)


def synthetic(symbol: str, closes: dict[date, float], **overrides: object) -> dict:
    """A served symbol whose adjusted close differs from its close (as after a dividend)."""
    bars = [
        DailyBar(d, c - 1, c + 2, c - 2, c, round(c * 0.9, 6), 1000 + i)
        for i, (d, c) in enumerate(sorted(closes.items()))
    ]
    return {symbol: symbol_data(symbol, bars, **overrides)}


WEEK = {
    date(2025, 3, 3): 100.0,
    date(2025, 3, 4): 101.5,
    date(2025, 3, 5): 99.25,
    date(2025, 3, 6): 102.0,
    date(2025, 3, 7): 103.75,
}


@pytest.fixture
def source(yahoo_double: YahooDouble, tmp_path: Path) -> YahooSource:
    return YahooSource(base_url=yahoo_double.base_url, timeout=2.0, cache_dir=tmp_path / "yf")


@pytest.fixture
def real_prices(yahoo_double: YahooDouble) -> Iterator[YahooDouble]:
    yahoo_double.serve(shared_symbols(HK + US, SERVED_FROM, SERVED_TO))
    yield yahoo_double


def test_one_chart_request_per_symbol_in_one_call(
    real_prices: YahooDouble, source: YahooSource
) -> None:
    result = source.fetch_history(HK + US, date(2025, 2, 3), date(2025, 2, 28))

    assert sorted(result) == sorted(HK + US)
    assert all(h.ok and h.bars for h in result.values())
    history_requests = real_prices.chart_requests()
    assert len(history_requests) == len(HK + US)
    assert {r.symbol for r in history_requests} == set(HK + US)
    assert all(r.query["interval"] == "1d" for r in history_requests)


def test_hong_kong_and_new_york_keep_their_own_trading_days(
    real_prices: YahooDouble, source: YahooSource
) -> None:
    start, end = date(2025, 1, 6), date(2025, 2, 7)
    result = source.fetch_history(["0700.HK", "9988.HK", "AAPL", "MSFT"], start, end)

    for symbol in ["0700.HK", "9988.HK", "AAPL", "MSFT"]:
        expected = {d: c for d, c in csv_closes(symbol).items() if start <= d <= end}
        assert {b.day: b.close for b in result[symbol].bars} == expected
    hk_days = {b.day for b in result["0700.HK"].bars}
    us_days = {b.day for b in result["AAPL"].bars}
    lunar_new_year = {date(2025, 1, 29), date(2025, 1, 30), date(2025, 1, 31)}
    assert not hk_days & lunar_new_year and lunar_new_year <= us_days
    # New York closed on 9 Jan (national day of mourning) and 20 Jan (MLK day); HK open.
    assert {date(2025, 1, 9), date(2025, 1, 20)} <= hk_days - us_days
    assert result["0700.HK"].currency == "HKD" and result["AAPL"].currency == "USD"
    assert result["0700.HK"].timezone == "Asia/Hong_Kong"


def test_close_and_adjusted_close_both_returned(
    yahoo_double: YahooDouble, source: YahooSource
) -> None:
    yahoo_double.serve(synthetic("ACME", WEEK))

    bars = source.fetch_history(["ACME"], date(2025, 3, 4), date(2025, 3, 6))["ACME"].bars

    assert [(b.day, b.close, b.adj_close) for b in bars] == [
        (d, WEEK[d], round(WEEK[d] * 0.9, 6)) for d in sorted(WEEK) if 4 <= d.day <= 6
    ]
    first = bars[0]
    assert (first.open, first.high, first.low, first.volume) == (100.5, 103.5, 99.5, 1001)


def test_splits_and_dividends_are_reported_per_symbol(
    real_prices: YahooDouble, source: YahooSource
) -> None:
    real_prices.split("AAPL", date(2025, 3, 11), 4)
    real_prices.dividend("MSFT", date(2025, 3, 12), 0.83)
    real_prices.dividend("0700.HK", date(2025, 3, 8), 3.4)  # a Saturday: no bar that day

    result = source.fetch_history(
        ["AAPL", "MSFT", "0700.HK", "NVDA"], date(2025, 3, 5), date(2025, 3, 14)
    )

    assert result["AAPL"].actions == [date(2025, 3, 11)]
    assert result["MSFT"].actions == [date(2025, 3, 12)]
    assert result["0700.HK"].actions == [date(2025, 3, 7)]  # yfinance files it on the bar before
    assert result["NVDA"].actions == []
    # Prices as Yahoo serves them after the split: divided by 4 before it, not after.
    expected = {d: c / 4 if d < date(2025, 3, 11) else c for d, c in csv_closes("AAPL").items()}
    assert [(b.day, b.close) for b in result["AAPL"].bars] == [
        (d, pytest.approx(expected[d], rel=1e-9))
        for d in sorted(expected)
        if date(2025, 3, 5) <= d <= date(2025, 3, 14)
    ]
    # Asking for actions costs no request: still one chart request per symbol.
    assert sorted(r.symbol or "" for r in real_prices.chart_requests()) == sorted(
        ["AAPL", "MSFT", "0700.HK", "NVDA"]
    )
    # Only actions inside the asked range are reported.
    later = source.fetch_history(["AAPL", "MSFT"], date(2025, 3, 13), date(2025, 3, 14))
    assert later["AAPL"].actions == [] and later["MSFT"].actions == []


def test_failed_symbols_report_no_actions(real_prices: YahooDouble, source: YahooSource) -> None:
    real_prices.split("MSFT", date(2025, 3, 5), 2)
    real_prices.server_error(symbols=["MSFT"])

    result = source.fetch_history(["AAPL", "MSFT"], date(2025, 3, 3), date(2025, 3, 7))

    assert not result["MSFT"].ok and result["MSFT"].actions == []


def test_unknown_symbol_among_known_ones(real_prices: YahooDouble, source: YahooSource) -> None:
    result = source.fetch_history(["AAPL", "NOPE", "0700.HK"], date(2025, 3, 3), date(2025, 3, 7))

    assert result["NOPE"].error_kind == "not_found" and not result["NOPE"].bars
    assert result["AAPL"].ok and len(result["AAPL"].bars) == 5
    assert result["0700.HK"].ok and len(result["0700.HK"].bars) == 5


def test_rate_limited_everywhere_raises(real_prices: YahooDouble, source: YahooSource) -> None:
    real_prices.rate_limit()

    with pytest.raises(RateLimitedError):
        source.fetch_history(["AAPL", "MSFT"], date(2025, 3, 3), date(2025, 3, 7))
    assert {r.status for r in real_prices.chart_requests(history_only=False)} == {429}


def test_rate_limit_for_one_symbol_fails_only_that_one(
    real_prices: YahooDouble, source: YahooSource
) -> None:
    real_prices.rate_limit(symbols=["MSFT"])

    result = source.fetch_history(["AAPL", "MSFT"], date(2025, 3, 3), date(2025, 3, 7))

    assert result["MSFT"].error_kind == "failed" and "429" in (result["MSFT"].error or "")
    assert result["AAPL"].ok and len(result["AAPL"].bars) == 5


def test_a_single_429_is_retried_by_yfinance(real_prices: YahooDouble, source: YahooSource) -> None:
    real_prices.rate_limit(symbols=["AAPL"], times=1)

    result = source.fetch_history(["AAPL"], date(2025, 3, 3), date(2025, 3, 7))

    assert result["AAPL"].ok and len(result["AAPL"].bars) == 5
    assert 429 in {r.status for r in real_prices.chart_requests("AAPL", history_only=False)}


def test_nan_closes_are_dropped(yahoo_double: YahooDouble, source: YahooSource) -> None:
    yahoo_double.serve(synthetic("ACME", WEEK) | synthetic("HOLE", WEEK))
    yahoo_double.nan_closes(["ACME"], days=[date(2025, 3, 4), date(2025, 3, 6)])
    yahoo_double.nan_closes(["HOLE"])

    result = source.fetch_history(["ACME", "HOLE"], date(2025, 3, 3), date(2025, 3, 7))

    assert [b.day.day for b in result["ACME"].bars] == [3, 5, 7]
    assert all(b.is_valid() for b in result["ACME"].bars)
    assert result["HOLE"].ok and result["HOLE"].bars == []


def test_empty_answer_is_no_bars_not_an_error(
    real_prices: YahooDouble, source: YahooSource
) -> None:
    real_prices.empty(["MSFT"])

    result = source.fetch_history(["AAPL", "MSFT"], date(2025, 3, 3), date(2025, 3, 7))

    assert result["MSFT"].ok and result["MSFT"].bars == [] and result["MSFT"].currency == "USD"
    assert len(result["AAPL"].bars) == 5


def test_yahoo_no_data_for_range_error_is_not_an_unknown_symbol(
    real_prices: YahooDouble, source: YahooSource
) -> None:
    real_prices.empty(["MSFT"], as_error=True)  # 404 "No data found for this date range"

    result = source.fetch_history(["AAPL", "MSFT"], date(2025, 3, 3), date(2025, 3, 7))

    assert result["MSFT"].ok and result["MSFT"].bars == []
    assert {r.status for r in real_prices.chart_requests("MSFT")} == {404}
    assert len(result["AAPL"].bars) == 5


def test_short_valid_ranges_mean_no_history(yahoo_double: YahooDouble, source: YahooSource) -> None:
    yahoo_double.serve(
        synthetic("HSTECH.HK", WEEK, valid_ranges=["1d", "5d"]) | synthetic("ACME", WEEK)
    )

    result = source.fetch_history(["HSTECH.HK", "ACME"], date(2025, 3, 3), date(2025, 3, 7))

    assert result["HSTECH.HK"].error_kind == "no_history" and result["HSTECH.HK"].bars == []
    assert len(result["ACME"].bars) == 5


def test_server_errors_and_malformed_answers_fail_the_symbol(
    real_prices: YahooDouble, source: YahooSource
) -> None:
    real_prices.server_error(symbols=["MSFT"])
    real_prices.malformed(symbols=["NVDA"])

    result = source.fetch_history(["AAPL", "MSFT", "NVDA"], date(2025, 3, 3), date(2025, 3, 7))

    assert result["MSFT"].error_kind == "failed" and "500" in (result["MSFT"].error or "")
    assert result["NVDA"].error_kind == "failed" and "malformed" in (result["NVDA"].error or "")
    assert len(result["AAPL"].bars) == 5


def test_every_symbol_failing_with_500_raises_source_error(
    real_prices: YahooDouble, source: YahooSource
) -> None:
    real_prices.server_error()

    with pytest.raises(SourceError) as raised:
        source.fetch_history(["AAPL", "MSFT"], date(2025, 3, 3), date(2025, 3, 7))
    assert not isinstance(raised.value, RateLimitedError)


def test_hang_longer_than_timeout_fails_that_symbol(
    real_prices: YahooDouble, tmp_path: Path
) -> None:
    quick = YahooSource(base_url=real_prices.base_url, timeout=0.3, cache_dir=tmp_path)
    real_prices.hang(5.0, symbols=["MSFT"])

    result = quick.fetch_history(["AAPL", "MSFT"], date(2025, 3, 3), date(2025, 3, 7))

    assert result["MSFT"].error_kind == "failed" and "network" in (result["MSFT"].error or "")
    assert len(result["AAPL"].bars) == 5


def test_connection_refused_raises_source_error(tmp_path: Path) -> None:
    down = YahooSource(base_url=closed_port_url(), timeout=1.0, cache_dir=tmp_path)

    with pytest.raises(SourceError) as raised:
        down.fetch_history(["AAPL", "0700.HK"], date(2025, 3, 3), date(2025, 3, 7))
    assert not isinstance(raised.value, RateLimitedError)
    with pytest.raises(SourceError):
        down.fetch_info("AAPL")


INFO = {
    "longName": "Alibaba Group Holding Limited",
    "currency": "HKD",
    "financialCurrency": "CNY",
    "sharesOutstanding": 19_000_000_000,
    "trailingEps": 5.91,
    "sector": "Consumer Cyclical",
    "trailingPE": 21.5,
    "totalRevenue": 996_347_000_000,
}


def test_info_fields_come_through_quote_summary(
    yahoo_double: YahooDouble, source: YahooSource
) -> None:
    yahoo_double.serve(synthetic("9988.HK", WEEK, info=INFO))

    info = source.fetch_info("9988.HK")

    assert info is not None
    assert {k: info.get(k) for k in INFO} == INFO
    assert info["regularMarketPrice"] == WEEK[max(WEEK)]  # via /v7/finance/quote
    summary = [r for r in yahoo_double.requests() if "quoteSummary" in r.path]
    assert summary and "financialData" in summary[0].query["modules"]


def test_info_of_unknown_symbol_is_none(yahoo_double: YahooDouble, source: YahooSource) -> None:
    assert source.fetch_info("NOPE") is None


def test_info_rate_limited_raises(yahoo_double: YahooDouble, source: YahooSource) -> None:
    yahoo_double.serve(synthetic("9988.HK", WEEK, info=INFO))
    yahoo_double.rate_limit()

    with pytest.raises(RateLimitedError):
        source.fetch_info("9988.HK")


def test_info_server_error_raises_source_error(
    yahoo_double: YahooDouble, source: YahooSource
) -> None:
    yahoo_double.serve(synthetic("9988.HK", WEEK, info=INFO))
    yahoo_double.server_error()

    with pytest.raises(SourceError) as raised:
        source.fetch_info("9988.HK")
    assert not isinstance(raised.value, RateLimitedError)


def test_two_sources_keep_their_own_servers(
    yahoo_double: YahooDouble, source: YahooSource, tmp_path: Path
) -> None:
    from tests.yahoo_double import running_double

    yahoo_double.serve(synthetic("ACME", WEEK))
    with running_double(synthetic("ACME", {d: c * 2 for d, c in WEEK.items()})) as other:
        second = YahooSource(base_url=other.base_url, timeout=2.0, cache_dir=tmp_path / "b")
        for src, factor in [(source, 1), (second, 2), (source, 1)]:
            bars = src.fetch_history(["ACME"], date(2025, 3, 3), date(2025, 3, 3))["ACME"].bars
            assert [b.close for b in bars] == [100.0 * factor]
    assert (tmp_path / "b" / "tkr-tz.db").exists()  # caches go where we said, not to ~


def test_yfinance_failure_logs_go_to_our_debug_log_only(
    real_prices: YahooDouble, source: YahooSource, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="analytics.data.sources.yahoo")

    source.fetch_history(["AAPL", "NOPE"], date(2025, 3, 3), date(2025, 3, 7))

    loud = [r for r in caplog.records if r.name == "yfinance" and r.levelno >= logging.WARNING]
    assert loud == []
    ours = [r.getMessage() for r in caplog.records if r.name == "analytics.data.sources.yahoo"]
    assert any("NOPE" in m and "not_found" in m for m in ours)


def test_default_cache_is_not_in_the_home_directory(yahoo_double: YahooDouble) -> None:
    from yfinance import cache as yf_cache

    YahooSource(base_url=yahoo_double.base_url)

    location = Path(yf_cache._TzDBManager.get_location()).resolve()
    assert not location.is_relative_to(Path.home().resolve())


def test_session_rewrites_only_yahoo_urls() -> None:
    session = YahooSession("http://127.0.0.1:9/")
    assert (
        session.rewrite("https://query2.finance.yahoo.com/v8/finance/chart/A?x=1")
        == "http://127.0.0.1:9/query2.finance.yahoo.com/v8/finance/chart/A?x=1"
    )
    assert session.rewrite("https://fc.yahoo.com") == "http://127.0.0.1:9/fc.yahoo.com"
    assert session.rewrite("https://example.com/a") == "https://example.com/a"
    assert YahooSession().rewrite("https://fc.yahoo.com/") == "https://fc.yahoo.com/"
