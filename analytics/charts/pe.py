"""The P/E-history chart: :class:`~analytics.metrics.pe_history.PeChartData` in, a 1600x900 PNG out.

Same canvas, themes, fonts and fixed layout as :mod:`analytics.charts.figures` (and the same
reasons: no pyplot, fixed PNG metadata). Differences that the data asks for: the y axis is a
multiple (``25x``) starting at zero, so "far lower" looks far lower; earnings step at each
report, so lines are drawn as steps-post between points; and a legend carries each basket's
latest P/E and the discount or premium between them, the one sentence the chart is for.
"""

from __future__ import annotations

from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from analytics.charts.figures import (
    AXES_RECT,
    DPI,
    FONT,
    HEADLINE_WIDTH,
    HEIGHT_PX,
    WIDTH_PX,
    _fig_text,
    _to_num,
    encode_png,
    line_colour,
    style_frame,
    theme_of,
)
from analytics.metrics.pe_history import PeChartData
from analytics.metrics.text import clip

#: The P/E chart has no right-margin labels (a legend instead): a wider plot.
PE_AXES_RECT = (AXES_RECT[0], AXES_RECT[1], 0.88, AXES_RECT[3])


def _multiple_tick(value: float, _pos: object = None) -> str:
    return f"{value:g}x"


def build_pe_figure(data: PeChartData, theme: str = "dark") -> Figure:
    """The P/E chart as a Figure (tests inspect its lines, legend and texts)."""
    th = theme_of(theme)
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor=th.background)
    FigureCanvasAgg(fig)
    ax = fig.add_axes(PE_AXES_RECT)
    style_frame(ax, th)
    ax.yaxis.set_major_formatter(FuncFormatter(_multiple_tick))
    ax.set_ylabel("Trailing P/E", color=th.muted, fontsize=13, fontfamily=FONT)

    handles: list[Line2D] = []
    x0, x1, top = float("inf"), float("-inf"), 0.0
    for line in data.lines:
        xs = _to_num(line.dates)
        colour = line_colour(th, line.group, 0, True)
        (drawn,) = ax.plot(
            xs,
            line.values,
            drawstyle="steps-post",
            color=colour,
            linewidth=HEADLINE_WIDTH,
            zorder=4,
            label=f"{clip(line.label, 24)} {line.final:.1f}x",
            gid=f"{line.group}:pe:{line.label}",
        )
        drawn.set_path_effects(
            [
                patheffects.Stroke(linewidth=HEADLINE_WIDTH + 3, foreground=th.background),
                patheffects.Normal(),
            ]
        )
        handles.append(drawn)
        x0, x1 = min(x0, float(xs[0])), max(x1, float(xs[-1]))
        top = max(top, max(line.values))
    if x1 <= x0:
        x0, x1 = x0 - 1.0, x1 + 1.0
    ax.set_xlim(x0, x1)
    ax.set_ylim(0.0, top * 1.12 if top > 0 else 1.0)
    premium = data.premium_text
    if premium:
        handles.append(Line2D([], [], linestyle="none", label=premium))
    legend = ax.legend(
        handles=handles,
        loc="upper left",
        frameon=True,
        facecolor=th.background,
        edgecolor=th.grid,
        labelcolor=th.text,
        prop={"family": FONT, "size": 14},
    )
    legend.set_gid("legend")

    left = AXES_RECT[0]
    _fig_text(fig, left, 0.94, clip(data.title, 95), "title", th.text, 24, bold=True)
    _fig_text(fig, left, 0.885, clip(data.subtitle, 150), "subtitle", th.muted, 14)
    _fig_text(fig, left, 0.03, clip(data.footnote, 190), "footnote", th.muted, 11)
    if data.stale:
        _fig_text(fig, 0.985, 0.94, "STALE DATA", "stale", th.warning, 16, bold=True, ha="right")
    return fig


def render_pe_png(data: PeChartData, theme: str = "dark") -> bytes:
    return encode_png(build_pe_figure(data, theme))
