"""What the market service answers: each symbol's series, or a typed problem saying why not.

A problem is a *kind* (what code decides on) plus the *text* shown to people. Code branches
on the kind only, never on the wording, so the wording can change without changing what the
program does.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from analytics.data.sources.base import Bar


class ProblemKind(Enum):
    """Why a symbol has no series in an answer."""

    #: The source says the symbol does not exist (bad input, not missing data).
    UNKNOWN = "unknown"
    #: The symbol exists but the source serves no usable daily history for it (some Yahoo
    #: index symbols, funds that report only dividends).
    NO_HISTORY = "no_history"
    #: The source failed (outage, rate limit, breaker open) and nothing is cached.
    UNAVAILABLE = "unavailable"
    #: The source answered, without a bar in the range asked: the symbol exists, so a
    #: question about its latest close may look further back.
    NO_PRICES = "no_prices"


@dataclass(frozen=True, slots=True)
class Problem:
    """Why one symbol has no series: ``kind`` for code, ``text`` for people."""

    kind: ProblemKind
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Window:
    """The range of days a *sampled* series stands for, and what holds for all its bars.

    A sampled series (:meth:`MarketData.history` with ``sampled=True``) holds only some
    bars of the range: the first, and the last on or before each day asked about. That is
    all a return needs, and reading every bar of 20 years is what made long returns slow.
    """

    start: date
    end: date
    #: Whether any bar of the range (not only the ones held) has an adjusted close.
    has_adj_close: bool


@dataclass(slots=True)
class Series:
    """Daily closes of one symbol, oldest first, as read from the cache.

    ``window`` is None when ``bars`` are every bar read; otherwise they are a sample of
    ``window`` (see :class:`Window`): the first and last are still the first and last bar
    of the range, and each held bar is the true last one on or before the day asked about.
    """

    symbol: str
    currency: str
    bars: list[Bar]
    stale: bool = False
    stale_reason: str | None = None
    window: Window | None = None
    days: list[date] = field(init=False)

    def __post_init__(self) -> None:
        self.days = [b.day for b in self.bars]

    def index_on_or_before(self, day: date) -> int | None:
        """Index of the last bar on or before ``day``, or None."""
        i = bisect.bisect_right(self.days, day) - 1
        return i if i >= 0 else None

    @property
    def last_day(self) -> date | None:
        return self.days[-1] if self.days else None

    @property
    def has_adj_close(self) -> bool:
        if self.window is not None:
            return self.window.has_adj_close
        return any(b.adj_close is not None for b in self.bars)


@dataclass(slots=True)
class History:
    """What :meth:`MarketData.history` found: usable series and the problems of the rest.

    Every asked symbol is in exactly one of ``series`` and ``problems``.
    """

    series: dict[str, Series]
    problems: dict[str, Problem] = field(default_factory=dict)

    @property
    def stale(self) -> bool:
        return any(s.stale for s in self.series.values())

    def of_kind(self, kind: ProblemKind) -> list[str]:
        """The symbols whose problem is ``kind``, in the order they were asked."""
        return [s for s, p in self.problems.items() if p.kind is kind]

    @property
    def unknown(self) -> list[str]:
        return self.of_kind(ProblemKind.UNKNOWN)

    @property
    def empty(self) -> list[str]:
        """Symbols the source answered for without a bar in the range (none cached either)."""
        return self.of_kind(ProblemKind.NO_PRICES)
