"""/chart: a PNG of one or two baskets (or symbols) over a period, with a one-line caption.

The numbers come from :mod:`analytics.metrics.chartdata` (the same member paths as ``/returns``),
the pixels from :mod:`analytics.charts.figures`. Rendering is skipped when nobody will look at an
image (the console without ``--chart-out``); the data is returned either way, so
``--json`` prints exactly what the chart shows.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from analytics.charts.themes import THEME_NAMES
from analytics.metrics.chartdata import STYLES, ChartData, chart_data
from analytics.metrics.pe_history import PeChartData, pe_chart_data
from analytics.metrics.text import pct
from commands.names import labels, resolve
from commands.options import BASIS, CURRENCY, PERIOD_OPTIONS, period_from, target_option
from commands.reply import Field, Reply, excluded_text, footer, notes_field, tone_of
from commands.spec import CommandSpec, Context, Option

STYLE = Option(
    "style",
    "rebased (default): from 0%; price: one symbol's closes; drawdown; pe: trailing P/E over time",
    choices=(*STYLES, "pe"),
)
THEME = Option("theme", "dark (default, for Discord's dark theme) or light", choices=THEME_NAMES)
IMAGE_NAME = "chart.png"


def attach_chart(reply: Reply, data: ChartData, ctx: Context, theme: str = "dark") -> Reply:
    """Put the chart (when someone will see it) and its caption on ``reply``."""
    reply.caption = data.caption
    if ctx.want_image:
        reply.image = ctx.services.charts.chart_png(_named(ctx, data), theme)
        reply.image_name = IMAGE_NAME
    return reply


#: Members a legend has room to name (``0700.HK Tencent``); more lines keep symbols only.
LEGEND_NAMES = 10


def _named(ctx: Context, data: ChartData) -> ChartData:
    """The chart with short names beside the members' symbols, where the legend has room."""
    members = [s.label for s in data.series if s.kind == "member"]
    named = labels(ctx, members) if len(members) <= LEGEND_NAMES else {}
    if not named:
        return data
    series = [
        replace(s, label=f"{s.label} {named[s.label]}")
        if s.kind == "member" and s.label in named
        else s
        for s in data.series
    ]
    return replace(data, series=series)


def _headline_value(data: ChartData, group: str) -> str:
    line = data.headline(group)
    if line is None:
        return "n/a"
    if data.style == "price":
        return f"{line.final:,.2f} {line.currency}"
    if data.style == "drawdown" and line.worst is not None:
        return f"worst {pct(line.worst[1], 1)} on {line.worst[0].isoformat()}"
    return pct(line.final)


def chart_reply(data: ChartData) -> Reply:
    """The text part of a /chart reply: the headline numbers, period and exclusions."""
    fields = [Field(data.group_target(g).title, _headline_value(data, g)) for g in data.groups]
    fields.append(Field("Period", data.range_text))
    if data.excluded:
        fields.append(Field("Left out", excluded_text(data.excluded), inline=False))
    fields.extend(notes_field(data.notes))
    head = data.headline("target")
    tone = tone_of(head.final if head is not None and data.style == "rebased" else None)
    footer_text = footer(
        data.source,
        f"basis {data.basis}",
        data.currency_text,
        f"as of {data.as_of.isoformat()}",
        "STALE: source unavailable, cached data" if data.stale else None,
    )
    return Reply(
        title=data.title,
        fields=fields,
        tone=tone,
        footer=footer_text,
        data=data.to_json(),
        stale=data.stale,
    )


def pe_reply(ctx: Context, data: PeChartData, theme: str) -> Reply:
    """/chart style:pe: each basket's latest P/E, the premium, and the chart."""
    fields = []
    for line in data.lines:
        basket = data.target if line.group == "target" or data.vs is None else data.vs
        fields.append(Field(basket.title, f"{line.final:.1f}x"))
    if data.premium_text:
        fields.append(Field("Premium", data.premium_text))
    fields.append(Field("Period", f"{data.start.isoformat()} → {data.end.isoformat()}"))
    if data.excluded:
        fields.append(Field("Left out", excluded_text(data.excluded), inline=False))
    fields.extend(notes_field(data.notes))
    reply = Reply(
        title=data.title,
        fields=fields,
        tone="info",
        footer=footer(
            data.source,
            "trailing P/E, USD",
            f"as of {data.as_of.isoformat()}",
            "STALE: source unavailable, cached data" if data.stale else None,
        ),
        data=data.to_json(),
        stale=data.stale,
    )
    reply.caption = data.caption
    if ctx.want_image:
        reply.image = ctx.services.charts.pe_png(data, theme)
        reply.image_name = IMAGE_NAME
    return reply


def run_chart(ctx: Context, options: dict[str, Any]) -> Reply:
    period = period_from(ctx, options)
    target = resolve(ctx, options["target"])
    vs = resolve(ctx, options["vs"]) if options.get("vs") else None
    if options.get("style") == "pe":
        services = ctx.services
        pe = pe_chart_data(
            services.market,
            services.fundamentals,
            services.statements,
            target,
            period,
            vs=vs,
        )
        return pe_reply(ctx, pe, options.get("theme", "dark"))
    data = chart_data(
        ctx.services.market,
        target,
        period,
        vs=vs,
        style=options.get("style", "rebased"),
        basis=options.get("basis", "price"),
        currency=options.get("currency", "local"),
    )
    return attach_chart(chart_reply(data), data, ctx, options.get("theme", "dark"))


CHART = CommandSpec(
    "chart",
    "A chart of a basket or symbols over a period, optionally against another",
    run_chart,
    options=(
        target_option(),
        target_option("vs", required=False, what="Basket or symbols to compare with (e.g. mag7)"),
        *PERIOD_OPTIONS,
        STYLE,
        CURRENCY,
        BASIS,
        THEME,
    ),
    example="/chart target:china-titans vs:mag7 start:2024-12-31 end:2025-03-07",
)
