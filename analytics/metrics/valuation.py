"""Valuation multiples of a basket's members, and the basket's aggregate P/E.

The trap this module exists for: many Chinese companies are quoted in HKD or USD
(``currency``) but report in CNY (``financialCurrency``), and Yahoo's per-share figures
(``trailingEps``, ``forwardEps``, ``bookValue``) and statement totals (``totalRevenue``,
``ebitda``) are in the reporting currency. A multiple is only meaningful once both sides
are in one currency, so every statement figure is converted into the quote currency at
the FX rate of the price's date before dividing. The provider's own ratio is used only
where the figure it would be built from is missing, and is marked ``provider``.

* A non-positive denominator gives no multiple ("n/m", not meaningful), never a negative one.
* A member whose FX rate is missing on its price date is left out, with the reason:
  no rate is ever assumed.
* Aggregate P/E = total market cap / total earnings over the members with positive
  earnings, where a member's earnings are ``market cap / P/E`` (both in USD). This is the
  capitalisation-weighted harmonic mean index providers publish; loss-makers and members
  without an earnings figure are left out of both sums and listed, so a loss-maker's
  market cap does not inflate the multiple.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from analytics.data.fundamentals import Fundamentals, FundamentalsStore
from analytics.data.fx import FxTable, load_fx, major_currency
from analytics.data.market import MarketData
from analytics.data.series import Series
from analytics.errors import NoDataError
from analytics.metrics.loading import (
    Excluded,
    latest_closes,
    raise_if_unknown,
    summarize_excluded,
)
from analytics.metrics.targets import Target

#: The multiples reported per member, in display order.
RATIOS = ("trailing_pe", "forward_pe", "price_to_sales", "price_to_book", "ev_to_ebitda")


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
    stale: bool = False
    stale_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
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

    def to_json(self) -> dict[str, Any]:
        return {
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


def convert(fx: FxTable, value: float, source: str, target: str, day: date) -> float | str:
    """``value`` in currency ``source`` expressed in ``target`` on ``day`` (via USD)."""
    if source == target:
        return value
    usd = fx.to_usd(value, source, day)
    if isinstance(usd, str):
        return usd
    rate = fx.rate(target, day)
    if isinstance(rate, str):
        return rate
    _, divisor = major_currency(target)
    return usd[0] * rate.per_usd * divisor


def _multiple(numerator: float | None, denominator: float | None) -> tuple[float | None, str]:
    if numerator is None or denominator is None:
        return None, "n/a"
    if denominator <= 0 or numerator <= 0:
        return None, "n/m"
    return numerator / denominator, "computed"


def _provider(value: float | None) -> tuple[float | None, str]:
    if value is None:
        return None, "n/a"
    return (value, "provider") if value > 0 else (None, "n/m")


def value_member(f: Fundamentals, series: Series, fx: FxTable) -> MemberValuation | str:
    """One member's multiples, or the reason it cannot be valued."""
    bar = series.bars[-1]
    price, day = bar.close, bar.day
    quote = series.currency
    info_currency = f.text("currency") or quote
    financial = f.text("financialCurrency") or info_currency
    shares = f.number("sharesOutstanding")
    if shares is not None and shares > 0:
        cap_quote: float | None = price * shares
        cap_usd = convert(fx, cap_quote, quote, "USD", day)
        cap_basis = "shares"
    else:
        provider_cap = f.number("marketCap")
        if provider_cap is None or provider_cap <= 0:
            return "no sharesOutstanding or marketCap in the fundamentals"
        cap_usd = convert(fx, provider_cap, info_currency, "USD", day)
        cap_quote = convert(fx, provider_cap, info_currency, quote, day)
        cap_basis = "provider"
    if isinstance(cap_usd, str):
        return f"market cap not converted to USD: {cap_usd}"
    if isinstance(cap_quote, str):
        return f"market cap not converted to {quote}: {cap_quote}"
    statement_fields = ("trailingEps", "forwardEps", "bookValue", "totalRevenue", "ebitda")
    factor = 1.0
    if financial != quote and any(f.number(k) is not None for k in statement_fields):
        converted = convert(fx, 1.0, financial, quote, day)
        if isinstance(converted, str):
            return f"{financial} figures not converted to {quote}: {converted}"
        factor = converted

    def in_quote(name: str) -> float | None:
        value = f.number(name)
        return None if value is None else value * factor

    ratios: dict[str, float | None] = {}
    basis: dict[str, str] = {}

    def put(key: str, computed: tuple[float | None, str], provider_field: str) -> None:
        if computed[1] == "n/a":
            computed = _provider(f.number(provider_field))
        ratios[key], basis[key] = computed

    put("trailing_pe", _multiple(price, in_quote("trailingEps")), "trailingPE")
    put("forward_pe", _multiple(price, in_quote("forwardEps")), "forwardPE")
    put(
        "price_to_sales",
        _multiple(cap_quote, in_quote("totalRevenue")),
        "priceToSalesTrailing12Months",
    )
    put("price_to_book", _multiple(price, in_quote("bookValue")), "priceToBook")
    debt, cash, ebitda = (in_quote(k) for k in ("totalDebt", "totalCash", "ebitda"))
    ev = cap_quote + debt - cash if debt is not None and cash is not None else None
    put("ev_to_ebitda", _multiple(ev, ebitda), "enterpriseToEbitda")
    return MemberValuation(
        symbol=series.symbol,
        name=f.text("longName") or f.text("shortName"),
        currency=quote,
        financial_currency=financial,
        price=price,
        price_date=day,
        market_cap_usd=cap_usd,
        market_cap_basis=cap_basis,
        ratios=ratios,
        basis=basis,
        statement_fx=factor,
        fundamentals_as_of=f.as_of,
        as_of_reported=f.reported_as_of is not None,
        fetched_at=f.fetched_at,
        stale=f.stale or series.stale,
        stale_reason=f.stale_reason or series.stale_reason,
    )


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
    return Aggregate(
        market_cap_usd=total_cap,
        trailing_pe=pes["trailing_pe"],
        forward_pe=pes["forward_pe"],
        median_trailing_pe=medians["trailing_pe"],
        median_forward_pe=medians["forward_pe"],
        sums=sums,
        left_out=left_out,
    )


def compute_valuation(
    market: MarketData, store: FundamentalsStore, target: Target
) -> ValuationResult:
    """Every member's multiples at its latest close, and the basket aggregate."""
    prices = latest_closes(market, target.symbols)
    raise_if_unknown(target, prices)
    funds = store.get_many(s for s in target.symbols if s not in prices.unknown)
    excluded: list[Excluded] = []
    ready: list[tuple[Fundamentals, Series]] = []
    for symbol in target.symbols:
        f = funds.get(symbol)
        if f is None or symbol not in prices.series:
            problem = prices.problems.get(symbol)
            excluded.append(Excluded(symbol, problem.text if problem else "no price"))
        elif f.info is None:
            excluded.append(Excluded(symbol, f.error or "the data source has no fundamentals"))
        else:
            ready.append((f, prices.series[symbol]))
    currencies = {"USD"}
    for f, s in ready:
        currencies |= {s.currency, f.text("currency") or s.currency}
        currencies.add(f.text("financialCurrency") or f.text("currency") or s.currency)
    days = [s.bars[-1].day for _, s in ready]
    fx = load_fx(market, currencies, min(days), max(days)) if days else FxTable({}, {})
    members: list[MemberValuation] = []
    for f, s in ready:
        valued = value_member(f, s, fx)
        if isinstance(valued, str):
            excluded.append(Excluded(s.symbol, valued))
        else:
            members.append(valued)
    if not members:
        reasons = summarize_excluded(excluded) or "no members"
        raise NoDataError(f"No valuation for {target.label}. {reasons}")
    notes = _notes(members, fx)
    return ValuationResult(
        target, members, aggregate(members), excluded, notes, market.source_label
    )


def _notes(members: list[MemberValuation], fx: FxTable) -> list[str]:
    notes: list[str] = []
    converted = [m for m in members if m.financial_currency != m.currency]
    if converted:
        notes.append(
            "Statement figures converted into the quote currency at the price date's FX: "
            + ", ".join(
                f"{m.symbol} {m.financial_currency}→{m.currency} {m.statement_fx:.4f}"
                for m in converted
            )
            + "."
        )
    provider = sorted({m.symbol for m in members if "provider" in m.basis.values()})
    if provider:
        notes.append(
            "Provider's own ratio used where the per-share figure is missing (marked *): "
            + ", ".join(provider)
            + "."
        )
    caps = [m.symbol for m in members if m.market_cap_basis == "provider"]
    if caps:
        notes.append("Market cap from the provider (no share count): " + ", ".join(caps) + ".")
    stale = [m for m in members if m.stale]
    if stale:
        notes.append(
            "Stale (cached, the source failed): "
            + ", ".join(f"{m.symbol} ({m.stale_reason})" for m in stale)
            + "."
        )
    if fx.stale:
        notes.append("FX rates come from a stale cache.")
    return notes


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
