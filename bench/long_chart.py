"""Figure 7, long charts: a 20-year ``/chart`` of 25 symbols against a bare matplotlib plot.

The same synthetic 20-year cache as the scale figures (:func:`bench.scale.build_cache`),
one chart of all 25 symbols over ``period:max``. Timed alternately, each pair in the same
moment of the machine's load:

* **the whole /chart handler**: command parsed → reply with the PNG built, as figure 4
  times it (the 130,000 closes read from SQLite, the lines built, the JSON and the PNG),
  with the PNG cache cleared each time (the closes come from the market cache's memory
  after the first read, as for any repeated basket; the same handler with them read from
  SQLite again is given for information);
* **the bare plot**: ``ax.plot`` of the same 25 member lines, every point, at the same
  1600x900 size and dpi, saved as PNG (:func:`bench.handlers.bare_plot`).

Their ratio is the target (issue 16: "``/chart`` over 20 years at most 2x the bare plot").
For information: the render alone (the chart's data, loaded outside the clock, to PNG
bytes) over the same bare plot, and a 20-year ``/compare`` of the same 25 symbols (12
against 13), which draws the same kind of chart.
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
    half = len(symbols) // 2
    left, right = ",".join(symbols[:half]), ",".join(symbols[half:])
    versus = Parsed.of(f"/compare left:{left} right:{right} period:max end:{END.isoformat()}")
    target = Target(",".join(symbols), tuple(symbols), "symbols")
    try:
        data = chart_data(services.market, target, Period(name="max", end=END))
        lines = member_lines(data)
        if len(lines) != n:
            raise RuntimeError(f"expected {n} member lines, got {len(lines)}")
        charts = services.charts
        for _ in range(2):  # first calls pay for fonts, imports and SQLite page faults
            charts.cache.clear()
            charts.chart_png(data)
            bare_plot(lines)
            charts.cache.clear()
            check(question.run(services), "long chart")
        render, bare, ratios, handler, whole, unread = (Samples() for _ in range(6))
        compare = Samples()
        for _ in range(max(cfg.slow_repeats * 2, 2)):
            charts.cache.clear()  # drawing is measured, not reuse
            ms_render, png = time_ms(lambda: charts.chart_png(data))
            ms_bare, _png = time_ms(lambda: bare_plot(lines))
            if not png:
                raise RuntimeError("the renderer drew nothing")
            render.add(ms_render)
            ratios.add(ms_render / ms_bare)
            charts.cache.clear()
            ms, reply = time_ms(lambda: question.run(services))
            if not check(reply, "long chart").image:
                raise RuntimeError("/chart answered without an image")
            ms_bare, _png = time_ms(lambda: bare_plot(lines))
            handler.add(ms)
            bare.add(ms_bare)
            whole.add(ms / ms_bare)
        for _ in range(max(cfg.slow_repeats, 1)):
            # The closes not yet in memory: the first chart of these symbols since a write.
            charts.cache.clear()
            services.cache.closes_memo.clear()
            ms, reply = time_ms(lambda: question.run(services))
            check(reply, "long chart, closes read from SQLite")
            unread.add(ms)
        for _ in range(max(cfg.slow_repeats, 1)):
            charts.cache.clear()
            ms, reply = time_ms(lambda: versus.run(services))
            if not check(reply, "long compare").image:
                raise RuntimeError("/compare answered without an image")
            compare.add(ms)
    finally:
        services.close()
    points = len(data.series[0].dates)
    group = "7 scale"
    return [
        handler.figure(group, f"/chart {n} symbols x {years}y ({points} days, handler)", "ms"),
        bare.figure(group, f"bare matplotlib, same {n} lines, 1600x900 PNG", "ms"),
        whole.figure(group, f"/chart {years}y handler / bare plot (same run)", "x", target=2.0),
        unread.figure(
            group,
            f"/chart {n} x {years}y, closes read from SQLite (not in memory yet), handler",
            "ms",
        ),
        render.figure(group, f"/chart render only (data loaded), {n} x {years}y", "ms"),
        ratios.figure(group, "render only / bare plot (same run)", "x"),
        compare.figure(group, f"/compare {half} vs {n - half} symbols x {years}y (handler)", "ms"),
        Figure(
            group, "source calls while charting", source.calls, "calls", target=0.0, compare="=="
        ),
    ]
