"""Periods: what ``period:``, ``start:`` and ``end:`` mean, per symbol and its own calendar.

* end close = the last close on or before ``end`` (default: the symbol's latest close);
* base close = the last close on or before ``start``; for ``ytd`` on or before 31 December of
  the year before the end date; for ``1w 1m 3m 6m 1y 3y 5y`` on or before the end date minus
  that calendar span; ``1d``/``5d`` are one/five sessions back; ``max`` is the first close.

Each symbol resolves on its own bars, so a Hong Kong holiday never shifts a New York
symbol's dates and vice versa.
"""

from __future__ import annotations

import bisect
import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from analytics.errors import UserInputError

PERIODS = ("1d", "5d", "1w", "1m", "3m", "6m", "ytd", "1y", "3y", "5y", "max")
_MONTHS = {"1m": 1, "3m": 3, "6m": 6, "1y": 12, "3y": 36, "5y": 60}
_SESSIONS = {"1d": 1, "5d": 5}
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
EARLIEST = date(1970, 1, 1)
#: How far before a base date we read, so "the last close on or before" finds one across
#: long holidays (Lunar New Year, Golden Week) and weekends.
LOOKBACK = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class Period:
    """A validated period: either a named ``period`` or explicit ``start``/``end``."""

    name: str | None = None
    start: date | None = None
    end: date | None = None

    @property
    def label(self) -> str:
        if self.start:
            return f"{self.start.isoformat()} → {self.end.isoformat() if self.end else 'latest'}"
        if self.end:
            return f"{self.name or 'ytd'} to {self.end.isoformat()}"
        return self.name or "ytd"

    @property
    def effective_name(self) -> str | None:
        return None if self.start else (self.name or "ytd")

    @property
    def counts_sessions(self) -> bool:
        """``1d``/``5d``: the base close is found by counting bars back, not by a date."""
        return self.effective_name in _SESSIONS

    def lookups(self, anchor: date) -> list[date]:
        """The days :meth:`resolve` looks a close up on for an end of ``anchor``: the end,
        and the base target of a calendar period (``max`` takes the first close). Not for
        :attr:`counts_sessions` periods, which count bars instead."""
        end = self.end or anchor
        target = self.base_target(end)
        return [end] if target is None else [target, end]

    def base_target(self, anchor: date) -> date | None:
        """The date the base close must be on or before, for calendar periods; None for
        session counts and ``max``."""
        if self.start:
            return self.start
        name = self.effective_name
        if name == "ytd":
            return date(anchor.year - 1, 12, 31)
        if name == "1w":
            return anchor - timedelta(days=7)
        if name in _MONTHS:
            return add_months(anchor, -_MONTHS[name])
        return None

    def window(self, anchor: date) -> tuple[date, date]:
        """The date range to load so this period resolves for an end date of ``anchor``."""
        end = self.end or anchor
        name = self.effective_name
        if name == "max":
            return EARLIEST, end
        if name in _SESSIONS:
            # Five sessions can span a week-long holiday plus weekends.
            return end - timedelta(days=5 * _SESSIONS[name] + 14), end
        target = self.base_target(end)
        assert target is not None
        return target - LOOKBACK, end

    def resolve(self, days: list[date]) -> tuple[int, int] | str:
        """(base index, end index) into a symbol's sorted trading days, or a reason."""
        if not days:
            return "no prices in the range"
        end_limit = self.end or days[-1]
        end_idx = bisect.bisect_right(days, end_limit) - 1
        if end_idx < 0:
            return f"no close on or before {end_limit.isoformat()}"
        name = self.effective_name
        if name == "max":
            return 0, end_idx
        if name in _SESSIONS:
            back = _SESSIONS[name]
            if end_idx - back < 0:
                return f"fewer than {back + 1} sessions of history"
            return end_idx - back, end_idx
        anchor = self.end or days[end_idx]
        target = self.base_target(anchor)
        assert target is not None
        base_idx = bisect.bisect_right(days, target) - 1
        if base_idx < 0:
            return (
                f"no close on or before {target.isoformat()} (history starts {days[0].isoformat()})"
            )
        return base_idx, end_idx


def add_months(day: date, months: int) -> date:
    """Calendar month arithmetic, clamping to the month's last day (31 Mar - 1m = 28/29 Feb)."""
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    if year < 1:
        return date(1, 1, 1)
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def parse_date(text: str, option: str) -> date:
    """Parse a strict ``YYYY-MM-DD`` date or raise a clear :class:`UserInputError`."""
    value = text.strip()
    m = _DATE_RE.match(value)
    if not m:
        shown = "".join(ch if ch.isalnum() or ch in "-/." else "?" for ch in value[:20])
        raise UserInputError(f"{option}: '{shown}' is not a date; use YYYY-MM-DD, e.g. 2025-03-07.")
    try:
        parsed = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise UserInputError(f"{option}: {value} is not a real calendar date.") from None
    if parsed < EARLIEST:
        raise UserInputError(f"{option}: {value} is too early; dates from 1970-01-01 are accepted.")
    return parsed


def parse_period(period: str | None, start: str | None, end: str | None, *, today: date) -> Period:
    """Validate the period options of a command against ``today`` (the latest date begun)."""
    name = period.strip().lower() if period and period.strip() else None
    if name is not None and name not in PERIODS:
        raise UserInputError(
            f"period: '{name[:12]}' is not a period; use one of {', '.join(PERIODS)}."
        )
    start_d = parse_date(start, "start") if start and start.strip() else None
    end_d = parse_date(end, "end") if end and end.strip() else None
    if name and start_d:
        raise UserInputError("Give either period: or start:, not both.")
    for label, d in (("start", start_d), ("end", end_d)):
        if d and d > today:
            raise UserInputError(
                f"{label}: {d.isoformat()} is in the future; the latest is {today.isoformat()}."
            )
    if start_d and end_d and start_d >= end_d:
        raise UserInputError(
            f"start ({start_d.isoformat()}) must be before end ({end_d.isoformat()})."
        )
    return Period(name=name, start=start_d, end=end_d)
