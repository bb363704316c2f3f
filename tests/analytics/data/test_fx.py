"""FX: Yahoo ``<CUR>=X`` series (units per USD), the last rate on or before a date, at most
five days old, and never an assumed rate."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from analytics.data.cache import MarketCache
from analytics.data.fx import FxTable, Rate, load_fx, major_currency
from analytics.data.market import MarketData
from analytics.data.series import Problem, ProblemKind, Series
from tests.source_doubles import Call, Clock, MemorySource, RecordingSource, daily

D = date.fromisoformat

# Friday 3 and Monday 6 January 2025, then nothing until Monday 13th.
HKD = Series(
    "HKD=X",
    "HKD",
    daily(("2025-01-02", 7.77), ("2025-01-03", 7.78), ("2025-01-06", 7.80), ("2025-01-13", 7.79)),
)
GBP = Series("GBP=X", "GBP", daily(("2025-01-03", 0.80)))


@pytest.fixture
def table() -> FxTable:
    return FxTable(
        {"HKD=X": HKD, "GBP=X": GBP}, {"JPY=X": Problem(ProblemKind.UNKNOWN, "unknown symbol")}
    )


def test_rate_on_the_day_and_on_or_before(table: FxTable) -> None:
    assert table.rate("HKD", D("2025-01-06")) == Rate("HKD", D("2025-01-06"), 7.80)
    # a Saturday uses Friday's rate
    assert table.rate("HKD", D("2025-01-04")) == Rate("HKD", D("2025-01-03"), 7.78)


def test_a_rate_at_most_five_days_old(table: FxTable) -> None:
    assert table.rate("HKD", D("2025-01-11")) == Rate("HKD", D("2025-01-06"), 7.80)  # 5 days
    assert table.rate("HKD", D("2025-01-12")) == (
        "no HKD=X rate within 5 days of 2025-01-12 (last 2025-01-06)"
    )
    assert table.rate("HKD", D("2025-01-01")) == "no HKD=X rate on or before 2025-01-01"


def test_no_series_is_a_reason_never_a_rate(table: FxTable) -> None:
    assert table.rate("JPY", D("2025-01-06")) == "no JPY=X rate (unknown symbol)"
    assert table.rate("CNY", D("2025-01-06")) == "no CNY=X rate (not loaded)"
    assert table.to_usd(100.0, "JPY", D("2025-01-06")) == "no JPY=X rate (unknown symbol)"


def test_usd_needs_no_rate(table: FxTable) -> None:
    assert table.rate("USD", D("1999-01-01")) == Rate("USD", D("1999-01-01"), 1.0)
    assert table.to_usd(12.5, "USD", D("2025-01-06")) == (12.5, Rate("USD", D("2025-01-06"), 1.0))


def test_conversion_divides_by_units_per_usd(table: FxTable) -> None:
    value, rate = table.to_usd(78.0, "HKD", D("2025-01-06"))  # type: ignore[misc]
    assert value == pytest.approx(10.0, rel=1e-12) and rate.per_usd == 7.80
    # pence: 250 GBp = 2.50 GBP = 2.50 / 0.80 USD
    value, _ = table.to_usd(250.0, "GBp", D("2025-01-03"))  # type: ignore[misc]
    assert value == pytest.approx(3.125, rel=1e-12)
    assert major_currency("GBp") == ("GBP", 100.0)
    assert major_currency("hkd") == ("HKD", 1.0)


def test_stale_flags(table: FxTable) -> None:
    stale = Series("HKD=X", "HKD", list(HKD.bars), stale=True)
    mixed = FxTable({"HKD=X": stale, "GBP=X": GBP}, {})
    assert mixed.stale and mixed.stale_for("HKD") and not mixed.stale_for("GBp")
    assert not mixed.stale_for("USD")
    assert not table.stale


def test_load_fx_asks_once_for_the_needed_series(tmp_path: Path) -> None:
    source = RecordingSource(MemorySource({"HKD=X": list(HKD.bars), "GBP=X": list(GBP.bars)}))
    clock = Clock(datetime(2025, 2, 1, tzinfo=UTC))
    market = MarketData(MarketCache(tmp_path / "c.sqlite3"), source, clock=clock)
    table = load_fx(market, {"HKD", "GBp", "USD"}, D("2025-01-06"), D("2025-01-13"))
    # one call for both series, reaching back far enough for a rate up to 5 days old
    assert source.calls == [Call(("GBP=X", "HKD=X"), D("2024-12-29"), D("2025-01-13"))]
    assert table.rate("HKD", D("2025-01-13")) == Rate("HKD", D("2025-01-13"), 7.79)
    assert table.rate("GBp", D("2025-01-06")) == Rate("GBP", D("2025-01-03"), 0.80)
    # only USD: nothing to load, no call
    assert load_fx(market, {"USD"}, D("2025-01-06"), D("2025-01-13")).rate(
        "USD", D("2025-01-06")
    ) == Rate("USD", D("2025-01-06"), 1.0)
    assert len(source.calls) == 1
    market.cache.close()
