"""Returns of stocks and equal-weighted baskets over a period.

Return = end close / base close - 1, per member on its own calendar; the basket's return
is the mean of member returns (equal amounts bought at each member's base close and held).
``basis="total"`` uses the adjusted close where the data has one; ``currency="usd"``
converts each side at its own date's FX rate. Members that cannot be priced are excluded
with the reason, never filled in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np

from analytics.data.closes import Closes
from analytics.data.fx import FxTable, load_fx
from analytics.data.market import LONGEST_CLOSURE, MarketData
from analytics.data.series import History, Series
from analytics.errors import NoDataError, UserInputError
from analytics.metrics.loading import (
    Excluded,
    excluded_by_problems,
    load_question,
    raise_if_unknown,
    summarize_excluded,
)
from analytics.metrics.periods import Period
from analytics.metrics.targets import Target

Basis = Literal["price", "total"]
CURRENCIES = ("local", "usd")
BASES = ("price", "total")


@dataclass(slots=True)
class MemberPath:
    """One member's prices from its base close to its end close, in the reporting currency.

    ``values[i]`` is the close of ``days[i]`` (converted when asked); the first is the base
    close and the last the end close, so ``values[-1] / values[0] - 1`` is the return.
    """

    symbol: str
    local_currency: str
    currency: str
    days: list[date]
    values: list[float]
    stale: bool
    #: The same days (ordinals) and values as arrays, when the path was read column-wise
    #: (``member_paths(closes=True)``): a chart aligns these without converting every
    #: date of 20 years back again.
    arrays: Closes | None = None

    @property
    def return_pct(self) -> float:
        return (self.values[-1] / self.values[0] - 1.0) * 100.0


@dataclass(slots=True)
class MemberReturn:
    symbol: str
    currency: str
    base_date: date
    base_close: float
    end_date: date
    end_close: float
    return_pct: float
    local_currency: str
    stale: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "currency": self.currency,
            "base_date": self.base_date.isoformat(),
            "base_close": self.base_close,
            "end_date": self.end_date.isoformat(),
            "end_close": self.end_close,
            "return_pct": self.return_pct,
        }


@dataclass(slots=True)
class ReturnsResult:
    target: Target
    period: Period
    basis: str
    currency: str
    members: list[MemberReturn]
    excluded: list[Excluded]
    notes: list[str] = field(default_factory=list)
    source: str = ""

    @property
    def equal_weight_return_pct(self) -> float | None:
        if not self.members:
            return None
        return sum(m.return_pct for m in self.members) / len(self.members)

    @property
    def as_of(self) -> date | None:
        return max((m.end_date for m in self.members), default=None)

    @property
    def stale(self) -> bool:
        return any(m.stale for m in self.members)

    def to_json(self) -> dict[str, Any]:
        return {
            "command": "returns",
            "target": self.target.label,
            "period": self.period.label,
            "basis": self.basis,
            "currency": self.currency,
            "members": [m.to_json() for m in self.members],
            "equal_weight_return_pct": self.equal_weight_return_pct,
            "excluded": [e.to_json() for e in self.excluded],
            "notes": list(self.notes),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "stale": self.stale,
        }


@dataclass(slots=True)
class MemberSet:
    """Every member's price path for one question, plus the exclusions and notes."""

    paths: list[MemberPath]
    excluded: list[Excluded]
    notes: list[str]


def member_paths(
    market: MarketData,
    target: Target,
    period: Period,
    basis: str = "price",
    currency: str = "local",
    loaded: tuple[Period, History] | None = None,
    *,
    endpoints: bool = False,
    closes: bool = False,
) -> MemberSet:
    """Resolve the period on each member and build its price path (see :class:`MemberPath`).

    ``loaded`` is :func:`load_question`'s answer when the caller loaded several targets at
    once (both sides of a comparison share one end date); by default this target alone.
    ``endpoints=True`` is for answers that use only each path's first and last point (a
    return): the paths hold those and the few bars read to find them (sampled series, see
    :meth:`MarketData.sample`), never the bars between, so 20 years cost a few index
    seeks instead of 130,000 rows. The endpoints, notes and exclusions are the same.
    ``closes=True`` is for answers that use every point (a chart): the period resolves the
    same way on sampled series, then each path's closes from its base to its end day are
    read column-wise (:meth:`MarketData.closes`), never as bars; the days and values are the
    ones the bars give. ``loaded`` must then come from a sampled load (except for periods
    counted in sessions, which are read whole either way).
    """
    if basis not in BASES:
        raise UserInputError(f"basis: '{basis[:12]}' is not accepted; use price or total.")
    if currency not in CURRENCIES:
        raise UserInputError(f"currency: '{currency[:12]}' is not accepted; use local or usd.")
    # Periods counted in sessions find their base by counting bars: those need every bar
    # (of a few weeks) and are read whole.
    sampled = (endpoints or closes) and not period.counts_sessions
    period, history = loaded or load_question(market, target.symbols, period, sampled=sampled)
    excluded = excluded_by_problems(target.symbols, history)
    raise_if_unknown(target, history)
    notes: list[str] = []
    resolved: list[tuple[Series, int, int]] = []
    for symbol in target.symbols:
        series = history.series.get(symbol)
        if series is None:
            continue
        if series.window is not None and series.days:
            series = market.sample(series, period.lookups(series.days[-1]))
        span = period.resolve(series.days)
        if isinstance(span, str):
            excluded.append(Excluded(symbol, span))
            continue
        base_i, end_i = span
        # Data that genuinely stops well before the end (delisted, old files) is left out;
        # data that could not be refreshed (the source failed) is served, marked stale.
        lag = period.end - series.days[end_i] if period.end is not None else None
        if lag is not None and lag > LONGEST_CLOSURE and not series.stale:
            excluded.append(
                Excluded(
                    symbol,
                    f"no close within {LONGEST_CLOSURE.days} days of {period.end.isoformat()} "
                    f"(last close {series.days[end_i].isoformat()})",
                )
            )
            continue
        if base_i == end_i and period.effective_name != "max":
            excluded.append(
                Excluded(symbol, f"only one close in the period ({series.days[end_i]})")
            )
            continue
        resolved.append((series, base_i, end_i))

    no_adj = [s.symbol for s, _, _ in resolved if basis == "total" and not s.has_adj_close]
    if no_adj:
        notes.append(
            "Total return: no adjusted close in the data for "
            + ", ".join(no_adj)
            + "; used Close (for Yahoo CSV exports Close is usually already adjusted)."
        )
    fx: FxTable | None = None
    if currency == "usd":
        currencies = {s.currency for s, _, _ in resolved}
        lo = min((s.days[b] for s, b, _ in resolved), default=None)
        hi = max((s.days[e] for s, _, e in resolved), default=None)
        if lo and hi:
            fx = load_fx(market, currencies, lo, hi)
            if fx.stale:
                notes.append("FX rates come from a stale cache.")

    paths: list[MemberPath] = []
    for series, base_i, end_i in resolved:
        use_adj = basis == "total" and series.has_adj_close
        read: Closes | None = None
        if closes and series.window is not None:
            first, last = series.days[base_i], series.days[end_i]
            read = market.closes(series.symbol, first, last, adjusted=use_adj)
            days, values = read.dates(), read.values.tolist()
        else:
            bars = series.bars[base_i : end_i + 1]
            days = [b.day for b in bars]
            values = [
                (b.adj_close if use_adj and b.adj_close is not None else b.close) for b in bars
            ]
        out_currency = series.currency
        if fx is not None:
            converted = _convert_path(fx, series.currency, days, values)
            if isinstance(converted, str):
                excluded.append(Excluded(series.symbol, converted))
                continue
            values = converted
            out_currency = "USD"
            if read is not None:
                read = Closes(read.days, np.asarray(values, dtype=np.float64))
        # An answer converted with rates from a stale cache is itself stale.
        stale = series.stale or (fx is not None and fx.stale_for(series.currency))
        paths.append(
            MemberPath(series.symbol, series.currency, out_currency, days, values, stale, read)
        )
    if not paths:
        reasons = summarize_excluded(excluded) or "no members"
        raise NoDataError(f"No data for {target.label} over {period.label}. {reasons}")
    return MemberSet(paths, excluded, notes)


def _convert_path(
    fx: FxTable, currency: str, days: list[date], values: list[float]
) -> list[float] | str:
    """Convert every point; endpoints must convert, interior gaps carry the last rate."""
    out: list[float] = []
    for i, (day, value) in enumerate(zip(days, values, strict=True)):
        converted = fx.to_usd(value, currency, day)
        if isinstance(converted, str):
            if i in (0, len(days) - 1):
                return converted
            # An interior day without a fresh rate: carry the previous converted ratio.
            ratio = out[-1] / values[i - 1]
            out.append(value * ratio)
            continue
        out.append(converted[0])
    return out


def compute_returns(
    market: MarketData,
    target: Target,
    period: Period,
    basis: str = "price",
    currency: str = "local",
) -> ReturnsResult:
    """Per-member and equal-weighted returns of ``target`` over ``period``."""
    members = member_paths(market, target, period, basis, currency, endpoints=True)
    return returns_of(members, target, period, basis, currency, market.source_label)


def returns_of(
    members: MemberSet, target: Target, period: Period, basis: str, currency: str, source: str
) -> ReturnsResult:
    """Returns from already loaded member paths (so a chart of the same paths loads once)."""
    rows = [
        MemberReturn(
            symbol=p.symbol,
            currency=p.currency,
            base_date=p.days[0],
            base_close=p.values[0],
            end_date=p.days[-1],
            end_close=p.values[-1],
            return_pct=p.return_pct,
            local_currency=p.local_currency,
            stale=p.stale,
        )
        for p in members.paths
    ]
    return ReturnsResult(
        target, period, basis, currency, rows, members.excluded, members.notes, source
    )
