"""The market service's cache rules: what is fetched, when, and what happens on failure.

Every test counts the calls a real :class:`Source` implementation received
(``tests.source_doubles.RecordingSource``) under an injected clock.
"""

from __future__ import annotations

import math
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from analytics.data.cache import FetchRecord, MarketCache
from analytics.data.market import MarketData, latest_possible_day
from analytics.data.series import Problem, ProblemKind
from analytics.data.sources.base import Bar, SymbolHistory
from analytics.data.sources.csvdir import CsvFolderSource
from analytics.errors import RateLimitedError, SourceError
from tests.source_doubles import Call, Clock, MemorySource, RecordingSource, daily

D = date.fromisoformat


def unavailable(text: str) -> Problem:
    return Problem(ProblemKind.UNAVAILABLE, text)


# Monday 6 January 2025, 15:00 UTC: New York is open, so 6 January is not settled yet.
MONDAY = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)
WEEK = daily(
    ("2024-12-30", 100.0),
    ("2024-12-31", 101.0),
    ("2025-01-02", 102.0),
    ("2025-01-03", 103.0),
    ("2025-01-06", 104.0),
)


@pytest.fixture
def memory() -> MemorySource:
    return MemorySource(
        {"AAA": list(WEEK), "BBB": [Bar(b.day, b.close * 2) for b in WEEK]},
        currencies={"BBB": "EUR"},
        names={"AAA": "Triple A Inc."},
    )


def make(
    tmp_path: Path, inner, now: datetime = MONDAY
) -> tuple[MarketData, RecordingSource, Clock]:
    source = RecordingSource(inner)
    clock = Clock(now)
    market = MarketData(MarketCache(tmp_path / "cache.sqlite3"), source, clock=clock)
    return market, source, clock


def closes(market: MarketData, symbol: str, start: str, end: str) -> list[tuple[date, float]]:
    series = market.history([symbol], D(start), D(end)).series[symbol]
    return [(b.day, b.close) for b in series.bars]


# -- missing ranges (pure) -------------------------------------------------------------------


def test_missing_ranges_without_records_is_the_range_up_to_the_latest_possible_day(
    tmp_path: Path, memory: MemorySource
) -> None:
    market, _, _ = make(tmp_path, memory)
    assert latest_possible_day(MONDAY) == D("2025-01-07")  # 15:00 UTC + 14 h
    assert market.missing_ranges([], D("2025-01-01"), D("2025-03-01"), MONDAY) == [
        (D("2025-01-01"), D("2025-01-07"))
    ]
    assert market.missing_ranges([], D("2025-02-01"), D("2025-03-01"), MONDAY) == []


def test_missing_ranges_settled_days_and_ttl(tmp_path: Path, memory: MemorySource) -> None:
    market, _, _ = make(tmp_path, memory)
    rec = FetchRecord("AAA", D("2024-12-01"), D("2025-01-07"), MONDAY)
    # within the TTL the whole record counts
    soon = MONDAY + timedelta(minutes=14)
    assert market.missing_ranges([rec], D("2024-12-01"), D("2025-01-07"), soon) == []
    # after it only days before the fetch's UTC date are settled
    later = MONDAY + timedelta(minutes=16)
    assert market.missing_ranges([rec], D("2024-12-01"), D("2025-01-07"), later) == [
        (D("2025-01-06"), D("2025-01-07"))
    ]
    # holes between records, and before/after them
    recs = [
        FetchRecord("AAA", D("2024-11-01"), D("2024-11-30"), MONDAY),
        FetchRecord("AAA", D("2024-12-10"), D("2024-12-20"), MONDAY),
    ]
    assert market.missing_ranges(recs, D("2024-10-25"), D("2024-12-31"), later) == [
        (D("2024-10-25"), D("2024-10-31")),
        (D("2024-12-01"), D("2024-12-09")),
        (D("2024-12-21"), D("2024-12-31")),
    ]


# -- fetching only what is missing ------------------------------------------------------------


def test_many_symbols_cost_one_source_call_and_a_repeat_costs_none(
    tmp_path: Path, memory: MemorySource
) -> None:
    market, source, _ = make(tmp_path, memory)
    history = market.history(["AAA", "BBB"], D("2024-12-30"), D("2025-01-06"))
    assert source.calls == [Call(("AAA", "BBB"), D("2024-12-30"), D("2025-01-06"))]
    assert [b.close for b in history.series["BBB"].bars] == [200.0, 202.0, 204.0, 206.0, 208.0]
    assert not history.stale and history.problems == {}
    again = market.history(["AAA", "BBB"], D("2024-12-30"), D("2025-01-06"))
    assert len(source.calls) == 1
    assert again.series["AAA"].bars == history.series["AAA"].bars


def test_metadata_from_the_source_else_the_suffix(tmp_path: Path, memory: MemorySource) -> None:
    market, _, _ = make(tmp_path, memory)
    history = market.history(["AAA", "BBB"], D("2024-12-30"), D("2025-01-06"))
    assert history.series["BBB"].currency == "EUR"  # from the source
    assert history.series["AAA"].currency == "USD"  # no metadata, no suffix
    assert market.name("AAA") == "Triple A Inc."


def test_an_extended_period_fetches_only_the_missing_days(
    tmp_path: Path, market_data_dir: Path, clock: Clock
) -> None:
    market, source, _ = make(tmp_path, CsvFolderSource(market_data_dir), clock())
    market.history(["AAPL"], D("2025-01-02"), D("2025-03-07"))
    assert source.calls == [Call(("AAPL",), D("2025-01-02"), D("2025-03-07"))]
    later = closes(market, "AAPL", "2025-01-02", "2025-03-31")
    assert source.calls[1:] == [Call(("AAPL",), D("2025-03-08"), D("2025-03-31"))]
    earlier = closes(market, "AAPL", "2024-12-02", "2025-03-31")
    assert source.calls[2:] == [Call(("AAPL",), D("2024-12-02"), D("2025-01-01"))]
    # the cache now holds exactly what the file holds over the whole range
    direct = CsvFolderSource(market_data_dir).fetch_history(
        ["AAPL"], D("2024-12-02"), D("2025-03-31")
    )
    assert earlier == [(b.day, b.close) for b in direct["AAPL"].bars]
    assert later == earlier[-len(later) :]


def test_extending_both_ends_does_not_fetch_the_cached_middle(
    tmp_path: Path, market_data_dir: Path, clock: Clock
) -> None:
    market, source, _ = make(tmp_path, CsvFolderSource(market_data_dir), clock())
    market.history(["AAPL", "MSFT"], D("2025-01-02"), D("2025-03-07"))
    source.calls.clear()
    market.history(["AAPL", "MSFT"], D("2024-12-02"), D("2025-03-31"))
    assert sorted(source.calls, key=lambda c: c.start) == [
        Call(("AAPL", "MSFT"), D("2024-12-02"), D("2025-01-01")),
        Call(("AAPL", "MSFT"), D("2025-03-08"), D("2025-03-31")),
    ]


def test_only_symbols_with_gaps_are_asked(tmp_path: Path, memory: MemorySource) -> None:
    market, source, _ = make(tmp_path, memory)
    market.history(["AAA"], D("2024-12-30"), D("2025-01-03"))
    source.calls.clear()
    history = market.history(["AAA", "BBB"], D("2024-12-30"), D("2025-01-03"))
    assert source.calls == [Call(("BBB",), D("2024-12-30"), D("2025-01-03"))]
    assert set(history.series) == {"AAA", "BBB"}


def test_the_latest_bar_is_refreshed_after_the_ttl_and_settled_days_never_again(
    tmp_path: Path, memory: MemorySource
) -> None:
    market, source, clock = make(tmp_path, memory)
    assert closes(market, "AAA", "2024-12-30", "2025-01-06")[-1] == (D("2025-01-06"), 104.0)
    memory.bars["AAA"][-1] = Bar(D("2025-01-06"), 104.5)  # the live bar moves
    clock.advance(minutes=10)
    assert closes(market, "AAA", "2024-12-30", "2025-01-06")[-1] == (D("2025-01-06"), 104.0)
    assert len(source.calls) == 1  # within the TTL: served from the cache
    clock.advance(minutes=6)
    assert closes(market, "AAA", "2024-12-30", "2025-01-06")[-1] == (D("2025-01-06"), 104.5)
    assert source.calls[1] == Call(("AAA",), D("2025-01-06"), D("2025-01-06"))
    # the next day, 6 January is refetched once more (it was live at every fetch so far)...
    clock.advance(days=1)
    memory.bars["AAA"][-1] = Bar(D("2025-01-06"), 105.0)  # the final close
    assert closes(market, "AAA", "2024-12-30", "2025-01-06")[-1] == (D("2025-01-06"), 105.0)
    assert source.calls[2] == Call(("AAA",), D("2025-01-06"), D("2025-01-06"))
    # ...and then never again, however late
    clock.advance(days=30)
    memory.bars["AAA"][-1] = Bar(D("2025-01-06"), 1.0)
    assert closes(market, "AAA", "2024-12-30", "2025-01-06")[-1] == (D("2025-01-06"), 105.0)
    assert len(source.calls) == 3


# -- failures ------------------------------------------------------------------------------


def test_a_source_failure_serves_the_cache_marked_stale(
    tmp_path: Path, market_data_dir: Path, clock: Clock
) -> None:
    market, source, _ = make(tmp_path, CsvFolderSource(market_data_dir), clock())
    fresh = market.history(["AAPL"], D("2025-01-02"), D("2025-03-07"))
    source.failure = SourceError("network unreachable")
    history = market.history(["AAPL", "MSFT"], D("2025-01-02"), D("2025-03-31"))
    assert len(source.calls) == 2  # it did try
    aapl = history.series["AAPL"]
    assert aapl.stale and history.stale
    assert aapl.stale_reason == "data source failed: network unreachable"
    assert aapl.bars == fresh.series["AAPL"].bars  # the cached rows, nothing invented
    assert aapl.last_day == D("2025-03-07")
    # nothing cached: not a series, a reason
    assert "MSFT" not in history.series
    assert history.problems["MSFT"] == unavailable(
        "no data could be had (data source failed: network unreachable)"
    )
    assert history.unknown == []


def test_an_empty_answer_over_cached_rows_is_a_failure_not_a_deletion(
    tmp_path: Path, memory: MemorySource
) -> None:
    market, source, clock = make(tmp_path, memory)
    market.history(["AAA"], D("2024-12-30"), D("2025-01-06"))
    source.empty = True
    clock.advance(minutes=20)
    history = market.history(["AAA"], D("2024-12-30"), D("2025-01-06"))
    assert len(source.calls) == 2
    series = history.series["AAA"]
    assert [b.close for b in series.bars] == [100.0, 101.0, 102.0, 103.0, 104.0]
    assert series.stale
    assert "source returned no rows where the cache has some" in (series.stale_reason or "")
    # an empty answer where nothing is cached is simply "no trading": recorded, not stale
    history = market.history(["AAA"], D("2024-12-20"), D("2024-12-27"))
    assert history.problems == {
        "AAA": Problem(ProblemKind.NO_PRICES, "no prices between 2024-12-20 and 2024-12-27")
    }
    calls = len(source.calls)
    market.history(["AAA"], D("2024-12-20"), D("2024-12-27"))
    assert len(source.calls) == calls


def test_invalid_bars_from_a_source_are_never_written(tmp_path: Path) -> None:
    bars = [Bar(D("2025-01-02"), 10.0), Bar(D("2025-01-03"), math.inf), Bar(D("2025-01-06"), -1.0)]
    market, _, _ = make(tmp_path, MemorySource({"AAA": bars}))
    history = market.history(["AAA"], D("2025-01-01"), D("2025-01-06"))
    assert [b.day for b in history.series["AAA"].bars] == [D("2025-01-02")]
    assert market.cache.count_bars("AAA", D("2025-01-01"), D("2025-01-31")) == 1


def test_unknown_symbols_and_per_symbol_failures(tmp_path: Path, memory: MemorySource) -> None:
    class Partial(MemorySource):
        def fetch_history(self, symbols, start, end):  # type: ignore[no-untyped-def]
            out = super().fetch_history(symbols, start, end)
            out.pop("BBB")  # missing from the answer
            out["CCC"] = SymbolHistory("CCC", error="only dividends", error_kind="no_history")
            return out

    market, _, _ = make(tmp_path, Partial(memory.bars))
    history = market.history(["AAA", "BBB", "CCC", "ZZZ"], D("2024-12-30"), D("2025-01-06"))
    assert set(history.series) == {"AAA"}
    assert history.unknown == ["ZZZ"]
    assert history.problems == {
        "BBB": unavailable("no data could be had (missing from the source's answer)"),
        "CCC": Problem(ProblemKind.NO_HISTORY, "no usable daily history (only dividends)"),
        "ZZZ": Problem(ProblemKind.UNKNOWN, "unknown symbol"),
    }
    # failures leave no fetch record, so they are asked again next time
    assert market.cache.fetches("ZZZ") == [] and market.cache.fetches("BBB") == []


def test_repeated_rate_limits_open_the_breaker(tmp_path: Path, memory: MemorySource) -> None:
    market, source, clock = make(tmp_path, memory)
    source.failure = RateLimitedError("429 Too Many Requests")
    for _ in range(3):
        history = market.history(["AAA"], D("2024-12-30"), D("2025-01-06"))
        assert history.problems["AAA"] == unavailable(
            "no data could be had (rate limited by the data source)"
        )
    assert len(source.calls) == 3
    # open: the source is left alone and the reason says so
    history = market.history(["AAA"], D("2024-12-30"), D("2025-01-06"))
    assert len(source.calls) == 3
    problem = history.problems["AAA"]
    assert problem.kind is ProblemKind.UNAVAILABLE
    assert "source paused after repeated rate limits until 15:00 UTC" in problem.text
    # after the back-off one trial goes through; it fails, so the delay doubles (60 s)
    clock.advance(seconds=31)
    market.history(["AAA"], D("2024-12-30"), D("2025-01-06"))
    assert len(source.calls) == 4
    clock.advance(seconds=59)
    market.history(["AAA"], D("2024-12-30"), D("2025-01-06"))
    assert len(source.calls) == 4
    # a successful trial closes it again
    clock.advance(seconds=2)
    source.failure = None
    history = market.history(["AAA"], D("2024-12-30"), D("2025-01-06"))
    assert len(source.calls) == 5 and not history.stale and "AAA" in history.series
    assert market.breaker.open_until is None


def test_a_cached_question_is_not_held_up_by_a_slow_fetch(
    tmp_path: Path, memory: MemorySource
) -> None:
    class Blocking(MemorySource):
        """Blocks inside fetch_history until released (a slow network)."""

        def __init__(self, bars: dict) -> None:  # type: ignore[type-arg]
            super().__init__(bars)
            self.entered = threading.Event()
            self.release = threading.Event()

        def fetch_history(self, symbols, start, end):  # type: ignore[no-untyped-def]
            if "BBB" in symbols:
                self.entered.set()
                assert self.release.wait(30)
            return super().fetch_history(symbols, start, end)

    source = Blocking(memory.bars)
    market = MarketData(MarketCache(tmp_path / "c.sqlite3"), source, clock=Clock(MONDAY))
    market.history(["AAA"], D("2024-12-30"), D("2025-01-03"))  # cached
    slow = threading.Thread(target=market.history, args=(["BBB"], D("2024-12-30"), D("2025-01-03")))
    slow.start()
    assert source.entered.wait(30)
    answered: list[int] = []
    fast = threading.Thread(
        target=lambda: answered.append(
            len(market.history(["AAA"], D("2024-12-30"), D("2025-01-03")).series["AAA"].bars)
        )
    )
    fast.start()
    fast.join(10)
    finished_while_blocked = not fast.is_alive()
    source.release.set()
    slow.join(30)
    fast.join(30)
    assert finished_while_blocked and answered == [4]
