"""Weekly wall-clock schedules: when "Friday 18:00 America/New_York" happens, in UTC.

Pure functions, no I/O, so every daylight-saving corner can be tested with plain dates.
A subscription's time is wall-clock time in its own zone, so the UTC instant moves twice a
year. The two awkward cases:

* a **nonexistent** local time (the clocks jump over it, e.g. 02:30 on the spring-forward
  Sunday in New York) runs at the next minute that exists on that day (03:00);
* an **ambiguous** local time (it happens twice when the clocks fall back) runs once, at
  the first occurrence (``fold=0``).

Either way each local week day yields exactly one instant, and that instant (to the second,
UTC) is the slot's identity in the database, so a slot can never be posted twice.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from analytics.errors import UserInputError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
#: No zone skips more than a day; real gaps are an hour (30 minutes on Lord Howe Island).
_MAX_GAP_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True)
class WeeklyRule:
    """Every ``weekday`` (0 = Monday) at ``hour:minute`` wall-clock time in ``timezone``."""

    weekday: int
    hour: int
    minute: int
    timezone: str

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def time_text(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"

    @property
    def label(self) -> str:
        """``Friday 18:00 America/New_York``."""
        return f"{WEEKDAYS[self.weekday].title()} {self.time_text} {self.timezone}"


# -- parsing user input ------------------------------------------------------------------
def parse_time(text: str, option: str = "time") -> tuple[int, int]:
    """``18:00`` or ``9:30`` (24-hour clock) -> (hour, minute), else a clear error."""
    m = _TIME_RE.match(text.strip())
    if not m:
        shown = "".join(ch if ch.isalnum() or ch in ":." else "?" for ch in text.strip()[:12])
        raise UserInputError(
            f"{option}: '{shown}' is not a time; use HH:MM on a 24-hour clock, e.g. 18:00."
        )
    return int(m[1]), int(m[2])


def parse_weekday(text: str, option: str = "day") -> int:
    name = text.strip().lower()
    for i, day in enumerate(WEEKDAYS):
        if name in (day, day[:3]):
            return i
    raise UserInputError(f"{option}: '{name[:12]}' is not a day; use one of {', '.join(WEEKDAYS)}.")


@cache
def zone_names() -> dict[str, str]:
    """Lower-case name -> the IANA spelling, for case-insensitive input."""
    return {z.lower(): z for z in zoneinfo.available_timezones()}


def parse_timezone(text: str, option: str = "timezone") -> str:
    """An IANA zone name (``America/New_York``; any letter case) in its canonical spelling.

    Only names in the IANA database are accepted: ``ZoneInfo`` alone would also open odd
    keys (``posixrules``), and a typo must be refused now, not at the first run.
    """
    name = zone_names().get(text.strip().lower())
    if name is None:
        shown = "".join(ch if ch.isalnum() or ch in "/_+-" else "?" for ch in text.strip()[:40])
        raise UserInputError(
            f"{option}: '{shown}' is not an IANA time zone; use a name like America/New_York, "
            "Europe/London or Asia/Hong_Kong (autocomplete lists them)."
        )
    return name


def check_time(text: str, option: str) -> None:
    """:class:`commands.spec.Option` check form of :func:`parse_time`."""
    parse_time(text, option)


def check_timezone(text: str, option: str) -> None:
    parse_timezone(text, option)


# -- wall clock -> instants ----------------------------------------------------------------
def exists(local: datetime) -> bool:
    """Whether an aware local time (``fold`` as given) actually appears on the wall clock."""
    assert local.tzinfo is not None
    back = local.astimezone(UTC).astimezone(local.tzinfo)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def is_ambiguous(local: datetime) -> bool:
    """True when the wall-clock time happens twice (the hour repeated at fall-back)."""
    return local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset() and exists(
        local.replace(fold=1)
    )


def wall_clock_instant(day: date, hour: int, minute: int, zone: zoneinfo.ZoneInfo) -> datetime:
    """The one UTC instant at which ``day hour:minute`` is run in ``zone``.

    Nonexistent times move forward to the next minute that exists; ambiguous ones take
    the first occurrence (``fold=0``).
    """
    naive = datetime.combine(day, time(hour, minute))
    for step in range(_MAX_GAP_MINUTES):
        local = (naive + timedelta(minutes=step)).replace(tzinfo=zone, fold=0)
        if exists(local):
            return local.astimezone(UTC)
    raise ValueError(f"no valid local time after {naive} in {zone}")  # pragma: no cover


def slot_on(rule: WeeklyRule, local_day: date) -> datetime:
    """The slot of ``rule`` on a local date (which should be the rule's weekday)."""
    return wall_clock_instant(local_day, rule.hour, rule.minute, rule.zone)


def _slots_around(rule: WeeklyRule, instant: datetime) -> Iterator[datetime]:
    """Slots in local weeks around ``instant``, oldest first (a day-shifting gap included)."""
    local_day = instant.astimezone(rule.zone).date()
    first = local_day - timedelta(days=15)
    for offset in range(31):
        day = first + timedelta(days=offset)
        if day.weekday() == rule.weekday:
            yield slot_on(rule, day)


def next_slot(rule: WeeklyRule, after: datetime) -> datetime:
    """The first slot strictly after ``after`` (an aware datetime), in UTC."""
    return next(s for s in _slots_around(rule, after) if s > after)


def latest_slot(rule: WeeklyRule, at: datetime) -> datetime:
    """The last slot at or before ``at``, in UTC."""
    return [s for s in _slots_around(rule, at) if s <= at][-1]


def local_text(instant: datetime, zone_name: str) -> str:
    """``Fri 2025-03-14 18:00 EDT`` in the zone, for people."""
    local = instant.astimezone(zoneinfo.ZoneInfo(zone_name))
    return local.strftime("%a %Y-%m-%d %H:%M ") + (local.tzname() or zone_name)


def utc_text(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%a %Y-%m-%d %H:%M UTC")


def slot_key(instant: datetime) -> str:
    """A slot's identity in the database: UTC ISO to the second (fixed width, sortable)."""
    return instant.astimezone(UTC).replace(microsecond=0).isoformat()


def shard_of(guild_id: int, shard_count: int) -> int:
    """Discord's rule: which shard carries a server's events."""
    return (guild_id >> 22) % max(1, shard_count)
