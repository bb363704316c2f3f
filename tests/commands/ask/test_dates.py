"""Periods said in words (commands.ask.dates) at a fixed today, Monday 10 March 2025: each
phrase gives the options a careful user would type, and nothing else.

Expected dates are written out here (or, for month names, computed from the first of the
next month), not derived with the module's own helpers.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from commands.ask.dates import find_period

TODAY = date(2025, 3, 10)


def options(text: str) -> dict[str, str]:
    found = find_period(text, TODAY)
    assert found.error is None, found.error
    return found.options


def error(text: str) -> str:
    found = find_period(text, TODAY)
    assert found.error is not None, found.options
    return found.error


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("this year", "ytd"),
        ("year to date", "ytd"),
        ("ytd", "ytd"),
        ("so far this year", "ytd"),
        ("since the start of the year", "ytd"),
        ("in 2025", "ytd"),  # the current year is year to date
        ("today", "1d"),
        ("5 trading days", "5d"),
        ("this week", "1w"),
        ("the past week", "1w"),
        ("a month", "1m"),
        ("the last month", "1m"),
        ("over the past 3 months", "3m"),
        ("last quarter", "3m"),
        ("half a year", "6m"),
        ("the past 6 months", "6m"),
        ("12 months", "1y"),
        ("the past year", "1y"),
        ("ttm", "1y"),
        ("3 years", "3y"),
        ("the past 5 years", "5y"),
        ("all time", "max"),
        ("since inception", "max"),
        ("6m", "6m"),
        ("5y", "5y"),
    ],
)
def test_named_periods(text: str, period: str) -> None:
    assert options(text) == {"period": period}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in 2024", {"start": "2023-12-31", "end": "2024-12-31"}),
        ("during 2019", {"start": "2018-12-31", "end": "2019-12-31"}),
        ("last year", {"start": "2023-12-31", "end": "2024-12-31"}),
        ("since 2021", {"start": "2020-12-31"}),
        ("since the end of 2023", {"start": "2023-12-31"}),
        ("this month", {"start": "2025-02-28"}),  # base: the last day of February
        ("past 18 months", {"start": "2023-09-10"}),
        ("past 2 years", {"start": "2023-03-10"}),
        ("from jan 2024 to june 2024", {"start": "2023-12-31", "end": "2024-06-30"}),
        ("between 2020 and 2022", {"start": "2019-12-31", "end": "2022-12-31"}),
        ("from 2024-12-31 to 2025-03-07", {"start": "2024-12-31", "end": "2025-03-07"}),
        ("since march 3 , 2024", {"start": "2024-03-03"}),
        ("since 3rd of march", {"start": "2025-03-03"}),
        ("as of 2025-02-14", {"end": "2025-02-14"}),
        ("as of 13/2/2025", {"end": "2025-02-13"}),  # 13 cannot be a month: one reading
    ],
)
def test_dates_and_ranges(text: str, expected: dict[str, str]) -> None:
    assert options(text) == expected


def test_an_end_on_or_after_today_is_left_to_the_latest_close() -> None:
    assert options("until 2025-03-10") == {}
    assert options("from jan 2025 to march 2025") == {"start": "2024-12-31"}
    assert options("in march") == {"start": "2025-02-28"}


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("since march 3", "2025-03-03"),
        ("since march 10", "2025-03-10"),  # today is not in the future
        ("since march 11", "2024-03-11"),  # this year's 11 March has not come yet
        ("since december 24", "2024-12-24"),
        ("since march 31", "2024-03-31"),
    ],
)
def test_a_date_without_a_year_is_the_latest_such_date_not_in_the_future(
    text: str, start: str
) -> None:
    assert options(text) == {"start": start}


MONTHS = [
    ("january", "jan"),
    ("february", "feb"),
    ("march", "mar"),
    ("april", "apr"),
    ("may", "may"),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "aug"),
    ("september", "sept"),
    ("october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
]


@pytest.mark.parametrize("number", range(1, 13))
def test_month_names_full_and_short(number: int) -> None:
    first = date(2024, number, 1)
    following = date(2025, 1, 1) if number == 12 else date(2024, number + 1, 1)
    expected = {
        "start": (first - timedelta(days=1)).isoformat(),
        "end": (following - timedelta(days=1)).isoformat(),
    }
    for name in MONTHS[number - 1]:
        assert options(f"in {name} 2024") == expected, name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in january", {"start": "2024-12-31", "end": "2025-01-31"}),
        ("in february", {"start": "2025-01-31", "end": "2025-02-28"}),
        ("in april", {"start": "2024-03-31", "end": "2024-04-30"}),  # April 2025 is ahead
        ("in december", {"start": "2024-11-30", "end": "2024-12-31"}),
    ],
)
def test_a_month_without_a_year_is_the_latest_that_has_begun(
    text: str, expected: dict[str, str]
) -> None:
    assert options(text) == expected


def test_a_numeric_date_that_reads_both_ways_gives_two_readings() -> None:
    found = find_period("as of 2/3/2025", TODAY)
    assert found.error is None
    assert found.options == {"end": "2025-02-03"}  # month first
    assert found.other == {"end": "2025-03-02"}  # day first


def test_a_reading_in_the_future_is_no_reading() -> None:
    found = find_period("as of 3/7/2025", TODAY)  # 3 July 2025 has not come
    assert (found.options, found.other) == ({"end": "2025-03-07"}, None)
    found = find_period("as of 7/3/2025", TODAY)  # July 3 has not come: 7 March it is
    assert (found.options, found.other) == ({"end": "2025-03-07"}, None)


def test_the_spans_used_are_reported() -> None:
    text = "how did the titans do in 2024"
    found = find_period(text, TODAY)
    assert [text[s:e] for s, e in found.spans] == ["in 2024"]
    assert find_period("how did the titans do", TODAY).spans == []


def test_a_level_word_before_since_is_not_a_start_date() -> None:
    assert options("is it at its highest since 2021") == {}
    assert options("lowest close since march 3") == {}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("in 2026", "2026 has not begun yet."),
        ("since 2025-04-01", "2025-04-01 is in the future; the latest day is 2025-03-10."),
        ("from 2025-01-02 to 2024-01-01", "2025-01-02 is not before 2024-01-01."),
        ("this year in 2024", "That question names two different periods; ask one at a time."),
        ("past 3 months since 2021", "That question names two different periods"),
        ("since march 32", "'march 32' is not a real calendar date."),
    ],
)
def test_impossible_periods_say_why(text: str, says: str) -> None:
    assert error(text).startswith(says)


@pytest.mark.parametrize("text", ["as of 2025-02-30", "since 2/30/2025", "since 31/31/2025"])
def test_a_numeric_date_that_is_no_calendar_date_says_so(text: str) -> None:
    # As typed commands do ("start: 2025-02-30 is not a real calendar date."), never
    # Python's own words ("day is out of range for month").
    assert error(text).endswith("is not a real calendar date.")
