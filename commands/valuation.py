"""/valuation, /marketcap and /levels."""

from __future__ import annotations

from datetime import date
from typing import Any

from analytics.errors import UserInputError
from analytics.metrics.levels import LevelsResult, compute_levels
from analytics.metrics.marketcap import MarketCapResult, compute_marketcap, share_pct
from analytics.metrics.periods import PERIODS, parse_date, parse_period
from analytics.metrics.text import clip, pct
from analytics.metrics.valuation import ValuationResult, compute_valuation, premium_pct
from analytics.metrics.valuation_history import FORWARD_NOTE, compute_valuation_on
from commands.market import dates_of
from commands.names import resolve, resolve_symbol
from commands.options import END, PERIOD_OPTIONS, period_from, target_option
from commands.reply import (
    Field,
    Reply,
    big_money,
    excluded_text,
    footer,
    money,
    notes_field,
    table,
    tone_of,
)
from commands.spec import CommandSpec, Context, Option

RATIO_HEADERS = ("P/E", "Fwd P/E", "P/S", "P/B", "EV/EBITDA")
RATIO_KEYS = ("trailing_pe", "forward_pe", "price_to_sales", "price_to_book", "ev_to_ebitda")
MARKS = (
    "* provider's ratio (per-share figure missing) · ? currency not reconciled · "
    "n/m: negative, not meaningful"
)


def ratio(value: float | None, basis: str = "computed", reconciled: bool = True) -> str:
    """``23.4x``, ``23.4x*`` (the provider's own ratio), ``23.4x?`` (figures whose currency
    could not be reconciled), ``n/m`` or ``n/a``."""
    if value is None:
        return "n/m" if basis == "n/m" else "n/a"
    mark = "*" if basis == "provider" else "?" if not reconciled else ""
    return f"{value:,.1f}x{mark}"


def signed_money(value: float | None) -> str:
    """``+$1.23T`` / ``-$12.50M``: big_money with an explicit sign for gains."""
    text = big_money(value)
    return "+" + text if value is not None and value > 0 else text


# ---- /valuation ----------------------------------------------------------------------------
def valuation_table(result: ValuationResult, limit: int = 25) -> str:
    rows = [["Symbol", "Price", "Mkt cap", *RATIO_HEADERS]]
    ordered = sorted(result.members, key=lambda m: m.market_cap_usd, reverse=True)
    for m in ordered[:limit]:
        rows.append(
            [
                m.symbol,
                money(m.price, m.currency),
                big_money(m.market_cap_usd) + ("*" if m.market_cap_basis == "provider" else ""),
                *(ratio(m.ratios[k], m.basis[k], m.reconciled) for k in RATIO_KEYS),
            ]
        )
    text = table(rows)
    if len(ordered) > limit:
        text += f"\n…and {len(ordered) - limit} more"
    return text


def past(result: ValuationResult) -> bool:
    """A valuation at an ``on:`` date (no forward P/E exists for it)."""
    return FORWARD_NOTE in result.notes


def aggregate_text(result: ValuationResult) -> str:
    a = result.aggregate
    forward = (
        "Fwd P/E not available for a past date"
        if past(result)
        else f"Fwd P/E {ratio(a.forward_pe)} (median {ratio(a.median_forward_pe)})"
    )
    head = f"On {a.on.isoformat()} ({a.earnings_basis})\n" if past(result) and a.on else ""
    return (
        f"{head}Market cap {big_money(a.market_cap_usd)}\n"
        f"P/E {ratio(a.trailing_pe)} (median {ratio(a.median_trailing_pe)})\n{forward}"
    )


def names_text(result: ValuationResult) -> str:
    lines = []
    for m in result.members:
        day = m.fundamentals_as_of.isoformat() if m.fundamentals_as_of else "unknown"
        when = f"as of {day}" if m.as_of_reported else f"fetched {day}"
        lines.append(
            f"{m.symbol} {m.name or ''} · price {m.price_date.isoformat()} · "
            f"fundamentals {when}" + (" (stale)" if m.stale else "")
        )
    return clip("\n".join(lines), 1000)


def left_out_text(result: ValuationResult) -> str:
    """Members left out of the aggregate P/Es, one line per member and reason."""
    labels = {"trailing_pe": "P/E", "forward_pe": "fwd P/E"}
    grouped: dict[tuple[str, str], list[str]] = {}
    for gap in result.aggregate.left_out:
        grouped.setdefault((gap.symbol, gap.reason), []).append(labels[gap.measure])
    lines = [f"{sym}: {why} — not in {', '.join(ms)}" for (sym, why), ms in grouped.items()]
    return clip("\n".join(lines), 1000)


def _side_fields(result: ValuationResult, with_table: bool) -> list[Field]:
    label = result.target.label
    fields = [Field(f"{label} aggregate", aggregate_text(result))]
    if with_table:
        # Two tables share one embed (6000 characters): the largest 12 of each fit.
        fields.append(Field(f"{label} members", valuation_table(result, 12), inline=False))
    fields.append(Field(f"{label}: names and dates", names_text(result), inline=False))
    if result.aggregate.left_out:
        fields.append(Field(f"Left out of {label} P/E", left_out_text(result), inline=False))
    if result.excluded:
        fields.append(Field(f"Left out of {label}", excluded_text(result.excluded), inline=False))
    return fields


def on_date(ctx: Context, text: str | None) -> date | None:
    """The ``on:`` date, checked: a real date, not in the future (exit 2 otherwise)."""
    if not text:
        return None
    day = parse_date(text, "on")
    today = ctx.services.market.today()
    if day > today:
        raise UserInputError(
            f"on: {day.isoformat()} is in the future; a valuation on a past date needs "
            f"reported earnings (the latest date is {today.isoformat()})."
        )
    return day


def run_valuation(ctx: Context, options: dict[str, Any]) -> Reply:
    store = ctx.services.fundamentals
    market = ctx.services.market
    day = on_date(ctx, options.get("on"))
    if day is not None:
        statements = ctx.services.statements

        def compute(text: str) -> ValuationResult:
            return compute_valuation_on(market, store, statements, resolve(ctx, text), day)
    else:

        def compute(text: str) -> ValuationResult:
            return compute_valuation(market, store, resolve(ctx, text))

    left = compute(options["target"])
    data: dict[str, Any] = {"command": "valuation", **left.to_json()}
    vs_text = options.get("vs")
    if not vs_text:
        notes = left.notes
        fwd_title = "fwd n/a" if past(left) else f"fwd {ratio(left.aggregate.forward_pe)}"
        when = f" on {day.isoformat()}" if day else ""
        return Reply(
            title=f"{left.target.title}{when}: P/E {ratio(left.aggregate.trailing_pe)}, "
            f"{fwd_title}",
            description=valuation_table(left),
            fields=_side_fields(left, with_table=False) + notes_field(notes),
            tone="info",
            footer=_valuation_footer(left, left.stale),
            data=data,
            stale=left.stale,
        )
    right = compute(vs_text)
    fwd = premium_pct(left.aggregate.forward_pe, right.aggregate.forward_pe)
    trailing = premium_pct(left.aggregate.trailing_pe, right.aggregate.trailing_pe)
    data |= {
        "vs": right.to_json(),
        "forward_pe_premium_pct": fwd,
        "trailing_pe_premium_pct": trailing,
    }
    stale = left.stale or right.stale
    notes = list(dict.fromkeys(left.notes + right.notes))
    fields = [
        Field("Fwd P/E premium", "not available for a past date" if day else _premium_words(fwd)),
        Field("P/E premium", _premium_words(trailing)),
        *_side_fields(left, with_table=True),
        *_side_fields(right, with_table=True),
    ]
    fields.extend(notes_field(notes))
    a, b = left.aggregate, right.aggregate
    description = (
        f"On {day.isoformat()}, **{left.target.label}** traded at {ratio(a.trailing_pe)} "
        f"trailing earnings ({a.earnings_basis}) and **{right.target.label}** at "
        f"{ratio(b.trailing_pe)}: {_premium_words(trailing)}. Forward P/E is not available "
        "for a past date."
        if day
        else f"**{left.target.label}** trades at {ratio(a.forward_pe)} forward and "
        f"{ratio(a.trailing_pe)} trailing earnings; **{right.target.label}** at "
        f"{ratio(b.forward_pe)} and {ratio(b.trailing_pe)}: "
        f"{_premium_words(fwd)} on forward earnings."
    )
    return Reply(
        title=f"{left.target.label} vs {right.target.label}: valuation"
        + (f" on {day.isoformat()}" if day else ""),
        description=description,
        fields=fields,
        tone="info",
        footer=_valuation_footer(left, stale),
        data=data,
        stale=stale,
    )


def _premium_words(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{abs(value):.1f}% {'premium' if value >= 0 else 'discount'}"


def _valuation_footer(result: ValuationResult, stale: bool) -> str:
    return footer(
        result.source,
        "market caps in USD",
        MARKS,
        "STALE: source unavailable, cached data" if stale else None,
    )


# ---- /marketcap ----------------------------------------------------------------------------
def marketcap_table(result: MarketCapResult, limit: int = 25) -> str:
    total = result.total_change_usd
    rows = [["Symbol", "Start", "End", "Change", "Share"]]
    for m in result.members[:limit]:
        rows.append(
            [
                m.symbol,
                big_money(m.base_cap_usd),
                big_money(m.end_cap_usd),
                signed_money(m.change_usd),
                pct(share_pct(m.change_usd, total), 1).lstrip("+"),
            ]
        )
    text = table(rows)
    if len(result.members) > limit:
        text += f"\n…and {len(result.members) - limit} more"
    return text


def run_marketcap(ctx: Context, options: dict[str, Any]) -> Reply:
    period = period_from(ctx, options)
    target = resolve(ctx, options["target"])
    result = compute_marketcap(ctx.services.market, ctx.services.fundamentals, target, period)
    total = result.total_change_usd
    verb = "added" if total >= 0 else "lost"
    fields = [
        Field("Total change", signed_money(total)),
        Field("Market cap", f"{big_money(result.base_cap_usd)} → {big_money(result.end_cap_usd)}"),
        Field("Period", dates_of(result)),  # type: ignore[arg-type]
        Field("Members", f"{len(result.members)} of {len(target.symbols)}"),
    ]
    if result.excluded:
        fields.append(Field("Left out", excluded_text(result.excluded), inline=False))
    fields.extend(notes_field(result.notes))
    return Reply(
        title=f"{target.title} {verb} {big_money(abs(total))}",
        description=marketcap_table(result),
        fields=fields,
        tone=tone_of(total),
        footer=footer(
            result.source,
            "USD at each date's FX",
            "constant shares",
            f"as of {result.as_of.isoformat()}" if result.as_of else None,
            "STALE: source unavailable, cached data" if result.stale else None,
        ),
        data=result.to_json(),
        stale=result.stale,
    )


# ---- /levels -------------------------------------------------------------------------------
def highest_since_text(r: LevelsResult) -> str:
    if r.highest_since is not None:
        return f"highest since {r.highest_since.isoformat()}"
    if r.lookback == "max":
        return f"a high of all the data (since {r.lookback_start.isoformat()})"
    return f"a high of the {r.lookback} lookback (since {r.lookback_start.isoformat()})"


def run_levels(ctx: Context, options: dict[str, Any]) -> Reply:
    symbol = resolve_symbol(ctx, options["symbol"])
    market = ctx.services.market
    period = parse_period(
        options.get("period") or "max", None, options.get("end"), today=market.today()
    )
    r = compute_levels(market, symbol, period)
    cur = r.currency
    fields = [
        Field("Last close", f"{money(r.last_close, cur)} ({r.as_of.isoformat()})"),
        Field("Peak", f"{money(r.peak_close, cur)} ({r.peak_date.isoformat()})"),
        Field("From peak", pct(r.drawdown_pct)),
        Field("Level", highest_since_text(r)),
        Field(
            "Week",
            pct(r.week_change_pct)
            + (f" (vs {r.week_base_date.isoformat()})" if r.week_base_date else ""),
        ),
        Field(
            "52-week range",
            f"{money(r.low_52w, cur)} ({r.low_52w_date.isoformat()}) – "
            f"{money(r.high_52w, cur)} ({r.high_52w_date.isoformat()})",
        ),
        Field("Lookback", f"{r.lookback}: {r.lookback_start.isoformat()} → {r.as_of.isoformat()}"),
    ]
    fields.extend(notes_field(r.notes))
    name = f" — {r.name}" if r.name else ""
    return Reply(
        title=f"{symbol}{name}: {money(r.last_close, cur)}, {pct(r.drawdown_pct)} from peak",
        description=f"{symbol} closed at {money(r.last_close, cur)} on {r.as_of.isoformat()}: "
        f"{highest_since_text(r)}.",
        fields=fields,
        tone=tone_of(r.week_change_pct),
        footer=footer(
            r.source,
            "closing prices",
            f"as of {r.as_of.isoformat()}",
            "STALE: source unavailable, cached data" if r.stale else None,
        ),
        data=r.to_json(),
        stale=r.stale,
    )


VALUATION = CommandSpec(
    "valuation",
    "P/E, forward P/E, P/S, P/B, EV/EBITDA of a basket's members, and its aggregate P/E",
    run_valuation,
    options=(
        target_option(),
        target_option("vs", required=False, what="Basket or symbols to compare with (e.g. mag7)"),
        Option(
            "on",
            "Value on a past date YYYY-MM-DD (trailing P/E from earnings reported by then)",
            max_length=10,
            check=parse_date,
        ),
    ),
    example="/valuation target:china-titans vs:mag7",
)
MARKETCAP = CommandSpec(
    "marketcap",
    "Market value a basket added or lost over a period, in USD",
    run_marketcap,
    options=(target_option(), *PERIOD_OPTIONS),
    example="/marketcap target:mag7 start:2024-12-31 end:2025-03-07",
)
LEVELS = CommandSpec(
    "levels",
    "Peak, drawdown, 'highest since', week change and 52-week range of one symbol",
    run_levels,
    options=(
        Option(
            "symbol",
            "Symbol or company name, e.g. 0700.HK, AAPL, ^HSI, xiaomi",
            required=True,
            autocomplete="symbol",
            max_length=40,
        ),
        END,
        Option("period", "Lookback (default max: all the data there is)", choices=PERIODS),
    ),
    example="/levels symbol:0700.HK end:2025-03-07",
)
