"""Today's valuation multiples of a basket's members, and the basket's aggregate P/E.

The trap this module exists for: many companies are quoted in one currency (``currency``:
USD for an ADR, HKD) and report in another (``financialCurrency``: CNY, EUR), and Yahoo's
figures do not all come in the same one. BEKE's ``trailingEps`` is USD per ADS while its
totals and ``bookValue`` are CNY. :mod:`analytics.data.units` establishes each figure's
currency by reconciliation (never by a label); every figure is then converted into the
quote currency at the FX rate of the price's date before dividing. The provider's own
ratio is used only where the figure it would be built from is missing and no currency can
be mixed up, and is marked ``provider``; keyStatistics' forward P/E never is.

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

from analytics.data.fundamentals import Fundamentals, FundamentalsStore
from analytics.data.fx import FxTable, load_fx
from analytics.data.market import MarketData
from analytics.data.series import Series
from analytics.data.units import convert, establish_units
from analytics.errors import NoDataError
from analytics.metrics.loading import (
    Excluded,
    latest_closes,
    raise_if_unknown,
    summarize_excluded,
)
from analytics.metrics.targets import Target
from analytics.metrics.valuation_result import (
    Aggregate,
    LeftOut,
    MemberValuation,
    ValuationResult,
    aggregate,
    premium_pct,
)

__all__ = [
    "Aggregate",
    "LeftOut",
    "MemberValuation",
    "ValuationResult",
    "aggregate",
    "compute_valuation",
    "premium_pct",
    "value_member",
]

#: The multiples reported per member, in display order.
RATIOS = ("trailing_pe", "forward_pe", "price_to_sales", "price_to_book", "ev_to_ebitda")
#: Totals (and ``bookValue``) in the statement currency; EPS figures are per listed share.
STATEMENT_FIELDS = ("bookValue", "totalRevenue", "ebitda", "totalDebt", "totalCash")


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
    label = f.text("financialCurrency") or info_currency
    figures = ("trailingEps", "forwardEps", *STATEMENT_FIELDS)
    if label != quote and any(f.number(k) is not None for k in figures):
        # Without the rate no currency can be tried, so none is assumed.
        rate = convert(fx, 1.0, label, quote, day)
        if isinstance(rate, str):
            return f"{label} figures not converted to {quote}: {rate}"
    units = establish_units(f, price, quote, fx, day)
    factors: dict[str, float] = {quote: 1.0}
    needed = set()
    if any(f.number(k) is not None for k in ("trailingEps", "forwardEps")):
        needed.add(units.eps_currency)
    if any(f.number(k) is not None for k in STATEMENT_FIELDS):
        needed.add(units.statement_currency)
    for currency in needed - {quote}:
        converted = convert(fx, 1.0, currency, quote, day)
        if isinstance(converted, str):
            return f"{currency} figures not converted to {quote}: {converted}"
        factors[currency] = converted

    def per_share(name: str) -> float | None:
        """A per-share EPS figure in the quote currency (its unit established above)."""
        value = f.number(name)
        return None if value is None else value * factors.get(units.eps_currency, 1.0)

    def statement(name: str) -> float | None:
        """A total or ``bookValue`` in the quote currency."""
        value = f.number(name)
        return None if value is None else value * factors.get(units.statement_currency, 1.0)

    ratios: dict[str, float | None] = {}
    basis: dict[str, str] = {}
    # Yahoo's own ratios divide a price by a figure in whatever currency it came in; they
    # are a fallback only where no currency can be mixed up. Never for the forward P/E:
    # defaultKeyStatistics.forwardPE is built from a reporting-currency EPS (BEKE 2.48 vs
    # 18.02) and .info merges it with summaryDetail's under one name.
    same_currency = units.statement_currency == quote == units.eps_currency

    def put(key: str, computed: tuple[float | None, str], provider_field: str | None) -> None:
        if computed[1] == "n/a" and provider_field and same_currency:
            computed = _provider(f.number(provider_field))
        ratios[key], basis[key] = computed

    put("trailing_pe", _multiple(price, per_share("trailingEps")), "trailingPE")
    put("forward_pe", _multiple(price, per_share("forwardEps")), None)
    put(
        "price_to_sales",
        _multiple(cap_quote, statement("totalRevenue")),
        "priceToSalesTrailing12Months",
    )
    put("price_to_book", _multiple(price, statement("bookValue")), "priceToBook")
    debt, cash, ebitda = (statement(k) for k in ("totalDebt", "totalCash", "ebitda"))
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
        statement_fx=factors.get(units.statement_currency, 1.0),
        units=units,
        on=day,
        fundamentals_as_of=f.as_of,
        as_of_reported=f.reported_as_of is not None,
        fetched_at=f.fetched_at,
        stale=f.stale or series.stale,
        stale_reason=f.stale_reason or series.stale_reason,
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
    converted = [m for m in members if m.units.statement_currency != m.currency]
    if converted:
        notes.append(
            "Statement figures converted into the quote currency at the price date's FX: "
            + ", ".join(
                f"{m.symbol} {m.units.statement_currency}→{m.currency} {m.statement_fx:.4f}"
                for m in converted
            )
            + "."
        )
    eps = [m for m in members if m.units.eps_currency != m.currency]
    if eps:
        notes.append(
            "EPS converted into the quote currency: "
            + ", ".join(f"{m.symbol} ({m.units.eps_currency})" for m in eps)
            + "."
        )
    labels = [m for m in members if m.units.label_note]
    if labels:
        notes.append(
            "Labels contradicted by the figures: "
            + ", ".join(f"{m.symbol} {m.units.label_note}" for m in labels)
            + "."
        )
    unchecked = [m.symbol for m in members if not m.reconciled]
    if unchecked:
        notes.append(
            "Not reconciled (marked ?): per-share figure and totals disagree in every "
            "currency tried, or there is nothing to check against: " + ", ".join(unchecked) + "."
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
