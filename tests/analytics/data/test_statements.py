"""Statements as settled data: fetched once, asked again only after the next report is due,
served stale when Yahoo fails (through the real yfinance path against the double)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from analytics.data.breaker import CircuitBreaker
from analytics.data.cache import MarketCache
from analytics.data.statements import NEXT_REPORT, StatementStore
from analytics.errors import RateLimitedError
from analytics.services import Services
from tests.analytics.metrics.recorded_setup import listing, recorded_services
from tests.analytics.metrics.test_valuation_history import Q4_END, beke_bars, four_quarters
from tests.source_doubles import Clock, MemorySource
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


class RateLimitedStatements(MemorySource):
    """A source whose statement history is always rate limited; ``asked`` records who."""

    def __init__(self) -> None:
        super().__init__({})
        self.asked: list[str] = []

    def fetch_statements(self, symbol: str) -> dict[str, Any] | None:
        self.asked.append(symbol)
        raise RateLimitedError("429")


def test_a_rate_limit_stops_asking_for_the_rest_of_the_batch(tmp_path: Path) -> None:
    cache = MarketCache(tmp_path / "c.sqlite3")
    source, clock = RateLimitedStatements(), Clock(NOW)
    breaker = CircuitBreaker(clock, threshold=1)
    try:
        got = StatementStore(cache, source, clock=clock, breaker=breaker).get_many(
            ["AAA", "BBB", "CCC"]
        )
    finally:
        cache.close()
    assert source.asked == ["AAA"]  # the rest are not asked: more requests lengthen the ban
    assert breaker.open_until == NOW + breaker.base_delay
    for symbol in ("AAA", "BBB", "CCC"):
        assert got[symbol].error == "no statements could be had (rate limited by the data source)"


def test_a_source_without_statement_history_is_not_asked_and_says_so(tmp_path: Path) -> None:
    cache = MarketCache(tmp_path / "c.sqlite3")
    try:
        store = StatementStore(cache, MemorySource({}), clock=Clock(NOW))
        got = store.get_many(["AAA", "BBB"])
        saved = cache.connection().execute("SELECT count(*) AS n FROM statements").fetchone()
        assert saved["n"] == 0  # nothing was fetched, so nothing was saved
    finally:
        cache.close()
    assert store.breaker.open_until is None
    reason = "no statements could be had (the data source has no statement history)"
    assert [got["AAA"].error, got["BBB"].error] == [reason, reason]
