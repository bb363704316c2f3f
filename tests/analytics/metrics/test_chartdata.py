"""Chart numbers: alignment across calendars, rebasing, the equal-weighted line, drawdowns.

Hand-made paths have answers worked out by hand; the real-data tests check against the
shared CSV files read independently with the csv module and against ``/returns``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import numpy as np
import pytest

from analytics.data.sources.csvdir import CsvFolderSource
from analytics.metrics.chartdata import (
    ChartData,
    align,
    build_chart_data,
    chart_data,
    drawdown,
    equal_weighted,
    growth,
)
from analytics.metrics.loading import Excluded
from analytics.metrics.periods import Period
from analytics.metrics.returns import MemberPath, MemberSet, compute_returns
from analytics.metrics.targets import Target
from analytics.services import Services
from tests.real_data import MARKET_DATA
from tests.real_data import closes_by_date as closes

D = date.fromisoformat
YTD_2025 = Period(start=D("2024-12-31"), end=D("2025-03-07"))
TITANS = ("9988.HK", "0700.HK", "1810.HK", "1211.HK", "0981.HK", "9618.HK", "9999.HK")
MAG7 = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA")


def path(symbol: str, days: list[str], values: list[float], stale: bool = False) -> MemberPath:
    return MemberPath(symbol, "USD", "USD", [D(d) for d in days], values, stale)


def symbols(*names: str) -> Target:
    return Target(",".join(names), tuple(names), "symbols")


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    folder = tmp_path_factory.mktemp("chartdata")
    s = Services.open(
        folder / "cache.sqlite3", folder / "marketbot.sqlite3", CsvFolderSource(MARKET_DATA)
    )
    yield s
    s.close()


# -- hand-made ---------------------------------------------------------------------------
# New York trades Mon 27 and Wed 29 (Tue 28 a holiday); Hong Kong trades Mon 27 and Tue 28
# (Wed 29 a holiday), and its data starts a day later than New York's.
NY = path("NYC", ["2025-01-24", "2025-01-27", "2025-01-29"], [100.0, 110.0, 121.0])
HK = path("HKG", ["2025-01-27", "2025-01-28"], [50.0, 40.0])


def test_align_uses_the_union_of_dates_and_carries_last_closes() -> None:
    days, matrix = align([NY, HK])
    assert days == [D("2025-01-24"), D("2025-01-27"), D("2025-01-28"), D("2025-01-29")]
    # NY carries its Monday close over its Tuesday holiday;
    assert matrix[0].tolist() == [100.0, 110.0, 110.0, 121.0]
    # HK holds its base close before its first day and carries Tuesday over Wednesday.
    assert matrix[1].tolist() == [50.0, 50.0, 40.0, 40.0]


def test_rebased_lines_and_equal_weighted_basket_by_hand() -> None:
    data = build_chart_data([("target", symbols("NYC", "HKG"), MemberSet([NY, HK], [], []))])
    by_label = {s.label: s for s in data.series}
    assert by_label["NYC"].kind == "member" and by_label["NYC"].group == "target"
    assert by_label["NYC"].values == pytest.approx([0.0, 10.0, 10.0, 21.0])
    assert by_label["HKG"].values == pytest.approx([0.0, 0.0, -20.0, -20.0])
    basket = by_label["NYC,HKG"]
    assert basket.kind == "basket"
    # equal amounts: mean growth (1+1)/2, (1.1+1)/2, (1.1+0.8)/2, (1.21+0.8)/2
    assert basket.values == pytest.approx([0.0, 5.0, -5.0, 0.5])
    # last point = mean of member returns (21% and -20%)
    assert basket.final == pytest.approx((21.0 - 20.0) / 2)
    assert data.start == D("2025-01-24") and data.end == D("2025-01-29")
    assert data.headline("target") is basket


def test_buy_and_hold_is_not_a_daily_rebalanced_average() -> None:
    # +100% then -50% on one member, flat on the other: buy-and-hold ends at 0%, while
    # averaging daily returns and compounding would not.
    a = path("A", ["2025-01-02", "2025-01-03", "2025-01-06"], [10.0, 20.0, 10.0])
    b = path("B", ["2025-01-02", "2025-01-03", "2025-01-06"], [10.0, 10.0, 10.0])
    days, matrix = align([a, b])
    line = equal_weighted(growth([a, b], matrix))
    assert line.tolist() == pytest.approx([1.0, 1.5, 1.0])


def test_drawdown_is_percent_below_the_running_peak() -> None:
    values = np.array([100.0, 120.0, 90.0, 130.0, 65.0])
    assert drawdown(values).tolist() == pytest.approx([0.0, 0.0, -25.0, 0.0, -50.0])


def test_drawdown_style_marks_the_worst_point() -> None:
    a = path("A", ["2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07"], [10, 12, 9, 11])
    b = path("B", ["2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07"], [10, 10, 10, 10])
    data = build_chart_data(
        [("target", symbols("A", "B"), MemberSet([a, b], [], []))], style="drawdown"
    )
    member = next(s for s in data.series if s.label == "A")
    assert member.values == pytest.approx([0.0, 0.0, -25.0, (11 / 12 - 1) * 100])
    assert member.worst == (D("2025-01-06"), pytest.approx(-25.0))
    basket = data.headline("target")
    assert basket is not None and basket.kind == "basket"
    # basket growth 1, 1.1, 0.95, 1.05 -> below peak 0, 0, -13.64%, -4.55%
    assert basket.values == pytest.approx(
        [0.0, 0.0, (0.95 / 1.1 - 1) * 100, (1.05 / 1.1 - 1) * 100]
    )
    assert basket.worst[0] == D("2025-01-06")
    assert "worst -13.6% on 2025-01-06" in data.caption


def test_single_symbol_group_has_no_separate_basket_line() -> None:
    data = build_chart_data([("target", symbols("NYC"), MemberSet([NY], [], []))])
    assert [s.kind for s in data.series] == ["member"]
    assert data.headline("target") is data.series[0]


def test_price_style_with_several_symbols_falls_back_to_rebased_and_says_so() -> None:
    data = build_chart_data(
        [("target", symbols("NYC", "HKG"), MemberSet([NY, HK], [], []))], style="price"
    )
    assert data.style == "rebased" and data.requested_style == "price" and data.fell_back
    assert "shown rebased" in data.caption and "shown rebased" in data.footnote


def test_price_style_keeps_closes_in_the_symbol_currency() -> None:
    data = build_chart_data([("target", symbols("NYC"), MemberSet([NY], [], []))], style="price")
    assert data.style == "price"
    assert data.series[0].values == [100.0, 110.0, 121.0]
    assert data.series[0].currency == "USD"
    assert data.caption.startswith("NYC 121.00 USD on 2025-01-29 (+21.00% since 2025-01-24)")


def test_stale_member_marks_the_chart_stale_everywhere() -> None:
    stale = path("OLD", ["2025-01-24", "2025-01-27"], [10.0, 11.0], stale=True)
    data = build_chart_data(
        [("target", symbols("OLD"), MemberSet([stale], [Excluded("GONE", "unknown")], []))],
        source="test",
    )
    assert data.stale
    assert "STALE" in data.footnote and "stale data" in data.caption
    assert "left out: GONE" in data.footnote
    payload = data.to_json()
    assert payload["stale"] is True
    assert payload["excluded"] == [{"symbol": "GONE", "reason": "unknown"}]


def test_to_json_is_plain_json_with_iso_dates() -> None:
    data = build_chart_data(
        [
            ("target", symbols("NYC"), MemberSet([NY], [], [])),
            ("vs", symbols("HKG"), MemberSet([HK], [], [])),
        ],
        source="test",
    )
    payload = json.loads(json.dumps(data.to_json()))
    assert payload["command"] == "chart"
    assert payload["target"] == "NYC" and payload["vs"] == "HKG"
    assert payload["style"] == "rebased" and payload["basis"] == "price"
    assert payload["as_of"] == "2025-01-29"
    first = payload["series"][0]
    assert set(first) >= {"label", "kind", "group", "dates", "values"}
    assert first["dates"][0] == "2025-01-24"
    assert [s["group"] for s in payload["series"]] == ["target", "vs"]


# -- real data ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def titans_vs_mag7(services: Services) -> ChartData:
    return chart_data(
        services.market, symbols(*TITANS), YTD_2025, vs=symbols(*MAG7), style="rebased"
    )


def test_basket_lines_end_at_the_returns_figure(
    services: Services, titans_vs_mag7: ChartData
) -> None:
    for group, members in (("target", TITANS), ("vs", MAG7)):
        line = titans_vs_mag7.headline(group)
        expected = compute_returns(services.market, symbols(*members), YTD_2025)
        assert round(line.final, 2) == round(expected.equal_weight_return_pct, 2)
        assert line.final == pytest.approx(expected.equal_weight_return_pct, abs=1e-9)


def test_basket_lines_match_the_csv_files_read_independently(titans_vs_mag7: ChartData) -> None:
    for group, members in (("target", TITANS), ("vs", MAG7)):
        rets = []
        for symbol in members:
            c = closes(symbol)
            rets.append(c[D("2025-03-07")] / c[D("2024-12-31")] - 1)
        assert titans_vs_mag7.headline(group).final == pytest.approx(
            100 * sum(rets) / len(rets), abs=1e-6
        )
    # the published figures: titans about +42.8%, the Magnificent Seven about -10.3%
    assert round(titans_vs_mag7.headline("target").final, 1) == 42.8
    assert round(titans_vs_mag7.headline("vs").final) == -10


def test_hong_kong_holidays_carry_the_last_close(titans_vs_mag7: ChartData) -> None:
    tencent = next(s for s in titans_vs_mag7.series if s.label == "0700.HK")
    by_day = dict(zip(tencent.dates, tencent.values, strict=True))
    # Lunar New Year: Hong Kong closed 29-31 January 2025, New York open.
    for day in ("2025-01-29", "2025-01-30", "2025-01-31"):
        assert D(day) in by_day
        assert by_day[D(day)] == by_day[D("2025-01-28")]
    c = closes("0700.HK")
    assert by_day[D("2025-01-28")] == pytest.approx(
        (c[D("2025-01-28")] / c[D("2024-12-31")] - 1) * 100
    )
    # every line has a value for every chart date: no gaps
    n = len(titans_vs_mag7.series[0].dates)
    assert all(len(s.values) == n and not any(np.isnan(s.values)) for s in titans_vs_mag7.series)


def test_new_york_holidays_carry_the_last_close(titans_vs_mag7: ChartData) -> None:
    apple = next(s for s in titans_vs_mag7.series if s.label == "AAPL")
    by_day = dict(zip(apple.dates, apple.values, strict=True))
    # 2025-01-09: New York closed (national day of mourning), Hong Kong open.
    assert D("2025-01-09") in by_day
    assert by_day[D("2025-01-09")] == by_day[D("2025-01-08")]
    # 2025-01-20 (MLK day) and 2025-02-17 (Presidents' Day) likewise
    assert by_day[D("2025-01-20")] == by_day[D("2025-01-17")]
    assert by_day[D("2025-02-17")] == by_day[D("2025-02-14")]


def test_price_style_on_real_data_is_the_csv_closes(services: Services) -> None:
    data = chart_data(services.market, symbols("0700.HK"), YTD_2025, style="price")
    c = closes("0700.HK")
    line = data.series[0]
    assert line.currency == "HKD"
    assert line.dates[0] == D("2024-12-31") and line.dates[-1] == D("2025-03-07")
    assert line.values == pytest.approx([c[d] for d in line.dates])
    assert "in HKD" in data.subtitle
