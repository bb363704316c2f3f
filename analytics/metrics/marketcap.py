"""Market value a basket added or lost over a period, in USD.

Per member: ``shares × close`` at the base and at the end of the period, each converted to
USD at its own date's FX rate; the change is the difference. Shares are the *current*
``sharesOutstanding`` from the fundamentals, held constant over the period — buybacks and
issuance in between are ignored, and replies say so. Close is the series' close, which for
Yahoo's adjusted exports includes dividends: for a price-only period this is the usual
small difference between price and total return.

A member without a share count, or without an FX rate on either date, is left out with
the reason; a rate is never assumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from analytics.data.fundamentals import FundamentalsStore
from analytics.data.fx import load_fx
from analytics.data.market import MarketData
from analytics.errors import NoDataError
from analytics.metrics.loading import Excluded, summarize_excluded
from analytics.metrics.periods import Period
from analytics.metrics.returns import member_paths
from analytics.metrics.targets import Target

SHARES_NOTE = (
    "Shares are today's shares outstanding, held constant over the period "
    "(buybacks and issuance in between are ignored)."
)


@dataclass(slots=True)
class MemberCapChange:
    symbol: str
    currency: str
    shares: float
    base_date: date
    base_price: float
    end_date: date
    end_price: float
    base_cap_usd: float
    end_cap_usd: float
    stale: bool = False

    @property
    def change_usd(self) -> float:
        return self.end_cap_usd - self.base_cap_usd

    def to_json(self, total: float | None) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "currency": self.currency,
            "shares": self.shares,
            "base_date": self.base_date.isoformat(),
            "base_price": self.base_price,
            "end_date": self.end_date.isoformat(),
            "end_price": self.end_price,
            "base_cap_usd": self.base_cap_usd,
            "end_cap_usd": self.end_cap_usd,
            "change_usd": self.change_usd,
            "share_of_total_pct": share_pct(self.change_usd, total),
        }


def share_pct(change: float, total: float | None) -> float | None:
    """A member's change as a percentage of the basket's total change (None if total is 0)."""
    if not total:
        return None
    return change / total * 100.0


@dataclass(slots=True)
class MarketCapResult:
    target: Target
    period: Period
    #: Largest absolute change first.
    members: list[MemberCapChange]
    excluded: list[Excluded]
    notes: list[str] = field(default_factory=list)
    source: str = ""

    @property
    def total_change_usd(self) -> float:
        return sum(m.change_usd for m in self.members)

    @property
    def base_cap_usd(self) -> float:
        return sum(m.base_cap_usd for m in self.members)

    @property
    def end_cap_usd(self) -> float:
        return sum(m.end_cap_usd for m in self.members)

    @property
    def stale(self) -> bool:
        return any(m.stale for m in self.members)

    @property
    def as_of(self) -> date | None:
        return max((m.end_date for m in self.members), default=None)

    def to_json(self) -> dict[str, Any]:
        total = self.total_change_usd
        return {
            "command": "marketcap",
            "target": self.target.label,
            "period": self.period.label,
            "members": [m.to_json(total) for m in self.members],
            "total_change_usd": total,
            "base_cap_usd": self.base_cap_usd,
            "end_cap_usd": self.end_cap_usd,
            "excluded": [e.to_json() for e in self.excluded],
            "notes": list(self.notes),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "stale": self.stale,
        }


def compute_marketcap(
    market: MarketData, store: FundamentalsStore, target: Target, period: Period
) -> MarketCapResult:
    """Each member's change in market value over ``period`` in USD, and the total."""
    paths = member_paths(market, target, period, "price", "local")
    excluded = list(paths.excluded)
    funds = store.get_many(p.symbol for p in paths.paths)
    shares: dict[str, float] = {}
    for p in paths.paths:
        f = funds[p.symbol]
        count = f.number("sharesOutstanding")
        if f.info is None:
            excluded.append(Excluded(p.symbol, f.error or "the data source has no fundamentals"))
        elif count is None or count <= 0:
            excluded.append(Excluded(p.symbol, "no sharesOutstanding in the fundamentals"))
        else:
            shares[p.symbol] = count
    priced = [p for p in paths.paths if p.symbol in shares]
    if not priced:
        raise NoDataError(f"No market values for {target.label}. {summarize_excluded(excluded)}")
    notes = [SHARES_NOTE, *paths.notes]
    fx = load_fx(
        market,
        {p.currency for p in priced},
        min(p.days[0] for p in priced),
        max(p.days[-1] for p in priced),
    )
    if fx.stale:
        notes.append("FX rates come from a stale cache.")
    members: list[MemberCapChange] = []
    for p in priced:
        count = shares[p.symbol]
        base = fx.to_usd(p.values[0] * count, p.currency, p.days[0])
        end = fx.to_usd(p.values[-1] * count, p.currency, p.days[-1])
        problem = next((x for x in (base, end) if isinstance(x, str)), None)
        if problem is not None or isinstance(base, str) or isinstance(end, str):
            excluded.append(Excluded(p.symbol, f"not converted to USD: {problem}"))
            continue
        members.append(
            MemberCapChange(
                symbol=p.symbol,
                currency=p.currency,
                shares=count,
                base_date=p.days[0],
                base_price=p.values[0],
                end_date=p.days[-1],
                end_price=p.values[-1],
                base_cap_usd=base[0],
                end_cap_usd=end[0],
                stale=p.stale or funds[p.symbol].stale,
            )
        )
    if not members:
        raise NoDataError(
            f"No market values for {target.label} over {period.label}. {summarize_excluded(excluded)}"
        )
    members.sort(key=lambda m: abs(m.change_usd), reverse=True)
    return MarketCapResult(target, period, members, excluded, notes, market.source_label)
