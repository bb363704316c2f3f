"""The one loading rule: which ranges are asked of the source, in what order, and when the
search for a symbol's latest close stops. Every call the real ``MarketData`` made to a
source is recorded (``RecordingSource``) and compared with ranges worked out by hand."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from analytics.data.cache import MarketCache
from analytics.data.market import MarketData
from analytics.data.series import ProblemKind
from analytics.data.sources.base import SymbolHistory
from analytics.errors import SourceError, UserInputError
from analytics.metrics.loading import (
    Excluded,
    excluded_by_problems,
    latest_closes,
    load_period,
    raise_if_unknown,
    recent_closes,
    source_failed,
    summarize_excluded,
)
from analytics.metrics.periods import Period
from analytics.metrics.targets import Target
from tests.source_doubles import Call, Clock, MemorySource, RecordingSource, daily

D = date.fromisoformat
# Monday 9 January 2023 12:00 UTC: the latest date begun anywhere is 10 January.
NOW = datetime(2023, 1, 9, 12, 0, tzinfo=UTC)
TODAY = D("2023-01-10")
AAA = daily(("2022-12-30", 100.0), ("2023-01-03", 104.0), ("2023-01-06", 110.0))
# Data that stopped in mid-2022 (within a year of today) and in 2015 (long before).
OLD = daily(("2022-06-29", 24.0), ("2022-06-30", 25.0))
GONE = daily(("2015-03-02", 7.0), ("2015-03-03", 7.5))


class FailsBefore:
    """A source that fails any request reaching back before ``day``: the recent window is
    answered, a longer look back is not (an outage or rate limit mid-question)."""

    label = "Memory"

    def __init__(self, inner: MemorySource, day: date) -> None:
        self.inner, self.day = inner, day

    def fetch_history(
        self, symbols: Sequence[str], start: date, end: date
    ) -> dict[str, SymbolHistory]:
        if start < self.day:
            raise SourceError("Yahoo is down")
        return self.inner.fetch_history(symbols, start, end)

    def fetch_info(self, symbol: str) -> None:
        return None


def memory() -> MemorySource:
    return MemorySource({"AAA": AAA, "OLD": OLD, "GONE": GONE})


@pytest.fixture
def market(tmp_path: Path) -> Iterator[MarketData]:
    m = MarketData(MarketCache(tmp_path / "c.sqlite3"), RecordingSource(memory()), clock=Clock(NOW))
    yield m
    m.cache.close()


def calls(market: MarketData) -> list[Call]:
    return market.source.calls  # type: ignore[attr-defined]


def test_a_trading_symbol_costs_one_request_over_the_recent_days(market: MarketData) -> None:
    history = latest_closes(market, ["AAA"])
    assert calls(market) == [Call(("AAA",), D("2022-12-27"), TODAY)]
    assert history.series["AAA"].bars[-1].close == 110.0 and history.problems == {}


def test_a_symbol_whose_data_stopped_is_looked_for_a_year_then_its_whole_history(
    market: MarketData,
) -> None:
    history = latest_closes(market, ["AAA", "OLD", "GONE"])
    assert calls(market) == [
        Call(("AAA", "OLD", "GONE"), D("2022-12-27"), TODAY),
        # 370 days back: OLD is found, GONE still answers without a bar
        Call(("OLD", "GONE"), D("2022-01-05"), TODAY),
        Call(("GONE",), D("1970-01-01"), TODAY),
    ]
    assert history.series["OLD"].last_day == D("2022-06-30")
    assert history.series["GONE"].last_day == D("2015-03-03")
    assert history.problems == {}


def test_a_period_is_loaded_again_relative_to_a_stopped_symbols_own_last_close(
    market: MarketData,
) -> None:
    history = load_period(market, ["OLD"], Period(name="ytd"))
    # ytd of OLD ends 2022-06-30: its base is on or before 2021-12-31, read from 14 days
    # earlier; the year probe covered 2022-01-05 on, so only the days before are asked.
    assert calls(market) == [
        Call(("OLD",), D("2022-12-17"), TODAY),
        Call(("OLD",), D("2022-01-05"), TODAY),
        Call(("OLD",), D("2021-12-17"), D("2022-01-04")),
    ]
    assert history.series["OLD"].days[0] == D("2022-06-29")


def test_an_explicit_end_pins_the_question_and_nothing_is_looked_for_further_back(
    market: MarketData,
) -> None:
    history = load_period(market, ["OLD"], Period(name="ytd", end=D("2023-01-06")))
    assert calls(market) == [Call(("OLD",), D("2022-12-17"), D("2023-01-06"))]
    assert history.problems["OLD"].kind is ProblemKind.NO_PRICES
    assert history.empty == ["OLD"]


def test_a_symbol_check_never_looks_further_back(market: MarketData) -> None:
    history = recent_closes(market, ["OLD", "NOPE"])
    assert calls(market) == [Call(("OLD", "NOPE"), D("2022-12-27"), TODAY)]
    assert history.empty == ["OLD"] and history.unknown == ["NOPE"]
    assert history.problems["NOPE"].text == "unknown symbol"


def test_a_failed_probe_is_final(tmp_path: Path) -> None:
    source = RecordingSource(FailsBefore(memory(), D("2022-12-01")))
    market = MarketData(MarketCache(tmp_path / "c.sqlite3"), source, clock=Clock(NOW))
    history = latest_closes(market, ["AAA", "GONE"])
    # the year probe fails: GONE is not asked again over its whole history
    assert source.calls == [
        Call(("AAA", "GONE"), D("2022-12-27"), TODAY),
        Call(("GONE",), D("2022-01-05"), TODAY),
    ]
    problem = history.problems["GONE"]
    assert problem.kind is ProblemKind.UNAVAILABLE
    assert problem.text == "no data could be had (data source failed: Yahoo is down)"
    assert set(history.series) == {"AAA"} and source_failed(history)
    market.cache.close()


def test_source_failed_only_when_the_source_failed(market: MarketData) -> None:
    history = latest_closes(market, ["AAA", "NOPE"])
    assert history.unknown == ["NOPE"] and not source_failed(history)


def test_exclusions_carry_the_problem_text_and_group_by_reason(market: MarketData) -> None:
    history = recent_closes(market, ["AAA", "NOPE", "ZZZ", "OLD"])
    excluded = excluded_by_problems(["AAA", "NOPE", "ZZZ", "OLD"], history)
    assert excluded == [
        Excluded("NOPE", "unknown symbol"),
        Excluded("ZZZ", "unknown symbol"),
        Excluded("OLD", "no prices between 2022-12-27 and 2023-01-10"),
    ]
    assert summarize_excluded(excluded) == (
        "NOPE, ZZZ: unknown symbol; OLD: no prices between 2022-12-27 and 2023-01-10"
    )


def test_only_a_question_about_unknown_symbols_alone_is_bad_input(market: MarketData) -> None:
    history = recent_closes(market, ["AAA", "NOPE", "ZZZ"])
    raise_if_unknown(Target("AAA,NOPE", ("AAA", "NOPE"), "symbols"), history)  # one is known
    with pytest.raises(UserInputError, match=r"^Unknown symbols: NOPE, ZZZ\.$"):
        raise_if_unknown(Target("NOPE,ZZZ", ("NOPE", "ZZZ"), "symbols"), history)
    with pytest.raises(UserInputError, match=r"^Unknown symbol NOPE: not found"):
        raise_if_unknown(Target("NOPE", ("NOPE",), "symbols"), history)
