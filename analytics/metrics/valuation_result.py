"""The results of a valuation: members' multiples, the basket aggregate, and how each was had.

Split from :mod:`analytics.metrics.valuation` (today's multiples) so the past-date valuation
(:mod:`analytics.metrics.valuation_history`) builds the same results.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from analytics.data.units import Units
from analytics.metrics.loading import Excluded
from analytics.metrics.targets import Target


@dataclass(slots=True)
class MemberValuation:
    symbol: str
    name: str | None
    currency: str
    financial_currency: str
    price: float
    price_date: date
    market_cap_usd: float
    #: ``shares`` (price × sharesOutstanding) or ``provider`` (Yahoo's marketCap).
    market_cap_basis: str
    ratios: dict[str, float | None]
    #: Per ratio: ``computed``, ``provider``, ``n/m`` (non-positive denominator) or ``n/a``.
    basis: dict[str, str]
    #: Quote-currency units per one financial-currency unit used for statement figures.
    statement_fx: float
    fundamentals_as_of: date | None
    #: True when the as-of date comes from the data, False when it is the fetch date.
    as_of_reported: bool
    fetched_at: datetime | None
    #: How the per-share figures' and totals' currencies were established.
    units: Units
    #: The date valued (the price's date; with ``on:``, the date asked).
    on: date
    #: ``ttm-quarters`` (Yahoo's trailing EPS, or four reported quarters) or ``annual``.
    earnings_basis: str = "ttm-quarters"
    stale: bool = False
    stale_reason: str | None = None
    #: Past dates only: the trailing net income in USD and the period ends summed.
    earnings_usd: float | None = None
    periods_used: tuple[date, ...] = ()

    @property
    def eps_source(self) -> str:
        return self.units.eps_source

    @property
    def reconciled(self) -> bool:
        return self.units.reconciled

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "on": self.on.isoformat(),
            "eps_source": self.eps_source,
            "reconciled": self.reconciled,
            "eps_currency": self.units.eps_currency,
            "statement_currency": self.units.statement_currency,
            "reconciliation": list(self.units.evidence),
            "earnings_basis": self.earnings_basis,
            "name": self.name,
            "currency": self.currency,
            "financial_currency": self.financial_currency,
            "price": self.price,
            "price_date": self.price_date.isoformat(),
            "market_cap_usd": self.market_cap_usd,
            "market_cap_basis": self.market_cap_basis,
            **self.ratios,
            "ratio_basis": dict(self.basis),
            "statement_fx": self.statement_fx,
            "fundamentals_as_of": _iso(self.fundamentals_as_of),
            "fundamentals_as_of_reported": self.as_of_reported,
            "fundamentals_fetched_at": self.fetched_at.isoformat() if self.fetched_at else None,
            "stale": self.stale,
            **(
                {
                    "earnings_usd": self.earnings_usd,
                    "periods_used": [d.isoformat() for d in self.periods_used],
                }
                if self.periods_used
                else {}
            ),
        }


@dataclass(slots=True)
class LeftOut:
    """A member left out of one aggregate measure (it stays in the member table)."""

    symbol: str
    measure: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"symbol": self.symbol, "measure": self.measure, "reason": self.reason}


@dataclass(slots=True)
class Aggregate:
    market_cap_usd: float
    trailing_pe: float | None
    forward_pe: float | None
    median_trailing_pe: float | None
    median_forward_pe: float | None
    #: Per P/E measure: (market cap summed, earnings summed), both USD, for checking.
    sums: dict[str, tuple[float, float]]
    left_out: list[LeftOut]
    #: The date valued: the latest price date, or the ``on:`` date asked.
    on: date | None = None
    #: ``ttm-quarters`` or ``annual`` (``ttm-quarters+annual`` when members differ).
    earnings_basis: str = "ttm-quarters"

    def to_json(self) -> dict[str, Any]:
        return {
            "on": _iso(self.on),
            "earnings_basis": self.earnings_basis,
            "market_cap_usd": self.market_cap_usd,
            "trailing_pe": self.trailing_pe,
            "forward_pe": self.forward_pe,
            "median_trailing_pe": self.median_trailing_pe,
            "median_forward_pe": self.median_forward_pe,
            "earnings_usd": {k: v[1] for k, v in self.sums.items()},
            "pe_market_cap_usd": {k: v[0] for k, v in self.sums.items()},
            "left_out": [g.to_json() for g in self.left_out],
        }


@dataclass(slots=True)
class ValuationResult:
    target: Target
    members: list[MemberValuation]
    aggregate: Aggregate
    excluded: list[Excluded]
    notes: list[str] = field(default_factory=list)
    source: str = ""

    @property
    def stale(self) -> bool:
        return any(m.stale for m in self.members)

    @property
    def as_of(self) -> date | None:
        return max((m.price_date for m in self.members), default=None)

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target.label,
            "members": [m.to_json() for m in self.members],
            "aggregate": self.aggregate.to_json(),
            "excluded": [e.to_json() for e in self.excluded],
            "notes": list(self.notes),
            "as_of": _iso(self.as_of),
            "stale": self.stale,
        }


def premium_pct(target_pe: float | None, other_pe: float | None) -> float | None:
    """How much richer (positive) or cheaper (negative) ``target_pe`` is, in percent."""
    if target_pe is None or other_pe is None or other_pe <= 0:
        return None
    return (target_pe / other_pe - 1.0) * 100.0


def aggregate(members: list[MemberValuation]) -> Aggregate:
    """Basket totals: market cap, aggregate and median P/Es (see the module docstring)."""
    total_cap = sum(m.market_cap_usd for m in members)
    pes: dict[str, float | None] = {}
    medians: dict[str, float | None] = {}
    sums: dict[str, tuple[float, float]] = {}
    left_out: list[LeftOut] = []
    for key in ("trailing_pe", "forward_pe"):
        cap = earnings = 0.0
        values: list[float] = []
        for m in members:
            pe = m.ratios[key]
            if pe is None:
                why = "loss-making (n/m)" if m.basis[key] == "n/m" else "no earnings figure"
                left_out.append(LeftOut(m.symbol, key, why))
                continue
            cap += m.market_cap_usd
            earnings += m.market_cap_usd / pe
            values.append(pe)
        sums[key] = (cap, earnings)
        pes[key] = cap / earnings if earnings > 0 else None
        medians[key] = statistics.median(values) if values else None
    bases = sorted({m.earnings_basis for m in members if m.ratios["trailing_pe"] is not None})
    return Aggregate(
        on=max((m.on for m in members), default=None),
        earnings_basis="+".join(bases) if bases else "ttm-quarters",
        market_cap_usd=total_cap,
        trailing_pe=pes["trailing_pe"],
        forward_pe=pes["forward_pe"],
        median_trailing_pe=medians["trailing_pe"],
        median_forward_pe=medians["forward_pe"],
        sums=sums,
        left_out=left_out,
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
