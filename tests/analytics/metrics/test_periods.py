"""Periods on small hand-made calendars whose answers are known by hand."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.errors import UserInputError
from analytics.metrics.periods import EARLIEST, LOOKBACK, PERIODS, Period, add_months, parse_period

D = date.fromisoformat
TODAY = D("2026-11-24")

# New York, turn of 2022/23: 2022-12-31 is a Saturday, 2023-01-02 a holiday (New Year
# observed), so the last close of 2022 is Friday 30 December and 2023 starts on Tuesday 3rd.
NY = [
    D(x)
    for x in (
        "2022-12-27", "2022-12-28", "2022-12-29", "2022-12-30",
        "2023-01-03", "2023-01-04", "2023-01-05", "2023-01-06",
        "2023-01-09", "2023-01-10", "2023-01-11", "2023-01-12", "2023-01-13",
    )
]  # fmt: skip


def span(period: Period, days: list[date]) -> tuple[date, date]:
    resolved = period.resolve(days)
    assert not isinstance(resolved, str), resolved
    base, end = resolved
    return days[base], days[end]


def test_ytd_base_is_the_last_close_before_new_year_across_a_weekend() -> None:
    assert span(Period(name="ytd"), NY) == (D("2022-12-30"), D("2023-01-13"))
    # ytd is the default when nothing is given
    assert span(Period(), NY) == (D("2022-12-30"), D("2023-01-13"))


def test_ytd_with_an_end_date_on_a_weekend_ends_on_the_friday() -> None:
    assert span(Period(name="ytd", end=D("2023-01-08")), NY) == (D("2022-12-30"), D("2023-01-06"))


def test_one_week_is_seven_calendar_days() -> None:
    assert span(Period(name="1w"), NY) == (D("2023-01-06"), D("2023-01-13"))
    # end on Tuesday 10th: 7 days back is Tuesday 3rd
    assert span(Period(name="1w", end=D("2023-01-10")), NY) == (D("2023-01-03"), D("2023-01-10"))
    # end Monday 9th: 2 January (holiday) -> the close on or before is 30 December
    assert span(Period(name="1w", end=D("2023-01-09")), NY) == (D("2022-12-30"), D("2023-01-09"))


def test_sessions_back_count_trading_days_not_calendar_days() -> None:
    # 1d from Tuesday 3 January is the previous session, Friday 30 December
    assert span(Period(name="1d", end=D("2023-01-03")), NY) == (D("2022-12-30"), D("2023-01-03"))
    # 5d from Tuesday 10th: 9, 6, 5, 4, 3 -> base is the 5th session back, the 3rd
    assert span(Period(name="5d", end=D("2023-01-10")), NY) == (D("2023-01-03"), D("2023-01-10"))
    assert span(Period(name="5d"), NY) == (D("2023-01-06"), D("2023-01-13"))


def test_too_few_sessions_is_a_reason_not_an_answer() -> None:
    assert Period(name="5d").resolve(NY[:5]) == "fewer than 6 sessions of history"
    assert Period(name="1d").resolve(NY[:1]) == "fewer than 2 sessions of history"


def test_max_is_the_first_close() -> None:
    assert span(Period(name="max"), NY) == (D("2022-12-27"), D("2023-01-13"))


def test_explicit_dates_use_the_last_close_on_or_before_each() -> None:
    # start on the holiday -> Friday 30th; end on Sunday 8th -> Friday 6th
    period = Period(start=D("2023-01-02"), end=D("2023-01-08"))
    assert span(period, NY) == (D("2022-12-30"), D("2023-01-06"))
    # start on a trading day is that day; no end -> the latest close
    assert span(Period(start=D("2023-01-04")), NY) == (D("2023-01-04"), D("2023-01-13"))


def test_start_before_history_is_a_reason() -> None:
    reason = Period(start=D("2022-12-01")).resolve(NY)
    assert reason == "no close on or before 2022-12-01 (history starts 2022-12-27)"
    assert Period(name="1m").resolve([]) == "no prices in the range"
    assert Period(name="1m", end=D("2022-01-01")).resolve(NY) == "no close on or before 2022-01-01"


def test_month_spans_clamp_to_the_last_day_of_the_month() -> None:
    assert add_months(D("2023-03-31"), -1) == D("2023-02-28")
    assert add_months(D("2024-03-31"), -1) == D("2024-02-29")
    assert add_months(D("2024-02-29"), -12) == D("2023-02-28")
    assert add_months(D("2024-02-29"), -60) == D("2019-02-28")
    assert add_months(D("2025-01-15"), -3) == D("2024-10-15")
    assert add_months(D("2025-08-31"), -6) == D("2025-02-28")


def test_calendar_periods_base_targets() -> None:
    end = D("2025-03-07")
    assert Period(name="1m").base_target(end) == D("2025-02-07")
    assert Period(name="3m").base_target(end) == D("2024-12-07")
    assert Period(name="6m").base_target(end) == D("2024-09-07")
    assert Period(name="1y").base_target(end) == D("2024-03-07")
    assert Period(name="3y").base_target(end) == D("2022-03-07")
    assert Period(name="5y").base_target(end) == D("2020-03-07")
    assert Period(name="ytd").base_target(end) == D("2024-12-31")
    assert Period(name="1w").base_target(end) == D("2025-02-28")
    assert Period(name="1d").base_target(end) is None
    assert Period(name="max").base_target(end) is None


def test_windows_load_enough_to_find_the_base_close() -> None:
    end = D("2025-03-07")
    assert Period(name="ytd").window(end) == (D("2024-12-31") - LOOKBACK, end)
    assert Period(name="max").window(end) == (EARLIEST, end)
    assert Period(start=D("2025-01-02"), end=end).window(TODAY) == (D("2025-01-02") - LOOKBACK, end)
    lo, hi = Period(name="5d").window(end)
    assert hi == end and (end - lo).days >= 5 + 14  # five sessions plus a long holiday


def test_hong_kong_and_new_york_resolve_on_their_own_calendars() -> None:
    # Lunar New Year 2025: Hong Kong closed 29-31 January; New York open.
    hk = [D(x) for x in ("2025-01-27", "2025-01-28", "2025-02-03", "2025-02-04")]
    ny = [D(x) for x in ("2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-03")]
    period = Period(start=D("2025-01-30"), end=D("2025-02-03"))
    assert span(period, hk) == (D("2025-01-28"), D("2025-02-03"))
    assert span(period, ny) == (D("2025-01-30"), D("2025-02-03"))


# -- parse_period: bad input -----------------------------------------------------------------


def test_parse_period_accepts_the_documented_periods() -> None:
    assert PERIODS == ("1d", "5d", "1w", "1m", "3m", "6m", "ytd", "1y", "3y", "5y", "max")
    for name in PERIODS:
        assert parse_period(name.upper(), None, None, today=TODAY) == Period(name=name)
    assert parse_period(None, "2024-02-29", "2025-03-07", today=TODAY) == Period(
        start=D("2024-02-29"), end=D("2025-03-07")
    )
    assert parse_period("ytd", None, "2025-03-07", today=TODAY) == Period(
        "ytd", None, D("2025-03-07")
    )
    assert parse_period(None, None, TODAY.isoformat(), today=TODAY).end == TODAY


@pytest.mark.parametrize(
    ("period", "start", "end", "message"),
    [
        ("ytd", "2025-01-02", None, "Give either period: or start:, not both."),
        ("2w", None, None, "period: '2w' is not a period"),
        (None, "2025-3-7", None, "start: '2025-3-7' is not a date; use YYYY-MM-DD"),
        (None, "07/03/2025", None, "start: '07/03/2025' is not a date"),
        (None, "yesterday", None, "start: 'yesterday' is not a date"),
        (None, None, "2025-02-30", "end: 2025-02-30 is not a real calendar date."),
        (None, "2025-13-01", None, "start: 2025-13-01 is not a real calendar date."),
        (None, "1969-12-31", None, "start: 1969-12-31 is too early"),
        (None, "2025-03-07", "2024-12-31", "start (2025-03-07) must be before end (2024-12-31)."),
        (None, "2025-03-07", "2025-03-07", "start (2025-03-07) must be before end"),
        (None, None, "2026-11-25", "end: 2026-11-25 is in the future; the latest is 2026-11-24."),
        (None, "2027-01-01", None, "start: 2027-01-01 is in the future"),
    ],
)
def test_parse_period_refuses_bad_input_with_one_clear_line(
    period: str | None, start: str | None, end: str | None, message: str
) -> None:
    with pytest.raises(UserInputError) as info:
        parse_period(period, start, end, today=TODAY)
    text = str(info.value)
    assert message in text
    assert "\n" not in text
