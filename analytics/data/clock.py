"""The cache's calendar rules: which days can exist yet, and how long markets may close.

Separate from :mod:`analytics.data.market` so that module stays about fetching and reading;
everything here is re-exported there, where callers have always imported it from.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

ONE_DAY = timedelta(days=1)
#: Weekends plus the longest exchange holidays (Golden Week, Lunar New Year) stay under
#: this: an answer without a single bar over a longer range is not trusted (see _store).
LONGEST_CLOSURE = timedelta(days=10)
#: The earliest time zone is UTC+14: "today" anywhere on Earth is at most this date.
_EARLIEST_ZONE = timedelta(hours=14)


def utc_now() -> datetime:
    return datetime.now(UTC)


def latest_possible_day(now: datetime) -> date:
    """The latest calendar date that has begun anywhere (so may carry a bar)."""
    return (now + _EARLIEST_ZONE).date()
