"""Today's valuation on Yahoo's real recorded payloads, through the real yfinance path.

The double serves ``../shared/recorded-yahoo`` in place (quoteSummary, quote, timeseries);
expected numbers are computed here from the recorded fields themselves, never by the code
under test. The facts checked are those in that folder's README and ``docs/valuation.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from analytics.metrics.targets import Target
from analytics.metrics.valuation import MemberValuation, ValuationResult, compute_valuation
from analytics.services import Services
from tests.analytics.metrics.recorded_setup import recorded_services, serve_recorded
from tests.real_data import closes
from tests.yahoo_double import YahooDouble
from tests.yahoo_recorded import WRITTEN_FX, recorded_field, recorded_price


@pytest.fixture
def services(yahoo_double: YahooDouble, tmp_path: Path) -> Iterator[Services]:
    serve_recorded(yahoo_double)
    built = recorded_services(yahoo_double, tmp_path)
    yield built
    built.close()


def value(services: Services, *symbols: str) -> ValuationResult:
    target = Target(",".join(symbols), symbols, "symbols")
    return compute_valuation(services.market, services.fundamentals, target)


def member(services: Services, symbol: str) -> MemberValuation:
    return value(services, symbol).members[0]


def cny_per_usd(day: date) -> float:
    return closes("CNY=X")[day.isoformat()]


def key_stat(symbol: str, name: str) -> float:
    return float(recorded_field(symbol, "defaultKeyStatistics", name))


@pytest.mark.parametrize("symbol", ["BEKE", "SPOT"])
def test_adr_pe_is_price_over_eps_in_the_quote_currency(services: Services, symbol: str) -> None:
    day, price, currency, _ = recorded_price(symbol)
    eps = key_stat(symbol, "trailingEps")  # BEKE 0.49, SPOT 5.71: USD per ADS / share
    m = member(services, symbol)
    assert (m.currency, m.price, m.price_date) == (currency, price, day)
    assert m.ratios["trailing_pe"] == pytest.approx(price / eps, rel=0.005)
    # Yahoo's own summaryDetail.trailingPE agrees (42.65, 106.37): the EPS is not converted.
    yahoo_pe = float(recorded_field(symbol, "summaryDetail", "trailingPE"))
    assert m.ratios["trailing_pe"] == pytest.approx(yahoo_pe, rel=0.005)
    assert m.eps_source == "quote-currency" and m.reconciled
    assert m.to_json()["eps_source"] == "quote-currency" and m.to_json()["reconciled"] is True


def test_beke_pe_is_not_seven_times_too_high(services: Services) -> None:
    """The bug this fixes: converting 0.49 as if CNY gave 20.90 / (0.49 / 7.26) ≈ 310."""
    m = member(services, "BEKE")
    assert m.ratios["trailing_pe"] == pytest.approx(42.65, abs=0.01)
    assert m.units.statement_currency == "CNY"


def test_beke_pb_and_ps_convert_the_reporting_currency(services: Services) -> None:
    day, price, _, _ = recorded_price("BEKE")
    rate = cny_per_usd(day)  # CNY per USD on 2025-02-21
    book = key_stat("BEKE", "bookValue")  # 60.613 CNY per ADS
    revenue = float(recorded_field("BEKE", "financialData", "totalRevenue"))  # CNY
    shares = key_stat("BEKE", "sharesOutstanding")
    m = member(services, "BEKE")
    assert m.ratios["price_to_book"] == pytest.approx(price / (book / rate), rel=1e-6)
    assert m.ratios["price_to_sales"] == pytest.approx(price * shares / (revenue / rate), rel=1e-6)
    # Yahoo's own priceToBook (0.34) divides USD by CNY: not what is shown.
    assert m.ratios["price_to_book"] > 2.4 and m.basis["price_to_book"] == "computed"


def test_spot_pb_converts_eur(services: Services) -> None:
    day, price, _, _ = recorded_price("SPOT")
    book = key_stat("SPOT", "bookValue")  # EUR per share
    m = member(services, "SPOT")
    assert m.units.statement_currency == "EUR"
    assert m.ratios["price_to_book"] == pytest.approx(price / (book / WRITTEN_FX["EUR=X"]))


@pytest.mark.parametrize("symbol", ["BEKE", "SPOT"])
def test_key_statistics_forward_pe_is_never_used(services: Services, symbol: str) -> None:
    _, price, _, _ = recorded_price(symbol)
    forward_eps = key_stat(symbol, "forwardEps")
    key_stats_pe = key_stat(symbol, "forwardPE")  # BEKE 2.48, SPOT 45.7: from a CNY/EUR EPS
    summary_pe = float(recorded_field(symbol, "summaryDetail", "forwardPE"))  # 18.02, 68.17
    m = member(services, symbol)
    assert m.ratios["forward_pe"] == pytest.approx(price / forward_eps, rel=1e-9)
    assert m.ratios["forward_pe"] == pytest.approx(summary_pe, rel=0.005)
    assert abs(m.ratios["forward_pe"] / key_stats_pe - 1) > 0.3


def test_thyao_totals_are_try_whatever_the_label_says(services: Services) -> None:
    """THYAO.IS: financialCurrency says USD, but trailingEps 143.43 (Yahoo's trailingPE 2.18
    = 313 / 143.43) and net income / shares (132.6) only reconcile in TRY."""
    _, price, _, _ = recorded_price("THYAO.IS")
    assert recorded_field("THYAO.IS", "financialData", "financialCurrency") == "USD"
    m = member(services, "THYAO.IS")
    assert m.units.statement_currency == "TRY" and m.reconciled
    assert m.ratios["trailing_pe"] == pytest.approx(price / key_stat("THYAO.IS", "trailingEps"))
    assert m.ratios["price_to_book"] == pytest.approx(price / key_stat("THYAO.IS", "bookValue"))
    assert "not the labelled USD" in (m.units.label_note or "")


def test_loss_maker_gives_n_m(services: Services) -> None:
    assert key_stat("CMCOM.AS", "trailingEps") < 0
    result = value(services, "CMCOM.AS", "CRM")
    cm = next(m for m in result.members if m.symbol == "CMCOM.AS")
    assert cm.ratios["trailing_pe"] is None and cm.basis["trailing_pe"] == "n/m"
    assert cm.ratios["forward_pe"] is None and cm.basis["forward_pe"] == "n/m"
    assert cm.reconciled  # EUR EPS -0.63 vs net income / shares -0.68, same currency
    left = {(g.symbol, g.measure): g.reason for g in result.aggregate.left_out}
    assert left[("CMCOM.AS", "trailing_pe")] == "loss-making (n/m)"
    # The aggregate is CRM's alone: 309.80 / 6.07.
    assert result.aggregate.trailing_pe == pytest.approx(309.8 / 6.07, rel=1e-6)


@pytest.mark.parametrize("symbol", ["EREGL.IS", "CRM", "ARMK"])
def test_same_currency_listings_reconcile(services: Services, symbol: str) -> None:
    _, price, _, _ = recorded_price(symbol)
    m = member(services, symbol)
    assert m.reconciled and m.eps_source == "quote-currency"
    assert m.ratios["trailing_pe"] == pytest.approx(price / key_stat(symbol, "trailingEps"))
