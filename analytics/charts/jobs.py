"""The drawing jobs: what a chart worker process runs (and the bot's own threads, without
workers). Inputs are the plain dataclasses of :mod:`analytics.metrics`; outputs are PNG bytes.

matplotlib is imported inside the functions, not at the top: the bot process imports this
module to name the jobs it sends to its workers, and must not load matplotlib for that.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analytics.metrics.chartdata import ChartData
    from analytics.metrics.pe_history import PeChartData
    from analytics.metrics.summary import WeeklySummary


def draw_chart(data: ChartData, theme: str) -> bytes:
    """A ``/chart`` or ``/compare`` picture (:func:`analytics.charts.figures.render_png`)."""
    from analytics.charts.figures import render_png

    return render_png(data, theme)


def draw_pe(data: PeChartData, theme: str) -> bytes:
    """A ``/chart style:pe`` picture (:func:`analytics.charts.pe.render_pe_png`)."""
    from analytics.charts.pe import render_pe_png

    return render_pe_png(data, theme)


def draw_summary(summary: WeeklySummary, theme: str) -> bytes | None:
    """A weekly summary's race chart, or None when it has no chart data."""
    from analytics.charts.race import summary_png

    return summary_png(summary, theme)


def warm_worker() -> None:
    """A worker's initializer: import matplotlib and load its fonts before the first job.

    Drawing one small figure loads the font cache and the Agg renderer, so the first real
    chart costs what every later one does. Then everything alive is frozen out of the
    cyclic collector (it lives as long as the worker), and big buffers get their own
    mappings, as in the bot (:mod:`analytics.allocator`).
    """
    from analytics.allocator import return_big_buffers_to_the_system

    return_big_buffers_to_the_system()
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    import analytics.charts.figures  # noqa: F401  (the imports every job needs)
    import analytics.charts.pe  # noqa: F401
    import analytics.charts.race  # noqa: F401

    fig = Figure(figsize=(2, 1), dpi=50)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1])
    ax.set_title("warm-up", fontfamily="DejaVu Sans", fontweight="bold")
    fig.savefig(io.BytesIO(), format="png")
    gc.collect()
    gc.freeze()
