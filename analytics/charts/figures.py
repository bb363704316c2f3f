"""Chart rendering: :class:`~analytics.metrics.chartdata.ChartData` in, a 1600x900 PNG out.

Why it looks like this:

* Object-oriented matplotlib only (``Figure`` + ``FigureCanvasAgg``), never pyplot: pyplot
  keeps global figure state and the bot renders in several worker threads at once. Nothing
  here touches ``rcParams``; every style is passed explicitly.
* Fixed layout (axes rectangle, text positions), no ``tight_layout`` and no
  ``bbox_inches="tight"`` (which draws twice): rendering costs about one plain draw.
* Direct labels at the right edge instead of a legend, so nothing covers a line; labels are
  pushed apart so they never overlap.
* PNG metadata is fixed (no "Software" version string), so the same data gives the same
  bytes on every thread and run.

:func:`build_figure` returns the Figure (tests inspect its lines and texts);
:func:`render_png` encodes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib import dates as mdates
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import blended_transform_factory

from analytics.charts.downsample import m4
from analytics.charts.png import figure_png
from analytics.charts.themes import (
    COOL_ON_DARK,
    COOL_ON_LIGHT,
    THEME_NAMES,
    THEMES,
    WARM_ON_DARK,
    WARM_ON_LIGHT,
    Theme,
    line_colour,
    theme_of,
)
from analytics.metrics.chartdata import ChartData, ChartSeries
from analytics.metrics.text import clip, pct

#: Theme names and colours live in :mod:`analytics.charts.themes`; re-exported here.
__all__ = [
    "COOL_ON_DARK",
    "COOL_ON_LIGHT",
    "THEMES",
    "THEME_NAMES",
    "WARM_ON_DARK",
    "WARM_ON_LIGHT",
    "Theme",
    "build_figure",
    "encode_png",
    "render_png",
]

WIDTH_PX, HEIGHT_PX, DPI = 1600, 900, 100
#: Axes rectangle (left, bottom, width, height): the right 20% holds the direct labels.
AXES_RECT = (0.08, 0.12, 0.70, 0.72)
FONT = "DejaVu Sans"
MEMBER_WIDTH, HEADLINE_WIDTH = 1.4, 4.2
#: Pixel columns of the axes: lines with several points per column are drawn through
#: :func:`~analytics.charts.downsample.m4` (the same picture from fewer points).
PLOT_COLUMNS = round(WIDTH_PX * AXES_RECT[2])


def _percent_tick(value: float, _pos: object = None) -> str:
    if abs(value) < 1e-9:
        return "0%"
    if abs(value) >= 1000:
        return f"{value:+,.0f}%"
    return f"{value:+g}%"


def _money_tick(value: float, _pos: object = None) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _to_num(dates: Sequence) -> np.ndarray:
    return mdates.date2num(np.array(dates, dtype="datetime64[D]"))


# -- layout helpers ----------------------------------------------------------------------
def spread_positions(wanted: Sequence[float], sizes: Sequence[float], lo: float, hi: float):
    """Positions as close to ``wanted`` as possible with ``sizes`` gaps between neighbours.

    Returns None when the labels cannot fit between ``lo`` and ``hi`` at all.
    """
    n = len(wanted)
    if n == 0:
        return []
    if sum(sizes) > hi - lo:
        return None
    order = sorted(range(n), key=lambda i: wanted[i])
    pos = [wanted[i] for i in order]
    size = [sizes[i] for i in order]
    pos[0] = max(pos[0], lo + size[0] / 2)
    for k in range(1, n):
        pos[k] = max(pos[k], pos[k - 1] + (size[k - 1] + size[k]) / 2)
    pos[-1] = min(pos[-1], hi - size[-1] / 2)
    for k in range(n - 2, -1, -1):
        pos[k] = min(pos[k], pos[k + 1] - (size[k] + size[k + 1]) / 2)
    out = [0.0] * n
    for k, i in enumerate(order):
        out[i] = pos[k]
    return out


@dataclass(slots=True)
class _Label:
    key: str
    text: str
    value: float
    colour: str
    size: float
    bold: bool


def _edge_labels(ax: Axes, labels: list[_Label], y_lo: float, y_hi: float) -> None:
    """Direct labels in the right margin, pushed apart, with a leader to the line's end."""
    axes_px = HEIGHT_PX * AXES_RECT[3]
    per_px = (y_hi - y_lo) / axes_px
    members = [lb for lb in labels if not lb.bold]
    for member_size in (members[0].size if members else 0, 9.0, None):
        if member_size is None:
            labels = [lb for lb in labels if lb.bold]
        else:
            for lb in members:
                lb.size = member_size
        sizes = [lb.size * DPI / 72 * 1.3 * per_px for lb in labels]
        placed = spread_positions([lb.value for lb in labels], sizes, y_lo, y_hi)
        if placed is not None:
            break
    if placed is None:
        return
    blend = blended_transform_factory(ax.transAxes, ax.transData)
    # Leaders as one collection of straight segments: far cheaper than annotation arrows.
    leaders = [[(1.0, lb.value), (1.015, y)] for lb, y in zip(labels, placed, strict=True)]
    ax.add_collection(
        LineCollection(
            leaders,
            colors=[lb.colour for lb in labels],
            linewidths=0.8,
            transform=blend,
            clip_on=False,
        ),
        autolim=False,
    )
    for lb, y in zip(labels, placed, strict=True):
        ax.text(
            1.02,
            y,
            lb.text,
            transform=blend,
            va="center",
            ha="left",
            color=lb.colour,
            fontsize=lb.size,
            fontweight="bold" if lb.bold else "normal",
            fontfamily=FONT,
            clip_on=False,
            parse_math=False,
            gid=f"label:{lb.key}",
        )


def _limits(data: ChartData) -> tuple[float, float]:
    values = np.concatenate([np.asarray(s.values, dtype="float64") for s in data.series])
    lo, hi = float(values.min()), float(values.max())
    if data.style != "price":
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    span = hi - lo or max(abs(hi) * 0.1, 1.0)
    bottom_pad = 0.14 if data.style == "drawdown" else 0.06
    return lo - span * bottom_pad, hi + span * 0.06


def style_frame(ax: Axes, theme: Theme) -> None:
    """Background, spines, ticks, grid and date axis shared by every chart kind."""
    ax.set_facecolor(theme.background)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(theme.muted)
    ax.tick_params(colors=theme.muted, labelcolor=theme.text, labelsize=13, length=4)
    ax.grid(True, color=theme.grid, linewidth=0.8)
    ax.set_axisbelow(True)
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.xaxis.get_offset_text().set_color(theme.muted)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]))


def _style_axes(ax: Axes, theme: Theme, data: ChartData) -> None:
    style_frame(ax, theme)
    if data.style == "price":
        ax.yaxis.set_major_formatter(FuncFormatter(_money_tick))
        ylabel = data.series[0].currency or "price"
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(_percent_tick))
        ylabel = "Below running peak (%)" if data.style == "drawdown" else "Return (%)"
        ax.axhline(0.0, color=theme.muted, linewidth=1.0, zorder=1.5)
    ax.set_ylabel(ylabel, color=theme.muted, fontsize=13, fontfamily=FONT)


def _label_text(data: ChartData, s: ChartSeries, headline: bool) -> str:
    if data.style == "price":
        return f"{s.label} {s.final:,.2f} {s.currency}"
    name = data.group_target(s.group).label if headline and s.kind == "basket" else s.label
    # The right margin holds ~22 characters of headline text: long symbol lists are cut.
    return f"{clip(name, 14 if headline else 12)} {pct(s.final, 2 if headline else 1)}"


def _mark_worst(ax: Axes, theme: Theme, s: ChartSeries, colour: str, x0: float, x1: float) -> None:
    if s.worst is None:
        return
    day, value = s.worst
    x = float(_to_num([day])[0])
    ax.plot(
        [x],
        [value],
        marker="o",
        markersize=10,
        color=colour,
        markeredgecolor=theme.text,
        markeredgewidth=1.5,
        linestyle="none",
        zorder=6,
        label=f"_worst {s.label}",
        gid=f"worst-marker:{s.group}",
    )
    frac = (x - x0) / (x1 - x0) if x1 > x0 else 0.5
    ha = "left" if frac < 0.12 else "right" if frac > 0.88 else "center"
    ax.annotate(
        f"worst {pct(value, 1)} · {day.isoformat()}",
        xy=(x, value),
        xytext=(0, -20),
        textcoords="offset points",
        ha=ha,
        va="top",
        color=colour,
        fontsize=12,
        fontweight="bold",
        fontfamily=FONT,
        parse_math=False,
        bbox={"boxstyle": "round,pad=0.25", "fc": theme.background, "ec": "none", "alpha": 0.85},
        zorder=7,
        gid=f"worst:{s.group}",
    )


def _fig_text(
    fig: Figure,
    x: float,
    y: float,
    text: str,
    gid: str,
    colour: str,
    size: float,
    bold: bool = False,
    ha: str = "left",
) -> None:
    fig.text(
        x, y, text, color=colour, fontsize=size, fontweight="bold" if bold else "normal",
        fontfamily=FONT, ha=ha, va="baseline", parse_math=False, gid=gid,
    )  # fmt: skip


# -- the figure --------------------------------------------------------------------------
def build_figure(data: ChartData, theme: str = "dark") -> Figure:
    """The chart as a matplotlib Figure (1600x900 at 100 dpi), not yet encoded."""
    th = theme_of(theme)
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor=th.background)
    FigureCanvasAgg(fig)
    ax = fig.add_axes(AXES_RECT)
    _style_axes(ax, th, data)

    headlines = {id(h) for g in data.groups if (h := data.headline(g)) is not None}
    # Dates converted once per distinct list: every line of a chart has equal dates, but
    # each its own list, and converting 20 years of dates took a third of a long chart.
    converted: list[tuple[list, np.ndarray]] = []
    labels: list[_Label] = []
    x0 = x1 = 0.0
    member_index = {"target": 0, "vs": 0}
    member_alpha = 0.55 if data.style == "drawdown" else 0.8
    ordered = sorted(data.series, key=lambda s: id(s) in headlines)  # headlines drawn last
    for s in ordered:
        headline = id(s) in headlines
        xs = next((x for d, x in converted if d is s.dates or d == s.dates), None)
        if xs is None:
            xs = _to_num(s.dates)
            converted.append((s.dates, xs))
        x0, x1 = float(xs[0]), float(xs[-1])
        draw_x, draw_y = m4(xs, s.values, PLOT_COLUMNS)
        index = member_index[s.group]
        if not headline:
            member_index[s.group] += 1
        colour = line_colour(th, s.group, index, headline)
        width = HEADLINE_WIDTH if headline else MEMBER_WIDTH
        (line,) = ax.plot(
            draw_x,
            draw_y,
            color=colour,
            linewidth=width,
            alpha=1.0 if headline else member_alpha,
            zorder=4 if headline else 2,
            label=s.label,
            solid_capstyle="round",
            solid_joinstyle="round",
        )
        gid = f"{s.group}:{s.kind}:{s.label}"
        line.set_gid(gid)
        if headline:
            line.set_path_effects(
                [
                    patheffects.Stroke(linewidth=width + 3, foreground=th.background),
                    patheffects.Normal(),
                ]
            )
        labels.append(
            _Label(
                gid,
                _label_text(data, s, headline),
                s.final,
                colour,
                14.0 if headline else 11.0,
                headline,
            )
        )
    if x1 <= x0:
        x0, x1 = x0 - 1.0, x1 + 1.0
    ax.set_xlim(x0, x1)
    if x1 - x0 < 10:
        # A few days: whole-day ticks (the automatic locator would label hours).
        days = mdates.DayLocator()
        ax.xaxis.set_major_locator(days)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(days))
    y_lo, y_hi = _limits(data)
    ax.set_ylim(y_lo, y_hi)
    _edge_labels(ax, labels, y_lo, y_hi)
    if data.style == "drawdown":
        for s in ordered:
            if id(s) in headlines:
                colour = line_colour(th, s.group, 0, True)
                _mark_worst(ax, th, s, colour, x0, x1)

    left = AXES_RECT[0]
    _fig_text(fig, left, 0.94, clip(data.title, 95), "title", th.text, 24, bold=True)
    _fig_text(fig, left, 0.885, clip(data.subtitle, 150), "subtitle", th.muted, 14)
    _fig_text(fig, left, 0.03, clip(data.footnote, 190), "footnote", th.muted, 11)
    if data.stale:
        _fig_text(fig, 0.985, 0.94, "STALE DATA", "stale", th.warning, 16, bold=True, ha="right")
    return fig


def encode_png(fig: Figure) -> bytes:
    """PNG bytes at exactly 1600x900, with fixed metadata (no version or time stamp):
    :func:`analytics.charts.png.figure_png`, the pixels ``savefig`` would write, faster."""
    return figure_png(fig)


def render_png(data: ChartData, theme: str = "dark") -> bytes:
    """Build and encode in one go (what commands call, in a worker thread)."""
    return encode_png(build_figure(data, theme))
