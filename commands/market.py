"""/quote, /returns and /compare."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analytics.metrics.chartdata import build_chart_data
from analytics.metrics.loading import load_question
from analytics.metrics.periods import Period
from analytics.metrics.returns import ReturnsResult, compute_returns, member_paths, returns_of
from analytics.metrics.targets import Target
from analytics.metrics.text import pct
from commands.chart import attach_chart
from commands.names import labels, resolve, resolve_symbol
from commands.options import BASIS, CURRENCY, PERIOD_OPTIONS, period_from, target_option
from commands.reply import (
    Field,
    Reply,
    excluded_text,
    footer,
    money,
    notes_field,
    pts,
    table,
    tone_of,
)
from commands.spec import CommandSpec, Context, Option

#: Characters a member table may take: in an embed field (1024), in the description (4096,
#: less the line saying what names became).
FIELD_ROOM = 1024
DESCRIPTION_ROOM = 3500


def member_table(
    result: ReturnsResult,
    limit: int = 25,
    names: Mapping[str, str] | None = None,
    room: int = FIELD_ROOM,
) -> str:
    """The members' returns, best first; ``0700.HK Tencent`` where the short names fit in
    ``room`` characters (a field holds 1024), else symbols alone."""
    ordered = sorted(result.members, key=lambda m: m.return_pct, reverse=True)

    def build(named: Mapping[str, str]) -> str:
        rows = [["Symbol", "Base", "End", "Return"]]
        for m in ordered[:limit]:
            label = f"{m.symbol} {named[m.symbol]}" if m.symbol in named else m.symbol
            rows.append([label, f"{m.base_close:,.2f}", f"{m.end_close:,.2f}", pct(m.return_pct)])
        text = table(rows)
        if len(ordered) > limit:
            text += f"\n…and {len(ordered) - limit} more"
        return text

    text = build(names or {})
    return text if len(text) <= room or not names else build({})


def dates_of(result: ReturnsResult) -> str:
    """``2024-12-31 → 2025-03-07`` from the members' own dates (ranges if they differ)."""
    bases = sorted({m.base_date for m in result.members})
    ends = sorted({m.end_date for m in result.members})

    def span(ds: list) -> str:
        return ds[0].isoformat() if len(ds) == 1 else f"{ds[0].isoformat()}…{ds[-1].isoformat()}"

    return f"{span(bases)} → {span(ends)}"


def returns_reply(result: ReturnsResult, names: Mapping[str, str] | None = None) -> Reply:
    ew = result.equal_weight_return_pct
    single = len(result.target.symbols) == 1
    fields = [
        Field("Return" if single else "Equal-weighted", pct(ew)),
        Field("Period", dates_of(result)),
        Field("Members", f"{len(result.members)} of {len(result.target.symbols)}"),
    ]
    if result.excluded:
        fields.append(Field("Left out", excluded_text(result.excluded), inline=False))
    fields.extend(notes_field(result.notes))
    return Reply(
        title=f"{result.target.title}: {pct(ew)}",
        description=member_table(result, names=names, room=DESCRIPTION_ROOM),
        fields=fields,
        tone=tone_of(ew),
        footer=footer(
            result.source,
            f"basis {result.basis}",
            "in USD" if result.currency == "usd" else "local currencies",
            f"as of {result.as_of.isoformat()}" if result.as_of else None,
            "STALE: source unavailable, cached data" if result.stale else None,
        ),
        data=result.to_json(),
        stale=result.stale,
    )


def _returns_for(
    ctx: Context, target: Target, period: Period, options: dict[str, Any]
) -> ReturnsResult:
    return compute_returns(
        ctx.services.market,
        target,
        period,
        basis=options.get("basis", "price"),
        currency=options.get("currency", "local"),
    )


def run_returns(ctx: Context, options: dict[str, Any]) -> Reply:
    period = period_from(ctx, options)
    target = resolve(ctx, options["target"])
    return returns_reply(_returns_for(ctx, target, period, options), labels(ctx, target.symbols))


def run_compare(ctx: Context, options: dict[str, Any]) -> Reply:
    period = period_from(ctx, options)
    left_t = resolve(ctx, options["left"])
    right_t = resolve(ctx, options["right"])
    basis, currency = options.get("basis", "price"), options.get("currency", "local")
    market = ctx.services.market
    # One end date for both sides, then each side's price paths loaded once: the returns
    # and the chart are built from them. Sampled series, then every close read column-wise
    # when a chart is drawn (as /chart does), only the endpoints when not (as /returns).
    symbols = [*left_t.symbols, *right_t.symbols]
    loaded = load_question(market, symbols, period, sampled=not period.counts_sessions)
    period = loaded[0]
    draw = ctx.want_image
    sides = [
        (name, t, member_paths(market, t, period, basis, currency, loaded, closes=draw))
        for name, t in (("target", left_t), ("vs", right_t))
    ]
    left, right = (
        returns_of(m, t, period, basis, currency, market.source_label) for _, t, m in sides
    )
    spread = (
        left.equal_weight_return_pct - right.equal_weight_return_pct
        if left.equal_weight_return_pct is not None and right.equal_weight_return_pct is not None
        else None
    )
    stale = left.stale or right.stale
    named = labels(ctx, [*left_t.symbols, *right_t.symbols])
    fields = [
        Field(left_t.title, pct(left.equal_weight_return_pct)),
        Field(right_t.title, pct(right.equal_weight_return_pct)),
        Field("Spread", pts(spread)),
        Field(f"{left_t.label} members", member_table(left, names=named), inline=False),
        Field(f"{right_t.label} members", member_table(right, names=named), inline=False),
    ]
    for side in (left, right):
        if side.excluded:
            fields.append(
                Field(
                    f"Left out of {side.target.label}", excluded_text(side.excluded), inline=False
                )
            )
    notes = sorted(set(left.notes + right.notes))
    fields.extend(notes_field(notes))
    as_of = max(d for d in (left.as_of, right.as_of) if d is not None)
    lead = left_t.label if (spread or 0) >= 0 else right_t.label
    description = (
        f"{dates_of(left)}: **{left_t.label}** {pct(left.equal_weight_return_pct)} vs "
        f"**{right_t.label}** {pct(right.equal_weight_return_pct)}; "
        f"{lead} ahead by {abs(spread or 0):.2f} points."
    )
    data = {
        "command": "compare",
        "left": left.to_json(),
        "right": right.to_json(),
        "spread_pct": spread,
        "as_of": as_of.isoformat(),
        "stale": stale,
    }
    reply = Reply(
        title=f"{left_t.label} vs {right_t.label}",
        description=description,
        fields=fields,
        tone=tone_of(spread),
        footer=footer(
            left.source,
            f"basis {left.basis}",
            "in USD" if left.currency == "usd" else "local currencies",
            f"as of {as_of.isoformat()}",
            "STALE: cached data" if stale else None,
        ),
        data=data,
        stale=stale,
    )
    if ctx.want_image:
        chart = build_chart_data(sides, basis=basis, currency=currency, source=market.source_label)
        attach_chart(reply, chart, ctx)
    return reply


def run_quote(ctx: Context, options: dict[str, Any]) -> Reply:
    symbol = resolve_symbol(ctx, options["symbol"])
    target = Target(symbol, (symbol,), "symbols")
    result = compute_returns(ctx.services.market, target, Period(name="1d"))
    m = result.members[0]
    change = m.end_close - m.base_close
    name = ctx.services.market.name(symbol)
    data = {
        "command": "quote",
        "symbol": symbol,
        "name": name,
        "currency": m.currency,
        "close": m.end_close,
        "previous_close": m.base_close,
        "previous_date": m.base_date.isoformat(),
        "change": change,
        "change_pct": m.return_pct,
        "as_of": m.end_date.isoformat(),
        "stale": m.stale,
    }
    return Reply(
        title=f"{symbol}{' — ' + name if name else ''}: {money(m.end_close, m.currency)}",
        description=f"{change:+,.2f} {m.currency} ({pct(m.return_pct)}) on the day",
        fields=[
            Field("Close", money(m.end_close, m.currency)),
            Field("Previous", f"{money(m.base_close, m.currency)} ({m.base_date.isoformat()})"),
            Field("As of", m.end_date.isoformat()),
        ],
        tone=tone_of(m.return_pct),
        footer=footer(
            result.source,
            f"as of {m.end_date.isoformat()}",
            "STALE: cached data" if m.stale else None,
        ),
        data=data,
        stale=m.stale,
    )


QUOTE = CommandSpec(
    "quote",
    "Last close and the day's change of one symbol",
    run_quote,
    options=(
        Option(
            "symbol",
            "Symbol or company name, e.g. AAPL, 0700.HK, ^HSI, tencent",
            required=True,
            autocomplete="symbol",
            max_length=40,
        ),
    ),
    example="/quote symbol:0700.HK",
)
RETURNS = CommandSpec(
    "returns",
    "Returns of a stock or an equal-weighted basket over a period",
    run_returns,
    options=(target_option(), *PERIOD_OPTIONS, BASIS, CURRENCY),
    example="/returns target:mag7 start:2024-12-31 end:2025-03-07",
)
COMPARE = CommandSpec(
    "compare",
    "Two baskets side by side, and the spread between them",
    run_compare,
    options=(
        target_option("left", what="First basket or symbols (e.g. china-titans)"),
        target_option("right", what="Second basket or symbols (e.g. mag7)"),
        *PERIOD_OPTIONS,
        BASIS,
        CURRENCY,
    ),
    example="/compare left:china-titans right:mag7 start:2024-12-31 end:2025-03-07",
)
