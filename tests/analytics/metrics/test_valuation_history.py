"""Trailing P/E at a past date, on the recorded statements and on four-quarter payloads
written in the same shape, checked against hand computations from the served figures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from analytics.errors import NoDataError
from analytics.metrics.targets import Target
from analytics.metrics.valuation_history import compute_valuation_on, load_inputs
from analytics.services import Services
from tests.analytics.metrics.recorded_setup import (
    daily_bars,
    fx_data,
    listing,
    recorded_services,
)
from tests.real_data import closes, on_or_before, rows
from tests.yahoo_double import DailyBar, YahooDouble
from tests.yahoo_recorded import recorded, recorded_rows, timeseries_items, with_timeseries

RECORDED_Q = ("2023-06-30", "2023-09-30", "2023-12-31")
#: A fourth quarter written in the recorded shape (and labels: EPS "USD", as Yahoo sends).
Q4_END = "2024-03-31"
Q4_INCOME, Q4_SHARES = 1_000_000_000.0, 1_170_000_000.0
SHARES_OUTSTANDING = 1148940032  # BEKE defaultKeyStatistics.sharesOutstanding (recorded)


def beke_bars() -> list[DailyBar]:
    """Written daily closes 2023-06-01..2024-12-31: 15.00 + 0.01 per weekday."""
    return daily_bars(date(2023, 6, 1), date(2024, 12, 31), 15.0, 0.01)


def written_close(day: date) -> tuple[date, float]:
    bars = [b for b in beke_bars() if b.day <= day]
    return bars[-1].day, bars[-1].close


def four_quarters() -> tuple[dict, ...]:
    rows_ = {
        name: recorded_rows("BEKE", name)
        for name in ("NetIncomeCommonStockholders", "DilutedEPS", "DilutedAverageShares")
    }
    rows_["NetIncomeCommonStockholders"][Q4_END] = (Q4_INCOME, "CNY")
    rows_["DilutedAverageShares"][Q4_END] = (Q4_SHARES, "USD")
    rows_["DilutedEPS"][Q4_END] = (round(Q4_INCOME / Q4_SHARES, 2), "USD")
    return timeseries_items("BEKE", rows_)


def serve(double: YahooDouble, *, four: bool) -> None:
    rec = with_timeseries(recorded("BEKE"), four_quarters()) if four else recorded("BEKE")
    double.serve({"BEKE": listing("BEKE", rec, beke_bars())})
    double.serve(fx_data(date(2023, 5, 1), date(2025, 2, 28)))


@pytest.fixture
def services(yahoo_double: YahooDouble, tmp_path: Path) -> Iterator[Services]:
    built = recorded_services(yahoo_double, tmp_path)
    yield built
    built.close()


def on(services: Services, day: date, *symbols: str):
    target = Target(",".join(symbols), symbols, "symbols")
    return compute_valuation_on(
        services.market, services.fundamentals, services.statements, target, day
    )


def test_recorded_three_quarters_say_fewer_than_four(
    yahoo_double: YahooDouble, services: Services
) -> None:
    serve(yahoo_double, four=False)
    with pytest.raises(NoDataError) as caught:
        on(services, date(2024, 6, 1), "BEKE")
    text = str(caught.value)
    assert "fewer than four quarters reported by 2024-06-01" in text
    assert "(3: 2023-06-30, 2023-09-30, 2023-12-31)" in text


def test_mislabelled_timeseries_eps_is_caught(
    yahoo_double: YahooDouble, services: Services
) -> None:
    """quarterlyDilutedEPS says USD; 1.08 = 1.3087 bn CNY / 1.2108 bn shares: it is CNY."""
    serve(yahoo_double, four=False)
    target = Target("BEKE", ("BEKE",), "symbols")
    day = date(2024, 6, 1)
    inputs = load_inputs(
        services.market, services.fundamentals, services.statements, target, day, day
    )
    beke = inputs.listings["BEKE"]
    quarter = beke.statements.quarterly[0]
    assert quarter.labels["diluted_eps"] == "USD" and quarter.labels["net_income"] == "CNY"
    assert quarter.diluted_eps == 1.08
    assert quarter.net_income / quarter.diluted_shares == pytest.approx(1.08, abs=0.005)
    assert any(
        "DilutedEPS labelled USD is CNY per statement share in 3 period(s): 2023-06-30 1.08 "
        "= 1.3087 bn CNY / 1.2108 bn shares" in f
        for f in beke.findings
    )
    assert beke.units.statement_currency == "CNY" and beke.units.reconciled


def test_four_quarters_by_hand(yahoo_double: YahooDouble, services: Services) -> None:
    serve(yahoo_double, four=True)
    day = date(2024, 6, 1)  # a Saturday; 2024-03-31 + 45 days = 2024-05-15 is before it
    result = on(services, day, "BEKE")
    (m,) = result.members
    price_day, price = written_close(day)
    _, cny = on_or_before(rows("CNY=X"), day.isoformat())
    income = sum(recorded_rows("BEKE", "NetIncomeCommonStockholders")[q][0] for q in RECORDED_Q)
    income += Q4_INCOME
    expected = price * SHARES_OUTSTANDING / (income / cny)
    assert (m.price_date, m.price) == (price_day, price)
    assert m.ratios["trailing_pe"] == pytest.approx(expected, rel=1e-9)
    assert m.earnings_basis == "ttm-quarters" and result.aggregate.earnings_basis == "ttm-quarters"
    assert m.periods_used == tuple(date.fromisoformat(q) for q in (*RECORDED_Q, Q4_END))
    assert result.aggregate.trailing_pe == pytest.approx(expected, rel=1e-9)
    assert result.aggregate.forward_pe is None and m.ratios["forward_pe"] is None
    assert any("not available for a past date" in n for n in result.notes)
    data = result.to_json()
    assert data["aggregate"]["on"] == "2024-06-01"
    assert data["members"][0]["on"] == "2024-06-01"
    assert data["members"][0]["eps_source"] == "converted from CNY"
    assert data["members"][0]["reconciled"] is True


def test_quarter_not_yet_reported_is_not_counted(
    yahoo_double: YahooDouble, services: Services
) -> None:
    serve(yahoo_double, four=True)
    # 2024-05-14: the 2024-03-31 quarter counts from 2024-05-15, so only three are reported.
    with pytest.raises(NoDataError, match="fewer than four quarters reported by 2024-05-14"):
        on(services, date(2024, 5, 14), "BEKE")
    assert on(services, date(2024, 5, 15), "BEKE").members[0].earnings_basis == "ttm-quarters"


def test_date_before_any_statement(yahoo_double: YahooDouble, services: Services) -> None:
    serve(yahoo_double, four=True)
    with pytest.raises(NoDataError, match="no statement reported by 2023-07-01"):
        on(services, date(2023, 7, 1), "BEKE")


def test_statements_are_fetched_once(yahoo_double: YahooDouble, services: Services) -> None:
    serve(yahoo_double, four=True)
    on(services, date(2024, 6, 1), "BEKE")
    on(services, date(2024, 7, 1), "BEKE")
    asked = [r for r in yahoo_double.requests() if "timeseries/BEKE" in r.path]
    quarterly = [r for r in asked if r.query.get("type", "").startswith("quarterly")]
    assert len(quarterly) == 1
    stored = (
        services.cache.connection()
        .execute("SELECT latest_end FROM statements WHERE symbol = 'BEKE'")
        .fetchone()
    )
    assert stored is not None and stored["latest_end"] == Q4_END
    assert closes("CNY=X")  # the FX file is read in place


def test_annual_figure_when_quarters_are_missing(
    yahoo_double: YahooDouble, services: Services
) -> None:
    """Three recorded quarters plus a written fiscal year 2023: the annual figure is used."""
    annual_income = 5_883_000_000.0  # CNY, written for this test
    items = recorded("BEKE").timeseries + timeseries_items(
        "BEKE", {"NetIncomeCommonStockholders": {"2023-12-31": (annual_income, "CNY")}}, "annual"
    )
    yahoo_double.serve(
        {"BEKE": listing("BEKE", with_timeseries(recorded("BEKE"), items), beke_bars())}
    )
    yahoo_double.serve(fx_data(date(2023, 5, 1), date(2025, 2, 28)))
    day = date(2024, 6, 1)
    result = on(services, day, "BEKE")
    (m,) = result.members
    _, price = written_close(day)
    _, cny = on_or_before(rows("CNY=X"), day.isoformat())
    assert m.earnings_basis == "annual" and result.aggregate.earnings_basis == "annual"
    assert m.ratios["trailing_pe"] == pytest.approx(
        price * SHARES_OUTSTANDING / (annual_income / cny), rel=1e-9
    )
    assert any("Latest annual net income" in n and "BEKE" in n for n in result.notes)
