"""The chart's column-wise read (sampled series, then each path's closes as arrays, never a
Bar) gives exactly the chart of the every-bar read it replaced: the same ChartData, the same
``--json``, the same reuse digest and the same PNG bytes, on the real shared data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from analytics.charts.figures import render_png
from analytics.data.cache import MarketCache
from analytics.data.market import MarketData
from analytics.data.sources.base import Bar
from analytics.data.sources.csvdir import CsvFolderSource
from analytics.errors import NoDataError
from analytics.metrics.chartdata import ChartData, build_chart_data, chart_data
from analytics.metrics.loading import load_question
from analytics.metrics.periods import Period
from analytics.metrics.returns import member_paths
from analytics.metrics.targets import Target
from analytics.services import Services
from tests.real_data import MARKET_DATA
from tests.source_doubles import Clock, MemorySource, random_walk_bars

D = date.fromisoformat
TITANS = ("9988.HK", "0700.HK", "1810.HK", "1211.HK", "0981.HK", "9618.HK", "9999.HK")
MAG7 = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA")
PERIODS = [
    Period(name="max"),
    Period(name="max", end=D("2025-05-22")),
    Period(name="5y", end=D("2025-05-22")),
    Period(name="1y"),
    Period(name="ytd", end=D("2025-01-02")),
    Period(name="3m", end=D("2024-02-29")),
    Period(name="5d"),
    Period(start=D("2021-06-05"), end=D("2023-12-25")),
]


def symbols(*names: str) -> Target:
    return Target(",".join(names), tuple(names), "symbols")


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    folder = tmp_path_factory.mktemp("chartcloses")
    s = Services.open(
        folder / "cache.sqlite3", folder / "marketbot.sqlite3", CsvFolderSource(MARKET_DATA)
    )
    yield s
    s.close()


def every_bar_chart(
    market: MarketData, target: Target, period: Period, vs: Target | None, **options: str
) -> ChartData:
    """The chart as it was built before the column-wise read: every bar of each symbol's
    window read as a Bar, the paths sliced from them."""
    loaded = load_question(market, [*target.symbols, *(vs.symbols if vs else ())], period)
    period = loaded[0]
    basis, currency = options.get("basis", "price"), options.get("currency", "local")
    groups = [("target", target, member_paths(market, target, period, basis, currency, loaded))]
    if vs is not None:
        groups.append(("vs", vs, member_paths(market, vs, period, basis, currency, loaded)))
    return build_chart_data(
        groups,
        style=options.get("style", "rebased"),
        basis=basis,
        currency=currency,
        source=market.source_label,
    )


def same_both_ways(
    market: MarketData, target: Target, period: Period, vs: Target | None = None, **options: str
) -> ChartData | None:
    """Assert both reads give the same chart to the last bit; the chart, or None when both
    found no data (with the same message)."""
    try:
        fast = chart_data(market, target, period, vs=vs, **options)
    except NoDataError as exc:
        with pytest.raises(NoDataError) as slow_exc:
            every_bar_chart(market, target, period, vs, **options)
        assert str(slow_exc.value) == str(exc)
        return None
    slow = every_bar_chart(market, target, period, vs, **options)
    case = (target.label, vs and vs.label, period, options)
    assert fast.to_json() == slow.to_json(), case
    assert fast.data_version == slow.data_version, case
    # Every field, the dates as dates and the values as the very floats (not only JSON).
    assert fast == slow, case
    return fast


CASES = [
    (symbols(*TITANS), symbols(*MAG7), {}),
    (symbols(*TITANS), symbols(*MAG7), {"style": "drawdown"}),
    (symbols(*TITANS), symbols(*MAG7), {"currency": "usd"}),
    (symbols("AAPL", "0700.HK", "SPY"), None, {"basis": "total", "currency": "usd"}),
    (symbols("AAPL", "0700.HK", "SPY"), None, {"style": "drawdown", "currency": "usd"}),
    (symbols("QQQ"), None, {"style": "price"}),
    (symbols("0700.HK"), None, {"style": "price", "currency": "usd"}),
    (symbols("QQQ", "SPY"), symbols("BABA"), {"basis": "total"}),
]


@pytest.mark.parametrize(("target", "vs", "options"), CASES, ids=lambda c: str(c)[:40])
def test_real_data_same_chart_both_ways(
    services: Services, target: Target, vs: Target | None, options: dict[str, str]
) -> None:
    answered = [
        same_both_ways(services.market, target, period, vs, **options) for period in PERIODS
    ]
    # Without an end, the Hong Kong files (ending a year before the US ones) are left out,
    # and past 2024-12-07 (the end of HKD=X) so is every HKD price in USD.
    assert sum(a is not None for a in answered) >= 2
    # Not a vacuous comparison: long lines were drawn from the real files.
    # (HKD=X covers about 2.5 years: charts of Hong Kong members in USD are shorter.)
    assert max(len(a.series[0].dates) for a in answered if a is not None) > 500


def test_real_data_same_png_both_ways(services: Services) -> None:
    """The PNG bytes too, for a 20-year-long line set, a drawdown and a price chart in USD."""
    market = services.market
    drawn = [
        (symbols(*TITANS), Period(name="max", end=D("2025-05-22")), symbols(*MAG7), {}),
        (symbols(*MAG7), Period(name="5y"), None, {"style": "drawdown"}),
        (symbols("0700.HK"), Period(name="3y", end=D("2024-06-28")), None,
         {"style": "price", "currency": "usd"}),
    ]  # fmt: skip
    for target, period, vs, options in drawn:
        fast = same_both_ways(market, target, period, vs, **options)
        assert fast is not None
        slow = every_bar_chart(market, target, period, vs, **options)
        assert render_png(fast, "dark") == render_png(slow, "dark"), (target.label, options)


def test_a_long_chart_reads_no_bars(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """The speed comes from never building Bar objects: period:max must not read them."""
    market = services.market
    target, vs = symbols(*TITANS), symbols(*MAG7)
    period = Period(name="max", end=D("2025-05-22"))
    chart_data(market, target, period, vs=vs)  # the cache is filled (fetching reads no bars)

    every_bar = MarketCache.bars

    def no_bars(cache: MarketCache, symbol: str, start: date, end: date) -> list[Bar]:
        # FX series are read as bars (a rate looked up per day); members never are.
        assert symbol.endswith("=X"), f"the chart read every bar of {symbol}"
        return every_bar(cache, symbol, start, end)

    monkeypatch.setattr(MarketCache, "bars", no_bars)
    data = chart_data(market, target, period, vs=vs)
    assert len(data.series[0].dates) > 1000
    year = Period(name="1y", end=D("2024-06-28"))
    usd = chart_data(market, symbols("AAPL", "0700.HK"), year, currency="usd")
    members = [s for s in usd.series if s.kind == "member"]
    assert [(s.label, s.currency) for s in members] == [("AAPL", "USD"), ("0700.HK", "USD")]


def test_closes_are_the_bars_columns(services: Services) -> None:
    """Day ordinals computed by SQLite equal ``date.toordinal`` of every stored day, and the
    values are the stored floats (the adjusted close where a bar has one, when asked)."""
    cache = services.market.cache
    for symbol in ("AAPL", "0700.HK", "HKD=X"):
        bars = cache.bars(symbol, date(1970, 1, 1), date(2030, 1, 1))
        assert len(bars) > 1000
        for adjusted in (False, True):
            closes = cache.closes(symbol, date(1970, 1, 1), date(2030, 1, 1), adjusted=adjusted)
            assert closes.days.tolist() == [b.day.toordinal() for b in bars]
            assert closes.dates() == [b.day for b in bars]
            want = [b.adj_close if adjusted and b.adj_close is not None else b.close for b in bars]
            assert closes.values.tolist() == want
    assert len(cache.closes("AAPL", D("2030-01-01"), D("2031-01-01"))) == 0


def test_adjusted_closes_on_some_days_same_chart_both_ways(tmp_path: Path) -> None:
    """Total return takes the adjusted close where a bar has one and the close where not:
    the column-wise read (``coalesce`` in SQL) must take the same value on every day."""
    start, end = D("2005-01-01"), D("2025-05-22")
    data = {s: random_walk_bars(s, start, end) for s in ("AAA", "BBB", "CCC")}
    data["DDD"] = [
        Bar(b.day, b.close) for b in random_walk_bars("DDD", start, end)
    ]  # no adj at all
    data["NEW"] = random_walk_bars("NEW", D("2025-05-01"), end)  # too short for a year
    clock = Clock(datetime(2025, 5, 23, 12, tzinfo=UTC))
    market = MarketData(MarketCache(tmp_path / "c.sqlite3"), MemorySource(data), clock=clock)
    target, vs = symbols("AAA", "BBB", "NEW"), symbols("CCC", "DDD")
    try:
        answered = 0
        for period in [*PERIODS, Period(name="1d"), Period(start=D("2025-05-03"))]:
            for style in ("rebased", "drawdown"):
                answered += (
                    same_both_ways(market, target, period, vs, basis="total", style=style)
                    is not None
                )
        assert answered >= 12
        chart = same_both_ways(market, target, Period(name="max"), vs, basis="total")
        assert chart is not None and len(chart.series[0].dates) > 5000
        assert "DDD" in " ".join(chart.notes)
    finally:
        market.cache.close()
