"""Periods said in words: "this year", "over the past 3 months", "in 2024", "since March 3".

The result is the period options a careful user would type (``period:``, ``start:``,
``end:``). A year or a month runs from the last day of the one before (the base close is the
last close on or before it), so "in 2024" is ``start:2023-12-31 end:2024-12-31``.

Spans are found with regular expressions on the normalised text; a written date inside a span
("March 3, 2025", "3rd of march", "mar 3") is read by ``dateparser`` (offline, about a
millisecond), which also knows that a date without a year is the latest such date not in the
future. Numeric dates like 3/7/2025 that read both ways are reported as two readings.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import dateparser

from analytics.metrics.periods import add_months

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_ORD = r"(?:st|nd|rd|th)?"
#: A written date: ISO, numeric, or with a month name (day first or month first).
_DATE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}"
    rf"|(?:the )?\d{{1,2}}{_ORD} (?:of )?{_MONTH}(?: ,)?(?: \d{{4}})?"
    rf"|{_MONTH} (?:the )?\d{{1,2}}{_ORD}(?: ,)?(?: \d{{4}})?)"
)
_MONTH_YEAR = rf"(?:{_MONTH}(?: ,)?(?: \d{{4}})?)"
_YEAR = r"(?:19[7-9]\d|20\d\d)"
#: Anything that can start or end a range.
_POINT = rf"(?:{_DATE}|{_MONTH_YEAR}|{_YEAR})"

_MONTH_NUMBERS = {
    name: i
    for i, names in enumerate(
        [(), ("jan",), ("feb",), ("mar",), ("apr",), ("may",), ("jun",), ("jul",), ("aug",)]
        + [("sep",), ("oct",), ("nov",), ("dec",)]
    )
    for name in names
}
_NAMED: dict[str, str] = {"1": "1m", "3": "3m", "6": "6m", "12": "1y"}
_YEARS: dict[str, str] = {"1": "1y", "3": "3y", "5": "5y"}
_WORD_N = r"(?:a|an|the|1|2|3|4|5|6|7|8|9|10|11|12|18|24|36|60)"


@dataclass(slots=True)
class PeriodFound:
    """The period options said, the text spans used, and any problem or second reading."""

    options: dict[str, str] = field(default_factory=dict)
    spans: list[tuple[int, int]] = field(default_factory=list)
    error: str | None = None
    #: For a numeric date that reads both ways: the options under the other reading.
    other: dict[str, str] | None = None


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _month_number(word: str) -> int:
    return _MONTH_NUMBERS[word[:3]]


class _Reader:
    def __init__(self, today: date) -> None:
        self.today = today
        self.alternative: date | None = None

    def day(self, text: str) -> date:
        """A written date; raises ValueError with a line to show when it is not one."""
        text = text.replace(" ,", ",").strip()
        try:
            if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
                y, m, d = (int(x) for x in text.split("-"))
                return date(y, m, d)
            numeric = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2,4})", text)
            if numeric:
                a, b, y = (int(x) for x in numeric.groups())
                y += 2000 if y < 100 else 0
                if a <= 12 and b <= 12 and a != b:
                    # 3/7/2025: March 7 (month first) or 3 July (day first); keep both.
                    self.alternative = date(y, b, a)
                    return date(y, a, b)
                return date(y, a, b) if a <= 12 else date(y, b, a)
        except ValueError:
            # date() would say "day is out of range for month": say what typed commands say.
            raise ValueError(f"'{text}' is not a real calendar date.") from None
        settings = {
            "PREFER_DATES_FROM": "past",
            "RELATIVE_BASE": datetime(self.today.year, self.today.month, self.today.day),
            "REQUIRE_PARTS": ["day", "month"],
            "PARSERS": ["absolute-time"],
        }
        parsed = dateparser.parse(text, languages=["en"], settings=settings)
        if parsed is None:
            raise ValueError(f"'{text}' is not a real calendar date.")
        return parsed.date()

    def start_of(self, text: str) -> date:
        """The base date for a point said as a start: a year or month runs from the end
        of the one before."""
        if re.fullmatch(_YEAR, text):
            return date(int(text) - 1, 12, 31)
        if re.fullmatch(_MONTH_YEAR, text):
            year, month = self._month_year(text)
            return _last_day(*divmod_month(year, month - 1))
        return self.day(text)

    def end_of(self, text: str) -> date:
        if re.fullmatch(_YEAR, text):
            return date(int(text), 12, 31)
        if re.fullmatch(_MONTH_YEAR, text):
            return _last_day(*self._month_year(text))
        return self.day(text)

    def _month_year(self, text: str) -> tuple[int, int]:
        words = text.replace(",", " ").split()
        month = _month_number(words[0])
        if len(words) > 1:
            return int(words[-1]), month
        # No year: the latest such month that has begun.
        year = self.today.year if month <= self.today.month else self.today.year - 1
        return year, month


def divmod_month(year: int, month: int) -> tuple[int, int]:
    """(year, month) with month 0 meaning December of the year before."""
    return (year - 1, 12) if month < 1 else (year, month)


_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), kind)
    for p, kind in [
        (
            rf"\b(?:from|between) (?P<a>{_POINT}) (?:to|until|through|and|-) (?P<b>{_POINT})\b",
            "range",
        ),
        (
            rf"\b(?:since|from|after|starting) (?:the (?P<edge>start|beginning|end) of )?(?P<a>{_POINT})\b",
            "since",
        ),
        (
            rf"\b(?:in|during|for|over|throughout) (?P<a>{_MONTH} \d{{4}}|{_MONTH})\b(?! \d)",
            "month",
        ),
        (
            rf"\b(?:in|during|for|over|throughout|of|calendar) (?:the year )?(?P<a>{_YEAR})\b(?!-)",
            "year",
        ),
        (rf"\b(?:on|as of|up to|until|through|at|to|ending|by) (?P<a>{_DATE})\b", "end"),
        (
            r"\b(?:this year|year to date|year-to-date|ytd|so far this year|(?:since|from) the (?:start|beginning) of (?:the|this) year|since new year)\b",
            "ytd",
        ),
        (
            r"\b(?:since|from) (?:the )?(?:start|beginning) of (?:the |this )?month\b|\bthis month\b|\bmonth to date\b|\bmtd\b",
            "mtd",
        ),
        (
            r"\b(?:today|on the day|past day|last day|1 day|24 hours|latest session|overnight)\b",
            "1d",
        ),
        (r"\b(?:5|five) (?:trading )?(?:days|sessions)\b", "5d"),
        (
            r"\b(?:this week|(?:past|last|previous|the) (?:1 )?week|a week|1 week|7 days|week so far)\b",
            "1w",
        ),
        (r"\b(?:last|past|previous|trailing) quarter\b|\ba quarter\b", "3m"),
        (r"\b(?:(?:the )?(?:past|last|previous) )?(?:half a year|half year|half-year)\b", "6m"),
        (r"(?<![\w./^=-])(?P<p>1d|5d|1w|1m|3m|6m|1y|3y|5y)(?![\w./-])", "named"),
        (
            r"\b(?:all time|all-time|ever|since inception|since listing|since ipo|since it listed|max|maximum|all history|full history|whole history)\b(?! high| low| record)",
            "max",
        ),
        (
            r"\b(?:(?:in|over|during|for|within) (?:the )?(?:last|past|previous|trailing)|(?:the )?(?:past|trailing)|over the) year\b|\b(?:a|1) year\b|\bttm\b|\btrailing 12 months\b",
            "1y",
        ),
        (r"\blast year\b|\bprevious year\b|\bprior year\b", "lastyear"),
        (
            rf"\b(?:last|past|previous|trailing|over|in|the)? ?(?:the )?(?:last |past |previous )?(?P<n>{_WORD_N}) months?\b",
            "months",
        ),
        (
            rf"\b(?:last|past|previous|trailing|over|in|the)? ?(?:the )?(?:last |past |previous )?(?P<n>{_WORD_N}) years?\b",
            "years",
        ),
        (r"\b(?:last|past|previous|this|the) month\b", "1m"),
        (rf"(?<![\w./^=-])(?P<a>{_YEAR})(?![\w./-])", "year"),
    ]
]


_LEVEL_WORD = re.compile(r"\b(?:highest|lowest|high|low|level|close|peak|best|worst|top)\s*$")


def find_period(text: str, today: date) -> PeriodFound:
    """The period options in normalised ``text`` (tokens joined by single spaces)."""
    found = PeriodFound()
    reader = _Reader(today)
    taken: list[tuple[int, int]] = []
    for pattern, kind in _RULES:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            try:
                options = _options(kind, m, reader, today)
            except ValueError as exc:
                found.error = str(exc)
                return found
            if kind == "since" and _LEVEL_WORD.search(text[: m.start()]):
                # "highest since 2021" is what /levels reports, not a start date.
                options = {}
            if options is None:
                continue
            taken.append((m.start(), m.end()))
            for key, value in options.items():
                if key in found.options and found.options[key] != value:
                    found.error = "That question names two different periods; ask one at a time."
                    return found
            found.options.update(options)
    found.spans = taken
    if "period" in found.options and ("start" in found.options):
        found.error = "That question names two different periods; ask one at a time."
    if reader.alternative is not None and not found.error:
        found.other = _reread(found.options, reader)
    _clip_future(found, today)
    return found


def _reread(options: dict[str, str], reader: _Reader) -> dict[str, str]:
    """The same options with the numeric date read the other way round."""
    other = dict(options)
    alt = reader.alternative
    assert alt is not None
    for key in ("start", "end"):
        if key in other:
            first = date.fromisoformat(other[key])
            if (first.day, first.month) == (alt.month, alt.day):
                other[key] = alt.isoformat()
    return other


def _clip_future(found: PeriodFound, today: date) -> None:
    if found.other is not None:
        # Of a date that reads both ways, a reading in the future is no reading.
        future = [
            max(o.get("start", ""), o.get("end", "")) > today.isoformat()
            for o in (found.options, found.other)
        ]
        if future[0] and not future[1]:
            found.options, found.other = found.other, None
        elif future[1]:
            found.other = None
    for opts in (found.options, found.other):
        if not opts or found.error:
            continue
        start = opts.get("start")
        if start and start > today.isoformat():
            found.error = f"{start} is in the future; the latest day is {today.isoformat()}."
        end = opts.get("end")
        if end and end >= today.isoformat():
            # A period that runs to today or beyond ends at the latest close.
            del opts["end"]


def _options(kind: str, m: re.Match[str], reader: _Reader, today: date) -> dict[str, str] | None:
    if kind == "range":
        start, end = reader.start_of(m["a"]), reader.end_of(m["b"])
        if start >= end:
            raise ValueError(f"{start.isoformat()} is not before {end.isoformat()}.")
        return {"start": start.isoformat(), "end": end.isoformat()}
    if kind == "month":
        start, end = reader.start_of(m["a"]), reader.end_of(m["a"])
        return {"start": start.isoformat(), "end": end.isoformat()}
    if kind == "named":
        return {"period": m["p"]}
    if kind == "year":
        year = int(m["a"])
        if year == today.year:
            return {"period": "ytd"}
        if year > today.year:
            raise ValueError(f"{year} has not begun yet.")
        return {"start": f"{year - 1}-12-31", "end": f"{year}-12-31"}
    if kind == "since":
        edge = m["edge"]
        point = reader.end_of(m["a"]) if edge == "end" else reader.start_of(m["a"])
        return {"start": point.isoformat()}
    if kind == "end":
        return {"end": reader.day(m["a"]).isoformat()}
    if kind == "mtd":
        return {"start": _last_day(*divmod_month(today.year, today.month - 1)).isoformat()}
    if kind == "lastyear":
        return {"start": f"{today.year - 2}-12-31", "end": f"{today.year - 1}-12-31"}
    if kind in ("months", "years"):
        n = m["n"]
        n = "1" if n in ("a", "an", "the") else n
        if kind == "months" and n in _NAMED:
            return {"period": _NAMED[n]}
        if kind == "years" and n in _YEARS:
            return {"period": _YEARS[n]}
        months = int(n) * (12 if kind == "years" else 1)
        return {"start": add_months(today, -months).isoformat()}
    return {"period": kind}
