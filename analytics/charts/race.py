"""The weekly summary's picture: the year-to-date race with the summary's week shaded.

The numbers and the chart data come from :mod:`analytics.metrics.summary`; this module only
draws them, on the same figure as every other chart (:func:`analytics.charts.figures.build_figure`).
"""

from __future__ import annotations

from datetime import datetime, time

from matplotlib import dates as mdates
from matplotlib.figure import Figure

from analytics.charts.figures import build_figure, encode_png, theme_of
from analytics.metrics.summary import WeeklySummary
from analytics.metrics.text import clip


def summary_figure(summary: WeeklySummary, theme: str = "dark") -> Figure | None:
    """The race chart with the summary's week shaded (gid ``week``); None without data."""
    if summary.chart is None:
        return None
    fig = build_figure(summary.chart, theme)
    ax = fig.axes[0]
    x0, x1 = (
        mdates.date2num(datetime.combine(d, time())) for d in (summary.week_start, summary.as_of)
    )
    ax.axvspan(x0, x1, color=theme_of(theme).muted, alpha=0.18, zorder=0.5, lw=0, gid="week")
    for text in fig.texts:
        if text.get_gid() == "title":
            text.set_text(clip("Weekly summary: " + " vs ".join(summary.labels), 95))
        elif text.get_gid() == "subtitle":
            text.set_text(
                f"Year to date as of {summary.as_of.isoformat()}, equal-weighted, rebased to 0%"
                f" · shaded: the week from {summary.week_start.isoformat()}"
                f" · {summary.chart.currency_text}"
            )
        elif text.get_gid() == "footnote":
            text.set_text(clip(_footnote(summary), 190))
    return fig


def summary_png(summary: WeeklySummary, theme: str = "dark") -> bytes | None:
    """:func:`summary_figure` encoded as a 1600x900 PNG."""
    fig = summary_figure(summary, theme)
    return encode_png(fig) if fig is not None else None


def _footnote(summary: WeeklySummary) -> str:
    parts = [f"Data: {summary.source}", f"as of {summary.as_of.isoformat()}"]
    if summary.stale:
        parts.append("STALE: " + "; ".join(summary.stale_reasons))
    parts.append("each line: equal amounts in every member, held")
    if len(summary.baskets) > 2:
        parts.append("thick: the first two baskets")
    return " · ".join(parts)
