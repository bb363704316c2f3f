"""/levels' analytics on real series, checked against a computation with the csv module."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from analytics.data.cache import MarketCache
from analytics.data.market import MarketData
from analytics.data.sources.csvdir import CsvFolderSource
from analytics.data.sources.yahoo import YahooSource
from analytics.errors import NoDataError, UserInputError
from analytics.metrics.levels import compute_levels
from analytics.metrics.periods import Period
from tests.real_data import MARKET_DATA
from tests.real_data import closes_by_date as closes
from tests.yahoo_double import DailyBar, YahooDouble, symbol_data

CLOCK = datetime(2026, 4, 1, tzinfo=UTC)


def months_back(day: date, months: int) -> date:
    """The same day of the month ``months`` earlier, or that month's last day when it is
    shorter (31 May - 3 months = 28 or 29 February). Stepped back month by month here, not
    with the project's ``add_months``, so the two can disagree."""
    year, month = day.year, day.month
    for _ in range(months):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    dom = day.day
    while dom > 28:  # every month has a 28th
        try:
            return date(year, month, dom)
        except ValueError:
            dom -= 1
    return date(year, month, dom)


def test_months_back_by_hand() -> None:
    assert months_back(date(2025, 3, 6), 12) == date(2024, 3, 6)
    assert months_back(date(2024, 2, 29), 12) == date(2023, 2, 28)
    assert months_back(date(2025, 5, 31), 3) == date(2025, 2, 28)
    assert months_back(date(2024, 5, 31), 3) == date(2024, 2, 29)
    assert months_back(date(2025, 1, 15), 3) == date(2024, 10, 15)


def expected(rows: dict[date, float], end: date | None, lookback_from: date | None) -> dict:
    """The levels, computed the plain way: lists and comparisons, no project code."""
    days = sorted(d for d in rows if end is None or d <= end)
    as_of = days[-1]
    last = rows[as_of]
    base = days[0] if lookback_from is None else max(d for d in days if d <= lookback_from)
    window = [d for d in days if d >= base]
    peak = max(rows[d] for d in window)
    week = max(d for d in days if d <= as_of - timedelta(days=7))
    year = [d for d in days if d > months_back(as_of, 12)]
    return {
        "as_of": as_of.isoformat(),
        "last_close": last,
        "peak_close": peak,
        "peak_date": max(d for d in window if rows[d] == peak).isoformat(),
        "drawdown_pct": (last / peak - 1) * 100,
        "highest_since": max(
            (d.isoformat() for d in window if d < as_of and rows[d] >= last), default=None
        ),
        "week_change_pct": (last / rows[week] - 1) * 100,
        "week_base_date": week.isoformat(),
        "high_52w": max(rows[d] for d in year),
        "low_52w": min(rows[d] for d in year),
        "lookback_start": base.isoformat(),
    }


def check(data: dict, want: dict) -> None:
    for key, value in want.items():
        if isinstance(value, float):
            assert data[key] == pytest.approx(value), key
        else:
            assert data[key] == value, key


@pytest.fixture
def market(tmp_path: Path):
    cache = MarketCache(tmp_path / "c.sqlite3")
    yield MarketData(cache, CsvFolderSource(MARKET_DATA), clock=lambda: CLOCK)
    cache.close()


def test_tencent_as_of_a_date_over_all_the_data(market: MarketData) -> None:
    end = date(2025, 3, 7)
    result = compute_levels(market, "0700.HK", Period(name="max", end=end))
    want = expected(closes("0700.HK"), end, None)
    check(result.to_json(), want)
    assert want["highest_since"] == "2025-03-06"  # the 6th closed higher than the 7th
    assert result.currency == "HKD" and result.lookback == "max"
    assert result.lookback_start == date(2020, 1, 2)


def test_latest_close_of_a_file_that_ends_before_today(market: MarketData) -> None:
    # Today is 2026-04-01; 0700.HK.csv ends 2025-05-22: that close is the latest.
    result = compute_levels(market, "0700.HK", Period(name="max"))
    want = expected(closes("0700.HK"), None, None)
    assert want["as_of"] == "2025-05-22"
    check(result.to_json(), want)


def test_shorter_lookback_on_old_files(market: MarketData) -> None:
    result = compute_levels(market, "9988.HK", Period(name="3m"))
    rows = closes("9988.HK")
    as_of = max(rows)
    want = expected(rows, None, months_back(as_of, 3))
    check(result.to_json(), want)


def test_new_high_of_the_lookback_has_no_highest_since(market: MarketData) -> None:
    # 2025-03-06 was Tencent's highest close of the year before it.
    end = date(2025, 3, 6)
    rows = closes("0700.HK")
    year_back = months_back(end, 12)
    assert rows[end] == max(v for d, v in rows.items() if year_back <= d <= end)
    result = compute_levels(market, "0700.HK", Period(name="1y", end=end))
    check(result.to_json(), expected(rows, end, year_back))
    assert result.highest_since is None and result.is_lookback_high
    assert result.drawdown_pct == 0.0 and result.peak_date == end
    assert result.high_52w == rows[end]


def test_all_time_high_in_the_data(market: MarketData) -> None:
    rows = closes("AAPL")
    days = sorted(rows)
    running = 0.0
    record = days[0]
    for d in days:
        if rows[d] >= running:
            running, record = rows[d], d
    result = compute_levels(market, "AAPL", Period(name="max", end=record))
    data = result.to_json()
    check(data, expected(rows, record, None))
    assert data["highest_since"] is None and data["peak_date"] == record.isoformat()


def test_too_little_history_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "ONE.csv").write_text("Date,Close\n2025-03-07,10\n", encoding="utf-8")
    lines = ["Date,Close"] + [f"{date(2025, 2, 1) + timedelta(days=i)},{10 + i}" for i in range(30)]
    (folder / "NEW.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cache = MarketCache(tmp_path / "c.sqlite3")
    try:
        market = MarketData(cache, CsvFolderSource(folder), clock=lambda: CLOCK)
        with pytest.raises(NoDataError, match="only 1 daily close in the lookback"):
            compute_levels(market, "ONE", Period(name="max"))
        with pytest.raises(UserInputError, match="Unknown symbol NOPE"):
            compute_levels(market, "NOPE", Period(name="max"))
        short = compute_levels(market, "NEW", Period(name="1y"))
        assert short.short_history and short.sessions == 30
        assert short.highest_since is None and short.last_close == 39.0
        assert any("History starts 2025-02-01" in n for n in short.notes)
        assert any("less than a year of history" in n for n in short.notes)
    finally:
        cache.close()


def test_yahoo_index_serving_only_days_says_so(yahoo_double: YahooDouble, tmp_path: Path) -> None:
    bars = [
        DailyBar(date(2025, 3, 6), 5000.0, 5050.0, 4990.0, 5000.0, 5000.0, 1e6),
        DailyBar(date(2025, 3, 7), 5010.0, 5110.0, 5000.0, 5100.0, 5100.0, 1e6),
    ]
    yahoo_double.serve({"HSTECH.HK": symbol_data("HSTECH.HK", bars, valid_ranges=["1d", "5d"])})
    cache = MarketCache(tmp_path / "y.sqlite3")
    try:
        market = MarketData(
            cache,
            YahooSource(base_url=yahoo_double.base_url),
            clock=lambda: datetime(2025, 3, 8, 12, tzinfo=UTC),
        )
        with pytest.raises(NoDataError) as caught:
            compute_levels(market, "HSTECH.HK", Period(name="max"))
        text = str(caught.value)
        assert text.startswith("No levels for HSTECH.HK: no usable daily history")
        assert "KTEC" in text
        assert yahoo_double.chart_requests("HSTECH.HK", history_only=False)
    finally:
        cache.close()
