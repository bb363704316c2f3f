"""Loading closes up to "the latest close": one rule for every answer that needs it.

Returns, charts and comparisons, valuations, levels, the weekly summary and the basket
commands' symbol check all load through :func:`load_latest`, so they agree on what "the
latest close" of a symbol is and on how hard to look for it:

1. One request for every symbol over the window the answer needs before ``end`` (default
   today), and at least the last :data:`RECENT` days, where a symbol that trades has its
   latest close.
2. A symbol the source answered for without a bar there (it exists; its data stops
   earlier: delisted, suspended, a folder of old files) is looked for further back: the
   last :data:`PROBE_BACK`, then its whole history.
3. A symbol whose latest close is well before ``end`` gets a second load of the window
   relative to its own last close, so its period resolves on its own data.

**A failed probe is final.** When the source fails (or says "unknown", or "no usable
history") while looking further back, the symbol keeps that probe's problem and is not
probed again over a longer range in the same question. Asking a failing source the same
thing for more years only adds load and waiting (and trips the rate-limit breaker sooner)
while the answer shown is the same "no data could be had"; the next question tries again.

Also here, because every answer built on these loads uses them: :class:`Excluded` (a member
left out, with the reason), :func:`summarize_excluded` and :func:`raise_if_unknown`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from analytics.data.market import MarketData
from analytics.data.series import History, ProblemKind
from analytics.errors import UserInputError
from analytics.metrics.periods import EARLIEST, Period
from analytics.metrics.targets import Target

#: How far back to look first for the last close of a symbol with none near ``end``.
PROBE_BACK = timedelta(days=370)
#: The first request always covers this many days before ``end``: a symbol that trades has
#: its latest close in there, found without reading its whole history.
RECENT = timedelta(days=14)


@dataclass(slots=True)
class Excluded:
    """A member left out of an answer, with the reason shown to people."""

    symbol: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"symbol": self.symbol, "reason": self.reason}


def summarize_excluded(excluded: Sequence[Excluded], sep: str = "; ") -> str:
    """One line per distinct reason, its symbols grouped: seven members left out for the
    same missing FX rate read as one line, not seven."""
    by_reason: dict[str, list[str]] = {}
    for e in excluded:
        by_reason.setdefault(e.reason, []).append(e.symbol)
    return sep.join(f"{', '.join(symbols)}: {reason}" for reason, symbols in by_reason.items())


def excluded_by_problems(symbols: Sequence[str], history: History) -> list[Excluded]:
    """The symbols ``history`` has no series for, each with its problem's text."""
    return [Excluded(s, history.problems[s].text) for s in symbols if s in history.problems]


def raise_if_unknown(target: Target, history: History) -> None:
    """A question about symbols that all do not exist is bad input, not missing data."""
    unknown = [s for s in target.symbols if s in history.unknown]
    if not unknown or len(unknown) < len(target.symbols):
        return
    if target.kind == "symbols" and len(target.symbols) == 1:
        raise UserInputError(
            f"Unknown symbol {target.symbols[0]}: not found at the data source as a symbol or a "
            "company name, and no basket here has that name. /quote symbol: accepts names and "
            "tickers (tencent, 0700.HK, ^HSI); baskets: mag7, china-titans or /basket list."
        )
    raise UserInputError(f"Unknown symbols: {', '.join(unknown)}.")


def load_latest(
    market: MarketData,
    symbols: Sequence[str],
    reach: Callable[[date], date],
    *,
    end: date | None = None,
    look_back: bool = True,
    sampled: bool = False,
) -> History:
    """Each symbol's bars from ``reach(last)`` to ``end``, where ``last`` is its latest close
    on or before ``end`` (default today); see the module docstring for the steps.

    ``reach(day)`` is the first date an answer anchored at ``day`` needs (a period's base
    close, a year for the 52-week range; ``day`` itself when only the last close matters).
    ``look_back=False`` skips step 2, for callers to whom "no bar near ``end``" is already
    the answer (an explicit end date pins the question; a symbol check only needs to know
    that the source knows the symbol). ``sampled=True`` reads sampled series (see
    :meth:`MarketData.history`): the same windows and problems, without the bars between.
    """
    symbols = tuple(dict.fromkeys(symbols))
    anchor = end or market.today()
    start = min(reach(anchor), anchor - RECENT)
    history = market.history(symbols, start, anchor, sampled=sampled)
    loaded_from = dict.fromkeys(history.series, start)
    pending = history.empty if look_back else []
    for lo in (anchor - PROBE_BACK, EARLIEST):
        if not pending or lo >= start:
            continue
        probe = market.history(tuple(pending), lo, anchor, sampled=sampled)
        for symbol in pending:
            if symbol in probe.series:
                history.series[symbol] = probe.series[symbol]
                history.problems.pop(symbol, None)
                loaded_from[symbol] = lo
            else:
                history.problems[symbol] = probe.problems[symbol]
        # Only "answered, no bar in the range" is worth a longer look (a failed probe is final).
        pending = probe.empty
    late: dict[date, list[str]] = {}
    for symbol, series in history.series.items():
        last = series.last_day
        if last is not None and reach(last) < loaded_from[symbol]:
            late.setdefault(reach(last), []).append(symbol)
    for lo, group in late.items():
        extra = market.history(tuple(group), lo, anchor, sampled=sampled)
        history.series.update(extra.series)
    return history


def load_period(
    market: MarketData, symbols: Sequence[str], period: Period, *, sampled: bool = False
) -> History:
    """Enough bars for ``period`` to resolve on every symbol's own calendar.

    Without an explicit ``end``, "end" is each symbol's latest close; with one, the
    question is pinned to that date and a member with no close near it is left out (by
    :func:`analytics.metrics.returns.member_paths`), so looking further back would only
    cost requests.
    """
    return load_latest(
        market,
        symbols,
        lambda day: period.window(day)[0],
        end=period.end,
        look_back=period.end is None,
        sampled=sampled,
    )


def load_question(
    market: MarketData, symbols: Sequence[str], period: Period, *, sampled: bool = False
) -> tuple[Period, History]:
    """Load a question's bars once and give a period without ``end`` one end for the whole
    question: the latest close of any of its symbols.

    Why one end: "end defaults to the latest close" must mean one date for a basket (and
    for both sides of a comparison). Otherwise, on the first Hong Kong session of a year, a
    US member's "ytd" would still be last year and the average would mix two periods.
    Members whose data stops well before that date are then excluded (see
    :func:`analytics.metrics.returns.member_paths`), not averaged in with old prices. The
    bars loaded relative to each symbol's own last close already cover the pinned period (a
    later end only moves base dates later), so nothing is fetched twice.
    """
    history = load_period(market, symbols, period, sampled=sampled)
    if period.end is None:
        last = max((s.last_day for s in history.series.values() if s.last_day), default=None)
        if last is not None:
            period = replace(period, end=last)
    return period, history


def latest_closes(market: MarketData, symbols: Sequence[str]) -> History:
    """Each symbol's bars ending at its latest close on or before today (at least that one)."""
    return load_latest(market, symbols, lambda day: day)


def recent_closes(market: MarketData, symbols: Sequence[str]) -> History:
    """The last :data:`RECENT` days of each symbol: enough to learn whether the source knows
    it (an answer without a bar still says the symbol exists), never looking further."""
    return load_latest(market, symbols, lambda day: day, look_back=False)


def source_failed(history: History) -> bool:
    """Whether the source failed for any symbol (stale series, or nothing could be had)."""
    return history.stale or bool(history.of_kind(ProblemKind.UNAVAILABLE))
