"""Weekly wall-clock slots across daylight-saving changes (New York, London, Berlin).

Expected instants are worked out by hand from the published transition dates:
US 2025-03-09 02:00 EST -> 03:00 EDT and 2025-11-02 02:00 EDT -> 01:00 EST;
EU 2025-03-30 01:00 UTC (London 01:00 GMT -> 02:00 BST, Berlin 02:00 CET -> 03:00 CEST)
and 2025-10-26 01:00 UTC (London 02:00 BST -> 01:00 GMT, Berlin 03:00 CEST -> 02:00 CET).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.errors import UserInputError
from analytics.server.schedule import (
    WeeklyRule,
    exists,
    is_ambiguous,
    latest_slot,
    local_text,
    next_slot,
    parse_time,
    parse_timezone,
    parse_weekday,
    shard_of,
    slot_key,
)

FRI, SUN = 4, 6


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def slots(rule: WeeklyRule, after: datetime, n: int) -> list[datetime]:
    out, cursor = [], after
    for _ in range(n):
        cursor = next_slot(rule, cursor)
        out.append(cursor)
    return out


def test_new_york_friday_evening_follows_the_wall_clock_across_both_changes() -> None:
    rule = WeeklyRule(FRI, 18, 0, "America/New_York")
    assert slots(rule, utc(2025, 3, 1), 2) == [utc(2025, 3, 7, 23), utc(2025, 3, 14, 22)]
    assert slots(rule, utc(2025, 10, 25), 2) == [utc(2025, 10, 31, 22), utc(2025, 11, 7, 23)]


def test_london_friday_evening_moves_an_hour_in_utc() -> None:
    rule = WeeklyRule(FRI, 18, 0, "Europe/London")
    assert slots(rule, utc(2025, 3, 22), 2) == [utc(2025, 3, 28, 18), utc(2025, 4, 4, 17)]


def test_nonexistent_new_york_time_runs_at_the_next_valid_minute() -> None:
    rule = WeeklyRule(SUN, 2, 30, "America/New_York")
    # 02:30 EST = 07:30 UTC; on the 9th 02:30 does not exist: 03:00 EDT = 07:00 UTC.
    assert slots(rule, utc(2025, 3, 1), 3) == [
        utc(2025, 3, 2, 7, 30),
        utc(2025, 3, 9, 7, 0),
        utc(2025, 3, 16, 6, 30),
    ]
    assert local_text(utc(2025, 3, 9, 7), "America/New_York") == "Sun 2025-03-09 03:00 EDT"


def test_ambiguous_new_york_time_runs_once_at_the_first_occurrence() -> None:
    rule = WeeklyRule(SUN, 1, 30, "America/New_York")
    got = slots(rule, utc(2025, 10, 30), 2)
    # 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST): only the first runs.
    assert got == [utc(2025, 11, 2, 5, 30), utc(2025, 11, 9, 6, 30)]
    local = datetime(2025, 11, 2, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    assert is_ambiguous(local)
    # Asking from between the two occurrences must not produce the second one.
    assert next_slot(rule, utc(2025, 11, 2, 6, 0)) == utc(2025, 11, 9, 6, 30)


@pytest.mark.parametrize(
    ("zone", "hour", "minute", "spring", "autumn"),
    [
        # London 01:30 on 30 March does not exist -> 02:00 BST = 01:00 UTC;
        # 01:30 on 26 October happens twice -> the BST one, 00:30 UTC.
        ("Europe/London", 1, 30, utc(2025, 3, 30, 1, 0), utc(2025, 10, 26, 0, 30)),
        # Berlin 02:30 likewise: 03:00 CEST = 01:00 UTC; the CEST 02:30 = 00:30 UTC.
        ("Europe/Berlin", 2, 30, utc(2025, 3, 30, 1, 0), utc(2025, 10, 26, 0, 30)),
    ],
)
def test_european_gaps_and_folds(zone, hour, minute, spring, autumn) -> None:
    rule = WeeklyRule(SUN, hour, minute, zone)
    assert next_slot(rule, utc(2025, 3, 29)) == spring
    assert next_slot(rule, utc(2025, 10, 25)) == autumn
    # The week after each change is back on the requested wall-clock time.
    for after in (spring, autumn):
        later = next_slot(rule, after)
        local = later.astimezone(ZoneInfo(zone))
        assert later - after >= timedelta(days=6, hours=23)
        assert (local.hour, local.minute, local.weekday()) == (hour, minute, SUN)


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/London", "Europe/Berlin"])
@pytest.mark.parametrize(("hour", "minute"), [(0, 0), (1, 30), (2, 30), (18, 0), (23, 59)])
def test_two_years_of_slots_are_one_per_local_week(zone: str, hour: int, minute: int) -> None:
    rule = WeeklyRule(SUN, hour, minute, zone)
    got = slots(rule, utc(2024, 1, 1), 105)
    tz = ZoneInfo(zone)
    local_days = [s.astimezone(tz).date() for s in got]
    assert all(d.weekday() == SUN for d in local_days)
    assert all(b - a == timedelta(days=7) for a, b in zip(local_days, local_days[1:], strict=False))
    for s in got:
        local = s.astimezone(tz)
        wanted = datetime.combine(local.date(), time(hour, minute)).replace(tzinfo=tz)
        if exists(wanted):  # the wall-clock time itself (its first occurrence if repeated)
            assert s == wanted.astimezone(UTC)
        else:  # in a gap: the first minute after it that exists
            shifted = local.replace(tzinfo=None) - wanted.replace(tzinfo=None)
            assert timedelta(0) < shifted <= timedelta(hours=1)
            assert not exists(
                (local - timedelta(minutes=1)).replace(tzinfo=None).replace(tzinfo=tz)
            )


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
    st.sampled_from(["America/New_York", "Europe/London", "Europe/Berlin", "Asia/Hong_Kong"]),
    st.integers(0, 6),
    st.integers(0, 23),
    st.integers(0, 59),
)
def test_latest_and_next_bracket_any_instant(at, zone, weekday, hour, minute) -> None:
    rule = WeeklyRule(weekday, hour, minute, zone)
    moment = at.replace(tzinfo=UTC)
    last, upcoming = latest_slot(rule, moment), next_slot(rule, moment)
    assert last <= moment < upcoming
    assert next_slot(rule, last) == upcoming
    assert timedelta(days=6) < upcoming - last < timedelta(days=8)


def test_parsing_and_validation() -> None:
    assert parse_time("18:00") == (18, 0)
    assert parse_time(" 9:05 ") == (9, 5)
    for bad in ("24:00", "18:60", "6pm", "18", "", "18:00:00"):
        with pytest.raises(UserInputError, match="HH:MM"):
            parse_time(bad)
    assert parse_timezone("america/new_york") == "America/New_York"
    assert parse_timezone("Europe/Berlin") == "Europe/Berlin"
    for bad in ("Mars/Olympus", "../etc/passwd", "posixrules", "EST-5"):
        with pytest.raises(UserInputError, match="IANA"):
            parse_timezone(bad)
    assert parse_weekday("Fri") == FRI
    with pytest.raises(UserInputError):
        parse_weekday("someday")


def test_slot_keys_and_shards() -> None:
    assert slot_key(datetime(2025, 3, 7, 18, tzinfo=ZoneInfo("America/New_York"))) == (
        "2025-03-07T23:00:00+00:00"
    )
    guild = 1300000000000000010
    assert shard_of(guild, 4) == (guild >> 22) % 4
    assert shard_of(guild, 1) == 0
