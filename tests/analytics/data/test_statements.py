"""Statements as settled data: fetched once, asked again only after the next report is due,
served stale when Yahoo fails (through the real yfinance path against the double)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from analytics.data.statements import NEXT_REPORT
from analytics.services import Services
from tests.analytics.metrics.recorded_setup import listing, recorded_services
from tests.analytics.metrics.test_valuation_history import Q4_END, beke_bars, four_quarters
from tests.source_doubles import Clock
from tests.yahoo_double import YahooDouble
from tests.yahoo_recorded import recorded, timeseries_items, with_timeseries

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def services(yahoo_double: YahooDouble, tmp_path: Path) -> Iterator[Services]:
    rec = with_timeseries(recorded("BEKE"), four_quarters())
    yahoo_double.serve({"BEKE": listing("BEKE", rec, beke_bars())})
    built = recorded_services(yahoo_double, tmp_path, now=NOW)
    yield built
    built.close()


def quarterly_requests(double: YahooDouble) -> int:
    return sum(
        1
        for r in double.requests()
        if "timeseries/BEKE" in r.path and r.query.get("type", "").startswith("quarterly")
    )


def test_refetched_only_after_the_next_report_is_due(
    yahoo_double: YahooDouble, services: Services
) -> None:
    clock = services.clock
    assert isinstance(clock, Clock)
    store = services.statements
    first = store.get_many(["BEKE"])["BEKE"]
    assert [p.end.isoformat() for p in first.quarterly][-1] == Q4_END
    clock.advance(days=60)  # 2024-07-31: still before 2024-03-31 + 137 days
    store.get_many(["BEKE"])
    assert quarterly_requests(yahoo_double) == 1
    # Past the due date a newer quarter has been published: asked again, and kept.
    due = date.fromisoformat(Q4_END) + NEXT_REPORT
    clock.now = datetime(due.year, due.month, due.day, 12, tzinfo=UTC)
    items = four_quarters() + timeseries_items(
        "BEKE", {"NetIncomeCommonStockholders": {"2024-06-30": (1.2e9, "CNY")}}
    )
    yahoo_double.serve(
        {"BEKE": listing("BEKE", with_timeseries(recorded("BEKE"), items), beke_bars())}
    )
    again = store.get_many(["BEKE"])["BEKE"]
    assert quarterly_requests(yahoo_double) == 2
    assert again.latest_end == date(2024, 6, 30) and not again.stale


def test_served_stale_when_yahoo_rate_limits(yahoo_double: YahooDouble, services: Services) -> None:
    clock = services.clock
    assert isinstance(clock, Clock)
    store = services.statements
    store.get_many(["BEKE"])
    clock.advance(days=200)  # due again
    yahoo_double.rate_limit()
    stale = store.get_many(["BEKE"])["BEKE"]
    assert stale.stale and "rate limited" in (stale.stale_reason or "")
    assert stale.latest_end == date.fromisoformat(Q4_END)


def test_nothing_cached_and_yahoo_down_gives_the_reason(
    yahoo_double: YahooDouble, services: Services
) -> None:
    yahoo_double.server_error()
    got = services.statements.get_many(["BEKE"])["BEKE"]
    assert got.quarterly == [] and got.error and "no statements could be had" in got.error
