"""Trailing P/E at a past date (``/valuation on:``), and through time (``/chart style:pe``).

On a date D, a member's trailing P/E = market value on D / trailing-twelve-month net income
reported by D, both in USD at D's FX:

* market value = the close on or before D (at most :data:`LONGEST_CLOSURE` old) × today's
  ``sharesOutstanding`` (constant shares, like ``/marketcap``);
* TTM net income = the four latest quarters whose period ended at least 45 days before D
  (consecutive: the four span at most :data:`FOUR_QUARTERS_SPAN`), else the latest annual
  figure reported by then (``earnings_basis`` says which), else the member is listed with
  the reason ("fewer than four quarters ...");
* the net income's currency is the statement currency today's figures reconcile in
  (:mod:`analytics.data.units`), checked against the statement's own label; each quarter's
  ``DilutedEPS × DilutedAverageShares`` is checked against its net income, which is how
  BEKE's EPS labelled USD shows itself to be CNY.

Forward P/E exists only for today (Yahoo keeps no history of estimates): it is never shown
for a past date. The aggregate is today's rule: Σ market cap / Σ earnings over members with
positive earnings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from analytics.data.fundamentals import Fundamentals, FundamentalsStore
from analytics.data.fx import FxTable, load_fx
from analytics.data.market import LONGEST_CLOSURE, MarketData
from analytics.data.series import Series
from analytics.data.statements import Period, Statements, StatementStore
from analytics.data.units import Units, close, convert, establish_units
from analytics.errors import NoDataError
from analytics.metrics.loading import Excluded, raise_if_unknown, summarize_excluded
from analytics.metrics.targets import Target
from analytics.metrics.valuation import RATIOS
from analytics.metrics.valuation_result import MemberValuation, ValuationResult, aggregate

#: The oldest and newest of four consecutive quarters end about 273 days apart.
FOUR_QUARTERS_SPAN = timedelta(days=300)
#: A quarter's EPS × shares against its net income (rounded EPS: 0.57 vs 0.5597).
EPS_TOLERANCE = 0.05
FORWARD_NOTE = "Forward P/E is not available for a past date: Yahoo gives estimates only for today."


@dataclass(frozen=True, slots=True)
class Listing:
    """What a member's past valuation needs besides its prices (constant over dates)."""

    symbol: str
    name: str | None
    quote: str
    shares: float
    statements: Statements
    units: Units
    findings: tuple[str, ...]


def earnings_reported(statements: Statements, day: date) -> tuple[float, str, list[Period]] | str:
    """(TTM net income, basis, periods used) reported by ``day``, or why there is none."""
    quarters = statements.quarters_reported_by(day)
    latest = quarters[-4:]
    if len(latest) == 4 and latest[-1].end - latest[0].end <= FOUR_QUARTERS_SPAN:
        return sum(p.net_income for p in latest), "ttm-quarters", latest
    annual = statements.annual_reported_by(day)
    if annual:
        return annual[-1].net_income, "annual", [annual[-1]]
    held = statements.quarterly + statements.annual
    if not held:
        return statements.error or "no income statements from the data source"
    if not quarters:
        first = min(held, key=lambda p: p.end)
        return (
            f"no statement reported by {day.isoformat()}: the earliest period held ends "
            f"{first.end.isoformat()} (counted as reported from {first.reported_by.isoformat()})"
        )
    ends = ", ".join(p.end.isoformat() for p in quarters)
    why = "fewer than four quarters" if len(quarters) < 4 else "four quarters are not consecutive"
    return f"{why} reported by {day.isoformat()} ({len(quarters)}: {ends}) and no annual figure"


def statement_findings(statements: Statements, currency: str) -> tuple[tuple[str, ...], bool]:
    """Checks of the statements' own figures: (findings in words, net income label agrees).

    One finding per kind of contradiction, with the first period as the worked example.
    """
    income_labels: list[tuple[Period, str]] = []
    eps_labels: list[tuple[Period, str]] = []
    for p in statements.quarterly + statements.annual:
        income_label = p.labels.get("net_income")
        if income_label and income_label != currency:
            income_labels.append((p, income_label))
        eps_label = p.labels.get("diluted_eps")
        if p.diluted_eps is None or not p.diluted_shares or not eps_label or eps_label == currency:
            continue
        if close(p.diluted_eps, p.net_income / p.diluted_shares, EPS_TOLERANCE):
            eps_labels.append((p, eps_label))
    findings: list[str] = []
    symbol = statements.symbol
    if income_labels:
        p, label = income_labels[0]
        findings.append(
            f"{symbol} net income labelled {label} in {len(income_labels)} period(s), "
            f"reconciled as {currency} (first {p.end.isoformat()})"
        )
    if eps_labels:
        p, label = eps_labels[0]
        assert p.diluted_eps is not None and p.diluted_shares is not None
        findings.append(
            f"{symbol} DilutedEPS labelled {label} is {currency} per statement share in "
            f"{len(eps_labels)} period(s): {p.end.isoformat()} {p.diluted_eps:g} = "
            f"{p.net_income / 1e9:.4f} bn {currency} / {p.diluted_shares / 1e9:.4f} bn shares"
        )
    return tuple(findings), not income_labels


def listing_of(
    f: Fundamentals, statements: Statements, series: Series, fx: FxTable
) -> Listing | str:
    """The member's constant inputs (share count, currencies), or why it cannot be valued."""
    if not statements.quarterly and not statements.annual:
        return statements.error or "no income statements from the data source"
    shares = f.number("sharesOutstanding")
    if shares is None or shares <= 0:
        return "no sharesOutstanding in the fundamentals (needed for a past market value)"
    bar = series.bars[-1]
    units = establish_units(f, bar.close, series.currency, fx, bar.day)
    currency = units.statement_currency
    findings, label_ok = statement_findings(statements, currency)
    checked = Units(
        series.currency,
        currency,
        currency,
        units.reconciled and label_ok,
        units.evidence,
        units.label_note,
    )
    name = f.text("longName") or f.text("shortName")
    return Listing(series.symbol, name, series.currency, shares, statements, checked, findings)


def value_on(listing: Listing, series: Series, fx: FxTable, day: date) -> MemberValuation | str:
    """One member's trailing P/E on ``day`` (see the module docstring), or why not."""
    i = series.index_on_or_before(day)
    if i is None:
        return f"no close on or before {day.isoformat()}"
    bar = series.bars[i]
    if day - bar.day > LONGEST_CLOSURE:
        return f"no close within {LONGEST_CLOSURE.days} days before {day.isoformat()}"
    earned = earnings_reported(listing.statements, day)
    if isinstance(earned, str):
        return earned
    income, basis, used = earned
    cap_usd = convert(fx, bar.close * listing.shares, listing.quote, "USD", day)
    if isinstance(cap_usd, str):
        return f"market cap not converted to USD: {cap_usd}"
    income_usd = convert(fx, income, listing.units.statement_currency, "USD", day)
    if isinstance(income_usd, str):
        return f"net income not converted to USD: {income_usd}"
    ratios: dict[str, float | None] = dict.fromkeys(RATIOS)
    basis_of = dict.fromkeys(RATIOS, "n/a")
    if income_usd > 0:
        ratios["trailing_pe"], basis_of["trailing_pe"] = cap_usd / income_usd, "computed"
    else:
        basis_of["trailing_pe"] = "n/m"
    to_quote = convert(fx, 1.0, listing.units.statement_currency, listing.quote, day)
    return MemberValuation(
        symbol=listing.symbol,
        name=listing.name,
        currency=listing.quote,
        financial_currency=listing.units.statement_currency,
        price=bar.close,
        price_date=bar.day,
        market_cap_usd=cap_usd,
        market_cap_basis="shares",
        ratios=ratios,
        basis=basis_of,
        statement_fx=to_quote if isinstance(to_quote, float) else float("nan"),
        units=listing.units,
        on=day,
        earnings_basis=basis,
        fundamentals_as_of=used[-1].end,
        as_of_reported=True,
        fetched_at=listing.statements.fetched_at,
        stale=listing.statements.stale or series.stale,
        stale_reason=listing.statements.stale_reason or series.stale_reason,
        earnings_usd=income_usd,
        periods_used=tuple(p.end for p in used),
    )


@dataclass(slots=True)
class HistoryInputs:
    """Everything loaded once for a target over ``[start, end]``: reused for every date."""

    target: Target
    listings: dict[str, Listing]
    series: dict[str, Series]
    fx: FxTable
    excluded: list[Excluded]
    source: str


def load_inputs(
    market: MarketData,
    funds: FundamentalsStore,
    statements: StatementStore,
    target: Target,
    start: date,
    end: date,
) -> HistoryInputs:
    """Prices and FX from ``start - LONGEST_CLOSURE`` up to today, today's fundamentals,
    statements. Up to today, not ``end``: each listing's units are reconciled once, at its
    latest close (today's figures, today's price), so a chart's points and ``on:`` answers
    for the same date use the very same units."""
    today = market.today()
    prices = market.history(target.symbols, start - LONGEST_CLOSURE, max(end, today))
    raise_if_unknown(target, prices)
    known = [s for s in target.symbols if s in prices.series]
    infos = funds.get_many(known)
    stmts = statements.get_many(known)
    currencies = {"USD"}
    for symbol in known:
        info = infos[symbol]
        currencies |= {prices.series[symbol].currency, info.text("currency") or "USD"}
        currencies.add(info.text("financialCurrency") or prices.series[symbol].currency)
    fx = load_fx(market, currencies, start, max(end, today))
    excluded: list[Excluded] = []
    listings: dict[str, Listing] = {}
    for symbol in target.symbols:
        if symbol not in prices.series:
            problem = prices.problems.get(symbol)
            reason = problem.text if problem else f"no close by {end.isoformat()}"
            excluded.append(Excluded(symbol, reason))
            continue
        info = infos[symbol]
        if info.info is None:
            excluded.append(Excluded(symbol, info.error or "the data source has no fundamentals"))
            continue
        made = listing_of(info, stmts[symbol], prices.series[symbol], fx)
        if isinstance(made, str):
            excluded.append(Excluded(symbol, made))
        else:
            listings[symbol] = made
    return HistoryInputs(target, listings, prices.series, fx, excluded, market.source_label)


def valuation_at(inputs: HistoryInputs, day: date) -> ValuationResult:
    """The target's members and aggregate trailing P/E on ``day`` (NoDataError if none)."""
    excluded = list(inputs.excluded)
    members: list[MemberValuation] = []
    for symbol, listing in inputs.listings.items():
        valued = value_on(listing, inputs.series[symbol], inputs.fx, day)
        if isinstance(valued, str):
            excluded.append(Excluded(symbol, valued))
        else:
            members.append(valued)
    if not members:
        reasons = summarize_excluded(excluded) or "no members"
        raise NoDataError(f"No valuation of {inputs.target.label} on {day.isoformat()}. {reasons}")
    agg = aggregate(members)
    agg.on = day
    agg.left_out = [g for g in agg.left_out if g.measure != "forward_pe"]
    notes = [FORWARD_NOTE]
    findings = [f for m in members for f in inputs.listings[m.symbol].findings]
    if findings:
        notes.append("Labels contradicted by the figures: " + "; ".join(findings) + ".")
    annual = [m.symbol for m in members if m.earnings_basis == "annual"]
    if annual:
        notes.append(
            "Latest annual net income (fewer than four quarters): " + ", ".join(annual) + "."
        )
    return ValuationResult(inputs.target, members, agg, excluded, notes, inputs.source)


def compute_valuation_on(
    market: MarketData,
    funds: FundamentalsStore,
    statements: StatementStore,
    target: Target,
    day: date,
) -> ValuationResult:
    """``/valuation target: on:day``."""
    inputs = load_inputs(market, funds, statements, target, day, day)
    return valuation_at(inputs, day)
