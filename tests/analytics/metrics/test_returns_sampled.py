"""The endpoint path of /returns (sampled series: a few index seeks, not every bar) gives
exactly the numbers of the path over every bar, on the real shared data and on hand-made
bars with adjusted closes on only some days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from analytics.data.cache import MarketCache
from analytics.data.market import MarketData
from analytics.data.sources.base import Bar
from analytics.errors import NoDataError
from analytics.metrics.periods import Period
from analytics.metrics.returns import ReturnsResult, compute_returns, member_paths, returns_of
from analytics.metrics.targets import Target
from analytics.services import Services
from tests.source_doubles import Clock, MemorySource, random_walk_bars

D = date.fromisoformat
#: US files end 2026-03-26, Hong Kong ones 2025-05-22: questions without an end leave the
#: Hong Kong members out as stopped, which both paths must agree on.
MIXED = ("AAPL", "MSFT", "0700.HK", "9988.HK", "SPY", "NVDA")
PERIODS = [
    Period(name="max"),
    Period(name="5y"),
    Period(name="3y"),
    Period(name="1y"),
    Period(name="ytd"),
    Period(name="3m"),
    Period(name="1w"),
    Period(name="5d"),
    Period(name="max", end=D("2025-05-22")),
    Period(name="1y", end=D("2024-02-29")),
    Period(name="ytd", end=D("2025-01-02")),
    Period(name="1y", end=D("2024-12-20")),
    Period(start=D("2021-06-05"), end=D("2023-12-25")),
    Period(start=D("2020-01-01")),
]


def symbols(*names: str) -> Target:
    return Target(",".join(names), names, "symbols")


def same_both_ways(
    market: MarketData, target: Target, period: Period, basis: str, currency: str
) -> ReturnsResult | None:
    """Assert the endpoint path (``compute_returns``) and the every-bar path (paths over
    every bar, then ``returns_of``) answer alike, to the last bit; the endpoint answer, or
    None when both found no data (with the same message)."""
    try:
        fast = compute_returns(market, target, period, basis, currency)
    except NoDataError as exc:
        with pytest.raises(NoDataError) as slow_exc:
            member_paths(market, target, period, basis, currency)
        assert str(slow_exc.value) == str(exc)
        return None
    full = member_paths(market, target, period, basis, currency)
    slow = returns_of(full, target, period, basis, currency, market.source_label)
    assert fast.to_json() == slow.to_json(), (target.label, period, basis, currency)
    # Not in the JSON: the stale flags and local currencies.
    assert [(m.stale, m.local_currency) for m in fast.members] == [
        (m.stale, m.local_currency) for m in slow.members
    ]
    return fast


@pytest.mark.parametrize("basis", ["price", "total"])
@pytest.mark.parametrize("currency", ["local", "usd"])
def test_real_data_same_numbers_both_ways(services: Services, basis: str, currency: str) -> None:
    market = services.market
    answered = 0
    for target in (symbols(*MIXED), symbols("0700.HK", "9988.HK", "1810.HK"), symbols("QQQ")):
        for period in PERIODS:
            answered += same_both_ways(market, target, period, basis, currency) is not None
    assert answered >= 20
    # Not a vacuous comparison: the members and the Hong Kong exclusions are there.
    result = same_both_ways(market, symbols(*MIXED), Period(name="max"), basis, currency)
    assert result is not None
    assert {m.symbol for m in result.members} == {"AAPL", "MSFT", "SPY", "NVDA"}
    assert {e.symbol for e in result.excluded} == {"0700.HK", "9988.HK"}
    assert {m.base_date for m in result.members} == {D("2021-01-04")}
    assert {m.currency for m in result.members} == {"USD"}
    # HKD=X ends 2024-12-07: Hong Kong members convert up to then, and are left out after.
    three = Period(name="3y", end=D("2024-02-29"))
    hk = same_both_ways(market, symbols("0700.HK"), three, basis, currency)
    assert hk is not None and hk.members[0].currency == ("USD" if currency == "usd" else "HKD")


def test_endpoint_paths_hold_a_few_bars_not_every_bar(services: Services) -> None:
    market = services.market
    target = symbols("AAPL", "0700.HK")
    period = Period(name="max", end=D("2025-05-22"))
    sampled = member_paths(market, target, period, endpoints=True)
    full = member_paths(market, target, period)
    assert all(len(p.days) <= 3 for p in sampled.paths)
    assert all(len(p.days) > 1000 for p in full.paths)
    for s, f in zip(sampled.paths, full.paths, strict=True):
        assert (s.days[0], s.values[0], s.days[-1], s.values[-1]) == (
            f.days[0], f.values[0], f.days[-1], f.values[-1],
        )  # fmt: skip


def test_adjusted_closes_on_some_days_same_numbers_both_ways(tmp_path: Path) -> None:
    """Total return takes the adjusted close where a bar has one and the close where not:
    the endpoint path must pick the same bar and the same column as the every-bar path."""
    start, end = D("2015-01-01"), D("2025-05-22")
    data = {s: random_walk_bars(s, start, end) for s in ("AAA", "BBB", "CCC")}
    data["DDD"] = [
        Bar(b.day, b.close) for b in random_walk_bars("DDD", start, end)
    ]  # no adj at all
    data["NEW"] = random_walk_bars("NEW", D("2025-05-01"), end)  # too short for a year
    clock = Clock(datetime(2025, 5, 23, 12, tzinfo=UTC))
    market = MarketData(MarketCache(tmp_path / "c.sqlite3"), MemorySource(data), clock=clock)
    target = symbols("AAA", "BBB", "CCC", "DDD", "NEW")
    try:
        answered = 0
        for period in [*PERIODS, Period(name="1d"), Period(start=D("2025-05-03"))]:
            for basis in ("price", "total"):
                answered += same_both_ways(market, target, period, basis, "local") is not None
        assert answered >= 20
        result = same_both_ways(market, target, Period(name="1y"), "total", "local")
        assert result is not None
        assert {e.symbol for e in result.excluded} == {"NEW"}
        assert "DDD" in " ".join(result.notes)
    finally:
        market.cache.close()
