"""Where a symbol's last close sits against its past, over a lookback.

All levels are closes (the same series every other answer uses), on the symbol's own
calendar, as of the last close on or before ``end``:

* peak close over the lookback and its date (the latest day it was reached) and the
  drawdown from it;
* "highest since": the most recent earlier day in the lookback whose close was at least
  the last close; none means the last close is a high of the lookback;
* the change over a week: last close vs the last close on or before seven days earlier;
* 52-week closing high and low: closes after the same date a year earlier, up to the last.

A symbol whose history is shorter than the lookback is answered over what there is and
says so; with fewer than two closes there is nothing to compare and the answer says that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from analytics.data.market import MarketData
from analytics.data.series import ProblemKind, Series
from analytics.errors import NoDataError, UserInputError
from analytics.metrics.loading import load_latest
from analytics.metrics.periods import Period, add_months

WEEK = timedelta(days=7)
#: Read at least this far back so the 52-week range and the week change resolve.
YEAR_AND_MARGIN = timedelta(days=366 + 14)
SHORT_HISTORY_HINT = (
    "Some Yahoo index symbols (e.g. HSTECH.HK) serve only a few days of daily data; "
    "an ETF tracking the index (e.g. KTEC) is a usable stand-in."
)


@dataclass(slots=True)
class LevelsResult:
    symbol: str
    name: str | None
    currency: str
    lookback: str
    lookback_start: date
    as_of: date
    last_close: float
    peak_close: float
    peak_date: date
    highest_since: date | None
    week_base_date: date | None
    week_base_close: float | None
    high_52w: float
    high_52w_date: date
    low_52w: float
    low_52w_date: date
    #: The first close read: the symbol's first close for ``max``, otherwise at most a year
    #: plus the lookback back (later than a year back means the history is that short).
    history_start: date
    #: Closes in the lookback, the last one included.
    sessions: int
    notes: list[str] = field(default_factory=list)
    stale: bool = False
    source: str = ""

    @property
    def drawdown_pct(self) -> float:
        return (self.last_close / self.peak_close - 1.0) * 100.0

    @property
    def week_change_pct(self) -> float | None:
        if self.week_base_close is None:
            return None
        return (self.last_close / self.week_base_close - 1.0) * 100.0

    @property
    def is_lookback_high(self) -> bool:
        return self.highest_since is None

    @property
    def short_history(self) -> bool:
        """Less than a year of closes up to ``as_of``: the 52-week figures cover less."""
        return self.history_start > add_months(self.as_of, -12)

    def to_json(self) -> dict[str, Any]:
        def iso(d: date | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "command": "levels",
            "symbol": self.symbol,
            "name": self.name,
            "currency": self.currency,
            "lookback": self.lookback,
            "lookback_start": iso(self.lookback_start),
            "as_of": iso(self.as_of),
            "last_close": self.last_close,
            "peak_close": self.peak_close,
            "peak_date": iso(self.peak_date),
            "drawdown_pct": self.drawdown_pct,
            "highest_since": iso(self.highest_since),
            "is_lookback_high": self.is_lookback_high,
            "week_change_pct": self.week_change_pct,
            "week_base_date": iso(self.week_base_date),
            "high_52w": self.high_52w,
            "high_52w_date": iso(self.high_52w_date),
            "low_52w": self.low_52w,
            "low_52w_date": iso(self.low_52w_date),
            "history_start": iso(self.history_start),
            "sessions": self.sessions,
            "short_history": self.short_history,
            "notes": list(self.notes),
            "stale": self.stale,
        }


def _load(market: MarketData, symbol: str, period: Period) -> Series:
    """The symbol's bars from far enough back to answer, up to ``end`` (default today).

    A symbol whose data stops well before ``end`` (delisted, or a folder of old files) is
    answered as of its own last close (see :func:`analytics.metrics.loading.load_latest`),
    so the lookback and 52 weeks still resolve.
    """

    def reach(day: date) -> date:
        return min(period.window(day)[0], day - YEAR_AND_MARGIN)

    history = load_latest(market, (symbol,), reach, end=period.end)
    series = history.series.get(symbol)
    if series is not None:
        return series
    problem = history.problems.get(symbol)
    if problem is not None and problem.kind is ProblemKind.UNKNOWN:
        raise UserInputError(
            f"Unknown symbol {symbol}: not found at the data source. Use Yahoo symbols "
            "such as AAPL, 0700.HK or ^HSI."
        )
    hint = f" {SHORT_HISTORY_HINT}" if problem and problem.kind is ProblemKind.NO_HISTORY else ""
    raise NoDataError(f"No levels for {symbol}: {problem.text if problem else 'no data'}.{hint}")


def compute_levels(market: MarketData, symbol: str, period: Period) -> LevelsResult:
    """Levels of ``symbol`` over the lookback ``period`` (``max``: everything there is)."""
    series = _load(market, symbol, period)
    days, bars = series.days, series.bars
    notes: list[str] = []
    span = period.resolve(days)
    if isinstance(span, str):
        end_limit = period.end or days[-1]
        end_i = series.index_on_or_before(end_limit)
        if end_i is None:
            raise NoDataError(f"No levels for {symbol}: {span}.")
        base_i = 0
        notes.append(
            f"History starts {days[0].isoformat()}, later than the {period.label} lookback "
            "needs: the levels cover what there is."
        )
    else:
        base_i, end_i = span
    if end_i - base_i + 1 < 2:
        n = end_i - base_i + 1
        raise NoDataError(
            f"{symbol} has only {n} daily close{'s' if n != 1 else ''} in the lookback "
            f"(up to {days[end_i].isoformat()}): too little history for levels. "
            + SHORT_HISTORY_HINT
        )
    last = bars[end_i]
    window = bars[base_i : end_i + 1]
    peak = max(window, key=lambda b: (b.close, b.day))
    highest_since = next(
        (bars[i].day for i in range(end_i - 1, base_i - 1, -1) if bars[i].close >= last.close),
        None,
    )
    week_i = series.index_on_or_before(last.day - WEEK)
    year_ago = add_months(last.day, -12)
    year = [b for b in bars[: end_i + 1] if b.day > year_ago]
    high = max(year, key=lambda b: (b.close, b.day))
    low = min(year, key=lambda b: (b.close, -b.day.toordinal()))
    history_start = days[0]
    if week_i is None:
        notes.append("No close a week or more before the last one: no week change.")
    result = LevelsResult(
        symbol=symbol,
        name=market.name(symbol),
        currency=series.currency,
        lookback=period.effective_name or period.label,
        lookback_start=days[base_i],
        as_of=last.day,
        last_close=last.close,
        peak_close=peak.close,
        peak_date=peak.day,
        highest_since=highest_since,
        week_base_date=days[week_i] if week_i is not None else None,
        week_base_close=bars[week_i].close if week_i is not None else None,
        high_52w=high.close,
        high_52w_date=high.day,
        low_52w=low.close,
        low_52w_date=low.day,
        history_start=history_start,
        sessions=end_i - base_i + 1,
        notes=notes,
        stale=series.stale,
        source=market.source_label,
    )
    if result.short_history:
        notes.append(
            f"Only {end_i + 1} closes since {history_start.isoformat()}: less than a year of "
            "history, so the 52-week figures cover less than 52 weeks."
        )
    return result
