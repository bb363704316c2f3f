"""Valuation multiples and aggregate P/E on a small made-up folder, checked by hand.

The folder (written in tmp_path) holds a few tiny price files, HKD=X and CNY=X, and a
``fundamentals.json``. Expected numbers are written out as arithmetic on the inputs, so a
reader can check each one with a pencil.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from analytics.data.sources.csvdir import CsvFolderSource
from analytics.errors import NoDataError
from analytics.metrics.targets import Target
from analytics.metrics.valuation import compute_valuation, premium_pct
from analytics.services import Services

#: "now" for these tests: today (the latest date begun anywhere) is 2025-03-11.
CLOCK = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
PRICE_DAY = "2025-03-07"
HKD_PER_USD = 7.77
CNY_PER_USD = 7.25

PRICES: dict[str, dict[str, float]] = {
    "AAA": {"2025-03-06": 98.0, PRICE_DAY: 100.0, "2025-03-12": 500.0},  # 03-12: after today
    "BBB.HK": {"2025-03-06": 77.0, PRICE_DAY: 77.7},
    "CCC": {"2025-03-06": 51.0, PRICE_DAY: 50.0},
    "DDD": {"2025-03-06": 10.0, PRICE_DAY: 11.0},
    "EEE": {"2025-03-06": 190.0, PRICE_DAY: 200.0},
    "FFF": {"2025-03-06": 9.0, PRICE_DAY: 10.0},
    "GGG.DE": {"2025-03-06": 30.0, PRICE_DAY: 31.0},
    "HHH": {"2025-03-06": 20.0, PRICE_DAY: 21.0},
    "III": {"2025-03-06": 40.0, PRICE_DAY: 42.0},
    "HKD=X": {"2025-03-03": 7.78, "2025-03-04": 7.78, "2025-03-05": 7.78, PRICE_DAY: HKD_PER_USD},
    "CNY=X": {"2025-03-03": 7.2, "2025-03-04": 7.2, "2025-03-05": 7.2, PRICE_DAY: CNY_PER_USD},
}

FUNDAMENTALS: dict[str, dict[str, Any]] = {
    # USD company reporting in USD: P/E 100/5 = 20, forward 100/6.25 = 16.
    "AAA": {
        "currency": "USD",
        "financialCurrency": "USD",
        "sharesOutstanding": 1e9,
        "trailingEps": 5.0,
        "forwardEps": 6.25,
        "longName": "Alpha Corp",
    },
    # Quoted in HKD, reporting in CNY: EPS 2.9 CNY = 0.4 USD = 3.108 HKD. The totals say
    # so (net income 5.8e9 / 2e9 shares = 2.9, in CNY: the best fit); Yahoo's trailingPE
    # 25.0 = 77.7 / 3.108 agrees. The provider's other ratios, built from mixed currencies,
    # are deliberately wrong here (99) and must not be used because the figures are present.
    "BBB.HK": {
        "currency": "HKD",
        "financialCurrency": "CNY",
        "sharesOutstanding": 2e9,
        "trailingEps": 2.9,
        "forwardEps": 3.625,
        "netIncomeToCommon": 5.8e9,
        "trailingPE": 25.0,
        "forwardPE": 99.0,
        "totalRevenue": 72.5e9,
        "priceToSalesTrailing12Months": 99.0,
        "bookValue": 14.5,
        "priceToBook": 99.0,
        "ebitda": 14.5e9,
        "totalDebt": 7.25e9,
        "totalCash": 21.75e9,
        "enterpriseToEbitda": 99.0,
        "longName": "Beta Holdings",
        "asOf": "2024-12-31",
    },
    # Loss-making: trailing EPS negative (no P/E), forward positive.
    "CCC": {
        "currency": "USD",
        "financialCurrency": "USD",
        "sharesOutstanding": 1e9,
        "trailingEps": -2.0,
        "forwardEps": 1.0,
        "longName": "Gamma Losses Inc",
    },
    # DDD: no entry at all.
    # The vs basket. EEE has no forward EPS: Yahoo's forwardPE is never used (it may be
    # keyStatistics', built from a reporting-currency EPS), so EEE has no forward P/E.
    "EEE": {
        "currency": "USD",
        "sharesOutstanding": 5e8,
        "trailingEps": 10.0,
        "forwardPE": 25.0,
        "longName": "Epsilon",
    },
    "FFF": {
        "currency": "USD",
        "sharesOutstanding": 1e10,
        "trailingEps": 0.25,
        "forwardEps": 0.5,
        "longName": "Phi",
    },
    # Quoted in EUR: there is no EUR=X file, so no rate.
    "GGG.DE": {"currency": "EUR", "sharesOutstanding": 1e9, "trailingEps": 2.0},
    # Reports in JPY, no JPY=X: its per-share figures cannot be converted.
    "HHH": {
        "currency": "USD",
        "financialCurrency": "JPY",
        "sharesOutstanding": 1e9,
        "trailingEps": 300.0,
        "netIncomeToCommon": 300e9,
    },
    # No share count: the provider's market cap (in ``currency``) is used and marked.
    "III": {"currency": "USD", "marketCap": 8.4e10, "trailingEps": 2.1},
}


def write_prices(folder: Path, prices: dict[str, dict[str, float]]) -> None:
    for symbol, rows in prices.items():
        lines = ["Date,Close"] + [f"{day},{close}" for day, close in rows.items()]
        (folder / f"{symbol}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_folder(tmp_path: Path, fundamentals: dict[str, Any] | None = None) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    write_prices(folder, PRICES)
    (folder / "fundamentals.json").write_text(
        json.dumps(FUNDAMENTALS if fundamentals is None else fundamentals), encoding="utf-8"
    )
    return folder


def csv_services(folder: Path, db: Path, clock: Callable[[], datetime] = lambda: CLOCK) -> Services:
    return Services.open(
        db, db.with_suffix(".server.sqlite3"), CsvFolderSource(folder), clock=clock
    )


@pytest.fixture
def services(tmp_path: Path):
    s = csv_services(make_folder(tmp_path), tmp_path / "cache.sqlite3")
    yield s
    s.close()


def targets(*symbols: str) -> Target:
    return Target(",".join(symbols), symbols, "symbols")


def valuation(services: Services, *symbols: str):
    return compute_valuation(services.market, services.fundamentals, targets(*symbols))


def test_aggregate_pe_median_and_exclusions_by_hand(services: Services) -> None:
    result = valuation(services, "AAA", "BBB.HK", "CCC", "DDD")
    by = {m.symbol: m for m in result.members}
    assert set(by) == {"AAA", "BBB.HK", "CCC"}
    assert [(e.symbol, e.reason) for e in result.excluded] == [
        ("DDD", "the data source has no fundamentals")
    ]
    # Market caps in USD: 100 × 1e9; 77.7 HKD × 2e9 / 7.77; 50 × 1e9.
    assert by["AAA"].market_cap_usd == pytest.approx(100e9)
    assert by["BBB.HK"].market_cap_usd == pytest.approx(77.7 * 2e9 / 7.77)  # 20e9
    assert by["CCC"].market_cap_usd == pytest.approx(50e9)
    agg = result.aggregate
    assert agg.market_cap_usd == pytest.approx(170e9)
    # Trailing: CCC loses money and is left out of both sums.
    assert agg.trailing_pe == pytest.approx((100e9 + 20e9) / (100e9 / 20 + 20e9 / 25))
    assert agg.trailing_pe == pytest.approx(20.689655, rel=1e-6)
    assert agg.median_trailing_pe == pytest.approx((20 + 25) / 2)
    # Forward: all three have positive forward earnings.
    assert agg.forward_pe == pytest.approx(170e9 / (100e9 / 16 + 20e9 / 20 + 50e9 / 50))
    assert agg.median_forward_pe == pytest.approx(20.0)
    assert [(g.symbol, g.measure, g.reason) for g in agg.left_out] == [
        ("CCC", "trailing_pe", "loss-making (n/m)")
    ]
    assert result.as_of == date(2025, 3, 7)


def test_cny_reporting_hkd_quoted_member_converts_statement_figures(
    services: Services,
) -> None:
    m = valuation(services, "BBB.HK").members[0]
    assert (m.currency, m.financial_currency) == ("HKD", "CNY")
    assert (m.price, m.price_date) == (77.7, date(2025, 3, 7))
    # 1 CNY in HKD on the price date = HKD=X / CNY=X.
    assert m.statement_fx == pytest.approx(HKD_PER_USD / CNY_PER_USD)
    eps_hkd = 2.9 / CNY_PER_USD * HKD_PER_USD  # 3.108
    assert m.ratios["trailing_pe"] == pytest.approx(77.7 / eps_hkd)
    assert m.ratios["trailing_pe"] == pytest.approx(25.0)
    assert m.ratios["forward_pe"] == pytest.approx(20.0)  # 77.7 / (3.625 / 7.25 × 7.77)
    assert m.ratios["price_to_sales"] == pytest.approx(2.0)  # 155.4e9 HKD / 77.7e9 HKD
    assert m.ratios["price_to_book"] == pytest.approx(5.0)  # 77.7 / 15.54
    # EV = 155.4e9 + (7.25e9 - 21.75e9) × 7.77/7.25 HKD; EBITDA 15.54e9 HKD.
    assert m.ratios["ev_to_ebitda"] == pytest.approx((155.4e9 + 7.77e9 - 23.31e9) / 15.54e9)
    assert set(m.basis.values()) == {"computed"}  # the provider's 26.79 etc. are not used
    assert m.fundamentals_as_of == date(2024, 12, 31) and m.as_of_reported
    assert m.name == "Beta Holdings"


def test_loss_maker_has_no_pe_not_a_negative_one(services: Services) -> None:
    m = valuation(services, "CCC").members[0]
    assert m.ratios["trailing_pe"] is None and m.basis["trailing_pe"] == "n/m"
    assert m.ratios["forward_pe"] == pytest.approx(50.0)
    assert m.ratios["price_to_book"] is None and m.basis["price_to_book"] == "n/a"


def test_vs_premium_by_hand(services: Services) -> None:
    left = valuation(services, "AAA", "BBB.HK", "CCC", "DDD")
    right = valuation(services, "EEE", "FFF")
    eee = next(m for m in right.members if m.symbol == "EEE")
    assert eee.ratios["forward_pe"] is None and eee.basis["forward_pe"] == "n/a"
    assert eee.basis["trailing_pe"] == "computed"
    # EEE cap 200 × 5e8 = 100e9 (P/E 20, no fwd); FFF cap 10 × 1e10 = 100e9 (P/E 40, fwd 20).
    right_trailing = 200e9 / (100e9 / 20 + 100e9 / 40)
    right_forward = 100e9 / (100e9 / 20)
    assert right.aggregate.trailing_pe == pytest.approx(right_trailing)
    assert right.aggregate.forward_pe == pytest.approx(right_forward)
    left_trailing = 120e9 / (100e9 / 20 + 20e9 / 25)
    left_forward = 170e9 / (100e9 / 16 + 20e9 / 20 + 50e9 / 50)
    trailing = premium_pct(left.aggregate.trailing_pe, right.aggregate.trailing_pe)
    forward = premium_pct(left.aggregate.forward_pe, right.aggregate.forward_pe)
    assert trailing == pytest.approx((left_trailing / right_trailing - 1) * 100)
    assert trailing == pytest.approx(-22.41379, rel=1e-5)  # a discount
    assert forward == pytest.approx((left_forward / right_forward - 1) * 100)
    assert forward == pytest.approx(3.0303, rel=1e-4)  # a premium: 20.606 vs 20


def test_missing_fx_excludes_member_with_the_reason(services: Services) -> None:
    result = valuation(services, "AAA", "GGG.DE", "HHH")
    assert [m.symbol for m in result.members] == ["AAA"]
    reasons = {e.symbol: e.reason for e in result.excluded}
    assert "EUR=X" in reasons["GGG.DE"] and "market cap" in reasons["GGG.DE"]
    assert reasons["HHH"].startswith("JPY figures not converted to USD")
    assert "JPY=X" in reasons["HHH"]


def test_provider_market_cap_only_without_shares(services: Services) -> None:
    m = valuation(services, "III").members[0]
    assert m.market_cap_basis == "provider"
    assert m.market_cap_usd == pytest.approx(8.4e10)
    assert m.ratios["trailing_pe"] == pytest.approx(42.0 / 2.1)


def test_price_is_the_latest_close_on_or_before_today(services: Services) -> None:
    # AAA.csv has a 500.0 row dated after "today" (2025-03-11): it is not the price.
    m = valuation(services, "AAA").members[0]
    assert (m.price, m.price_date) == (100.0, date(2025, 3, 7))


def test_old_files_still_price_from_their_last_close(tmp_path: Path) -> None:
    # A year later, nothing is within two weeks: the file's last close (2025-03-12) is used.
    later = datetime(2026, 3, 10, tzinfo=UTC)
    s = csv_services(make_folder(tmp_path), tmp_path / "c.sqlite3", clock=lambda: later)
    try:
        m = valuation(s, "AAA").members[0]
        assert (m.price, m.price_date) == (500.0, date(2025, 3, 12))
    finally:
        s.close()


def test_no_member_valued_is_no_data(services: Services) -> None:
    with pytest.raises(NoDataError, match="DDD: the data source has no fundamentals"):
        valuation(services, "DDD")


def test_premium_sign() -> None:
    assert premium_pct(30.0, 20.0) == pytest.approx(50.0)
    assert premium_pct(15.0, 20.0) == pytest.approx(-25.0)
    assert premium_pct(None, 20.0) is None and premium_pct(15.0, None) is None
