"""Figure 7, long charts: a 20-year ``/chart`` of 25 symbols against a bare matplotlib plot.

The same synthetic 20-year cache as the scale figures (:func:`bench.scale.build_cache`),
one chart of all 25 symbols over ``period:max``. Timed alternately, each pair in the same
moment of the machine's load:

* **the /chart render**: the chart's data (loaded once, outside the clock) to PNG bytes
  through the renderer, exactly what a ``/chart`` draws (the reuse key digested, the figure
  built with its labels and basket line, encoded), with the PNG cache cleared each time;
* **the bare plot**: ``ax.plot`` of the same 25 member lines, every point, at the same
  1600x900 size and dpi, saved as PNG (:func:`bench.handlers.bare_plot`).

Their ratio is the target (issue 16: at most 2x). The whole handler, loading the 130,000
bars included, is reported beside it for information.
"""

from __future__ import annotations

from analytics.metrics.chartdata import chart_data
from analytics.metrics.periods import Period
from analytics.metrics.targets import Target
from analytics.server.sqlite_store import SQLiteServerStore
from analytics.services import Services
from bench.core import Figure, Samples, time_ms
from bench.env import END, BenchEnv, Parsed, check
from bench.handlers import bare_plot, member_lines
from bench.scale import RefusingSource, build_cache, synthetic_symbols


def long_chart_figures(env: BenchEnv) -> list[Figure]:
    cfg = env.config
    symbols = synthetic_symbols(cfg.scale_symbols)
    n, years = cfg.scale_symbols, cfg.scale_years
    cache = build_cache(env.workdir / "long-chart.sqlite3", symbols, years)
    source = RefusingSource()
    services = Services.build(
        cache, SQLiteServerStore(env.workdir / "long-chart.server.sqlite3"), source
    )
    question = Parsed.of(f"/chart target:{','.join(symbols)} period:max end:{END.isoformat()}")
    target = Target(",".join(symbols), tuple(symbols), "symbols")
    try:
        data = chart_data(services.market, target, Period(name="max", end=END))
        lines = member_lines(data)
        if len(lines) != n:
            raise RuntimeError(f"expected {n} member lines, got {len(lines)}")
        charts = services.charts
        for _ in range(2):  # first calls pay for fonts and imports
            charts.chart_png(data)
            bare_plot(lines)
        render, bare, ratios, handler = Samples(), Samples(), Samples(), Samples()
        for _ in range(max(cfg.slow_repeats * 2, 2)):
            charts.cache.clear()  # drawing is measured, not reuse
            ms_render, png = time_ms(lambda: charts.chart_png(data))
            ms_bare, _png = time_ms(lambda: bare_plot(lines))
            if not png:
                raise RuntimeError("the renderer drew nothing")
            render.add(ms_render)
            bare.add(ms_bare)
            ratios.add(ms_render / ms_bare)
        for _ in range(max(cfg.slow_repeats, 1)):
            charts.cache.clear()
            ms, reply = time_ms(lambda: question.run(services))
            if not check(reply, "long chart").image:
                raise RuntimeError("/chart answered without an image")
            handler.add(ms)
    finally:
        services.close()
    points = len(data.series[0].dates)
    group = "7 scale"
    return [
        render.figure(group, f"/chart render, {n} symbols x {years}y ({points} days)", "ms"),
        bare.figure(group, f"bare matplotlib, same {n} lines, 1600x900 PNG", "ms"),
        ratios.figure(group, f"chart {years}y / bare plot (same run)", "x", target=2.0),
        handler.figure(group, f"/chart {n} symbols x {years}y handler (bars loaded)", "ms"),
        Figure(
            group, "source calls while charting", source.calls, "calls", target=0.0, compare="=="
        ),
    ]
