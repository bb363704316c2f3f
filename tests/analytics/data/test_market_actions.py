"""Splits and dividends: prices adjusted back in time must not mix with cached old ones.

Yahoo divides every bar before a split (``Close`` and ``Adj Close``) and scales every
adjusted close before a dividend. The cache settles days for good, so without care a period
extended over a 4:1 split shows a fake -75%. The market service re-fetches the whole range
of a symbol whose answer reports an action new to the cache while older bars are cached.

The first tests pin the rules on a :class:`MemorySource` (calls counted exactly); the last
ones go through the real yfinance against the Yahoo double, with real prices from
``<repo>/../shared/market-data`` and expected returns computed from those files here.
"""

from __future__ import annotations

import csv
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from analytics.data.cache import MarketCache
from analytics.data.market import MarketData
from analytics.data.sources.base import Bar
from analytics.data.sources.yahoo import YahooSource
from analytics.errors import SourceError
from tests.real_data import MARKET_DATA
from tests.source_doubles import Call, Clock, MemorySource, RecordingSource, daily
from tests.yahoo_double import DailyBar, RecordedRequest, YahooDouble, shared_symbols

D = date.fromisoformat
MONDAY = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)  # 6 January is live, the 3rd settled
SPLIT = D("2025-01-06")
OLD = daily(
    ("2024-12-30", 400.0),
    ("2024-12-31", 404.0),
    ("2025-01-02", 408.0),
    ("2025-01-03", 412.0),
)
TODAY = Bar(SPLIT, 104.0)  # after a 4:1 split: 416 before it
ADJUSTED = [Bar(b.day, b.close / 4) for b in OLD] + [TODAY]
OTHER = daily(
    ("2024-12-30", 50.0), ("2025-01-02", 51.0), ("2025-01-03", 52.0), ("2025-01-06", 53.0)
)


def make(tmp_path: Path, inner: MemorySource) -> tuple[MarketData, RecordingSource, Clock]:
    source, clock = RecordingSource(inner), Clock(MONDAY)
    return MarketData(MarketCache(tmp_path / "cache.sqlite3"), source, clock=clock), source, clock


def closes(market: MarketData, symbol: str, start: date, end: date) -> list[tuple[date, float]]:
    return [(b.day, b.close) for b in market.history([symbol], start, end).series[symbol].bars]


def split_happens(memory: MemorySource) -> None:
    """What the source serves once AAA split 4:1 on 6 January (and BBB traded that day)."""
    memory.bars["AAA"] = list(ADJUSTED)
    memory.actions["AAA"] = [SPLIT]


@pytest.fixture
def memory() -> MemorySource:
    return MemorySource({"AAA": list(OLD), "BBB": list(OTHER[:-1])})


# -- the rules, on a source whose answers are written by hand -----------------------------------


def test_a_split_refetches_only_that_symbol_whole_and_once(
    tmp_path: Path, memory: MemorySource, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="analytics.data.market")
    market, source, clock = make(tmp_path, memory)
    start = D("2024-12-30")
    market.history(["AAA", "BBB"], start, D("2025-01-03"))
    split_happens(memory)
    memory.bars["BBB"] = list(OTHER)

    history = market.history(["AAA", "BBB"], start, SPLIT)

    assert source.calls[1:] == [
        Call(("AAA", "BBB"), D("2025-01-04"), SPLIT),  # the new days, as always
        Call(("AAA",), start, SPLIT),  # AAA's whole range again, nothing for BBB
    ]
    aaa = history.series["AAA"]
    assert [(b.day, b.close) for b in aaa.bars] == [(b.day, b.close) for b in ADJUSTED]
    assert aaa.bars[-1].close / aaa.bars[0].close - 1 == pytest.approx(416 / 400 - 1)
    assert not history.stale and history.problems == {}
    assert [b.close for b in history.series["BBB"].bars] == [50.0, 51.0, 52.0, 53.0]
    assert any(
        r.levelno == logging.INFO and "AAA: split or dividend on 2025-01-06" in r.getMessage()
        for r in caplog.records
    )
    # The live bar is fetched again after the TTL and the next day; each answer reports the
    # split again, which the cache now carries: no more whole-range fetches.
    clock.advance(minutes=16)
    market.history(["AAA"], start, SPLIT)
    clock.advance(days=1)
    assert closes(market, "AAA", start, SPLIT) == [(b.day, b.close) for b in ADJUSTED]
    assert source.calls[3:] == [Call(("AAA",), SPLIT, SPLIT)] * 2


def test_without_actions_an_extension_costs_only_the_new_days(
    tmp_path: Path, memory: MemorySource
) -> None:
    market, source, _ = make(tmp_path, memory)
    market.history(["AAA", "BBB"], D("2024-12-30"), D("2025-01-03"))
    memory.bars["AAA"].append(Bar(SPLIT, 416.0))

    market.history(["AAA", "BBB"], D("2024-12-30"), SPLIT)

    assert source.calls[1:] == [Call(("AAA", "BBB"), D("2025-01-04"), SPLIT)]


def test_an_action_with_nothing_older_cached_costs_nothing_more(
    tmp_path: Path, memory: MemorySource
) -> None:
    split_happens(memory)
    market, source, clock = make(tmp_path, memory)
    # First question covers the split: everything arrives adjusted, in one call.
    assert closes(market, "AAA", D("2025-01-02"), SPLIT) == [(b.day, b.close) for b in ADJUSTED[2:]]
    # Earlier days are fetched after the split too: already on the new basis.
    assert closes(market, "AAA", D("2024-12-30"), SPLIT)[:2] == [
        (b.day, b.close) for b in ADJUSTED[:2]
    ]
    clock.advance(days=1)  # the live day is fetched again and reports the split: known
    market.history(["AAA"], D("2024-12-30"), SPLIT)
    assert source.calls == [
        Call(("AAA",), D("2025-01-02"), SPLIT),
        Call(("AAA",), D("2024-12-30"), D("2025-01-01")),
        Call(("AAA",), SPLIT, SPLIT),
    ]


def test_a_split_in_a_later_gap_outdates_a_cached_middle(
    tmp_path: Path, memory: MemorySource
) -> None:
    market, source, _ = make(tmp_path, memory)
    market.history(["AAA"], D("2025-01-02"), D("2025-01-03"))
    split_happens(memory)

    got = closes(market, "AAA", D("2024-12-30"), SPLIT)

    assert got == [(b.day, b.close) for b in ADJUSTED]
    assert source.calls[1:] == [
        Call(("AAA",), D("2024-12-30"), D("2025-01-01")),
        Call(("AAA",), D("2025-01-04"), SPLIT),
        Call(("AAA",), D("2024-12-30"), SPLIT),
    ]


def test_a_failed_refetch_serves_the_old_consistent_cache_stale_and_retries_later(
    tmp_path: Path, memory: MemorySource
) -> None:
    class FailsWholeRange(MemorySource):
        """While ``down``, answers the new days but fails the whole-range fetch."""

        down = False

        def fetch_history(self, symbols, start, end):  # type: ignore[no-untyped-def]
            if self.down and start < D("2025-01-04"):
                raise SourceError("network unreachable")
            return super().fetch_history(symbols, start, end)

    inner = FailsWholeRange(memory.bars)
    market, source, _ = make(tmp_path, inner)
    start = D("2024-12-30")
    market.history(["AAA", "BBB"], start, D("2025-01-03"))
    cached = market.cache.fetches("AAA")
    inner.down = True
    split_happens(inner)
    inner.bars["BBB"] = list(OTHER)

    history = market.history(["AAA", "BBB"], start, SPLIT)

    aaa = history.series["AAA"]
    # The old bars only: consistent with each other, nothing of the new basis mixed in.
    assert [(b.day, b.close) for b in aaa.bars] == [(b.day, b.close) for b in OLD]
    assert aaa.stale and aaa.stale_reason == (
        "data source failed: network unreachable; "
        "cached prices predate a split or dividend on 2025-01-06"
    )
    assert market.cache.fetches("AAA") == cached  # the new day was not recorded as fetched
    assert market.cache.known_actions("AAA") == set()
    assert not history.series["BBB"].stale and history.series["BBB"].last_day == SPLIT

    inner.down = False
    history = market.history(["AAA", "BBB"], start, SPLIT)

    assert source.calls[3:] == [
        Call(("AAA",), D("2025-01-04"), SPLIT),
        Call(("AAA",), start, SPLIT),
    ]
    assert [(b.day, b.close) for b in history.series["AAA"].bars] == [
        (b.day, b.close) for b in ADJUSTED
    ]
    assert not history.stale and market.cache.known_actions("AAA") == {SPLIT}


# -- end to end: the real yfinance against the Yahoo double --------------------------------------

FIRST, LAST_CACHED, NEW_DAY = D("2025-01-02"), D("2025-03-06"), D("2025-03-07")
BEFORE = datetime(2025, 3, 7, 12, 0, tzinfo=UTC)  # 6 March settled, 7 March not begun in NY


def csv_rows(symbol: str) -> dict[date, dict[str, float]]:
    """Day -> row straight from the shared CSV, independently of the double's loader."""
    with open(MARKET_DATA / f"{symbol}.csv", newline="") as handle:
        return {
            D(row["Date"][:10]): {k: float(v) for k, v in row.items() if k != "Date" and v}
            for row in csv.DictReader(handle)
            if row.get("Close")
        }


def bar_of(symbol: str, day: date, ratio: float = 1.0) -> DailyBar:
    """The file's bar on ``day``, at ``1/ratio`` of its price (after a split)."""
    row = csv_rows(symbol)[day]
    price = [row["Open"] / ratio, row["High"] / ratio, row["Low"] / ratio, row["Close"] / ratio]
    return DailyBar(day, *price, price[3], row["Volume"] * ratio)


def history_requests(double: YahooDouble, symbol: str) -> list[RecordedRequest]:
    return double.chart_requests(symbol)


def first_day_asked(request: RecordedRequest) -> date:
    return datetime.fromtimestamp(int(request.query["period1"]), UTC).date()


@pytest.fixture
def yahoo_market(
    yahoo_double: YahooDouble, tmp_path: Path
) -> tuple[MarketData, YahooDouble, Clock]:
    """AAPL and MSFT served up to 6 March, cached from 2 January; then 7 March arrives."""
    yahoo_double.serve(shared_symbols(["AAPL", "MSFT"], FIRST, LAST_CACHED))
    source = YahooSource(base_url=yahoo_double.base_url, timeout=5.0, cache_dir=tmp_path / "yf")
    clock = Clock(BEFORE)
    market = MarketData(MarketCache(tmp_path / "cache.sqlite3"), source, clock=clock)
    assert set(market.history(["AAPL", "MSFT"], FIRST, LAST_CACHED).series) == {"AAPL", "MSFT"}
    assert len(yahoo_double.chart_requests()) == 2
    yahoo_double.clear_requests()
    clock.advance(days=1)
    return market, yahoo_double, clock


def test_yahoo_split_on_a_new_day_gives_the_true_return_not_minus_75(
    yahoo_market: tuple[MarketData, YahooDouble, Clock],
) -> None:
    market, double, _ = yahoo_market
    double.add_bars("AAPL", [bar_of("AAPL", NEW_DAY, ratio=4)])
    double.add_bars("MSFT", [bar_of("MSFT", NEW_DAY)])
    double.split("AAPL", NEW_DAY, 4)

    history = market.history(["AAPL", "MSFT"], FIRST, NEW_DAY)

    aapl = history.series["AAPL"]
    real = csv_rows("AAPL")
    expected = real[NEW_DAY]["Close"] / real[FIRST]["Close"] - 1
    assert aapl.bars[-1].close / aapl.bars[0].close - 1 == pytest.approx(expected, rel=1e-9)
    assert expected > -0.2  # the unfixed cache answered about -0.74 here
    # Every cached bar is the file's price / 4 (adjusted before the split, real after it).
    assert [(b.day, b.close) for b in aapl.bars] == [
        (d, pytest.approx(row["Close"] / 4, rel=1e-9))
        for d, row in sorted(real.items())
        if FIRST <= d <= NEW_DAY
    ]
    assert not history.stale
    # The new day for each symbol, then the whole range again for AAPL only.
    aapl_asked, msft_asked = history_requests(double, "AAPL"), history_requests(double, "MSFT")
    assert [first_day_asked(r) for r in aapl_asked] == [NEW_DAY, FIRST]
    assert [first_day_asked(r) for r in msft_asked] == [NEW_DAY]
    # A repeat costs nothing.
    double.clear_requests()
    market.history(["AAPL", "MSFT"], FIRST, NEW_DAY)
    assert double.chart_requests(history_only=False) == []


def test_yahoo_dividend_on_a_new_day_gives_the_true_total_return(
    yahoo_market: tuple[MarketData, YahooDouble, Clock],
) -> None:
    market, double, _ = yahoo_market
    double.add_bars("AAPL", [bar_of("AAPL", NEW_DAY)])
    double.add_bars("MSFT", [bar_of("MSFT", NEW_DAY)])
    amount = 0.83
    double.dividend("MSFT", NEW_DAY, amount)

    history = market.history(["AAPL", "MSFT"], FIRST, NEW_DAY)

    msft = history.series["MSFT"]
    real = csv_rows("MSFT")
    factor = 1 - amount / real[LAST_CACHED]["Close"]  # Yahoo's adjustment before the ex-date
    total = real[NEW_DAY]["Close"] / (real[FIRST]["Close"] * factor) - 1
    price = real[NEW_DAY]["Close"] / real[FIRST]["Close"] - 1
    adj = [b.adj_close or 0.0 for b in msft.bars]
    assert adj[-1] / adj[0] - 1 == pytest.approx(total, rel=1e-9)
    assert msft.bars[-1].close / msft.bars[0].close - 1 == pytest.approx(price, rel=1e-9)
    assert adj[:-1] == pytest.approx([b.close * factor for b in msft.bars[:-1]], rel=1e-9)
    assert [first_day_asked(r) for r in history_requests(double, "MSFT")] == [NEW_DAY, FIRST]
    assert [first_day_asked(r) for r in history_requests(double, "AAPL")] == [NEW_DAY]


def test_yahoo_without_actions_an_extension_asks_one_day_per_symbol(
    yahoo_market: tuple[MarketData, YahooDouble, Clock],
) -> None:
    market, double, _ = yahoo_market
    double.add_bars("AAPL", [bar_of("AAPL", NEW_DAY)])
    double.add_bars("MSFT", [bar_of("MSFT", NEW_DAY)])

    history = market.history(["AAPL", "MSFT"], FIRST, NEW_DAY)

    asked = double.chart_requests(history_only=False)
    assert sorted(r.symbol or "" for r in asked) == ["AAPL", "MSFT"]
    assert all(
        int(r.query["period2"]) - int(r.query["period1"]) == timedelta(days=1).total_seconds()
        and first_day_asked(r) == NEW_DAY
        for r in asked
    )
    assert history.series["AAPL"].last_day == NEW_DAY
