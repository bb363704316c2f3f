"""Figures 1, 2 and 4: handler time, from the command parsed to the reply built.

1. Warm ``/returns`` of a 10-member basket over one year, answered from SQLite.
2. The same question the naive way: no cache, every command downloads its range through
   yfinance from the Yahoo double (150 ms per request). Runs are interleaved with the warm
   ones, and the ratio naive / warm is taken from the same run.
4. Warm ``/chart`` of two 7-member baskets over one year against a bare matplotlib plot of
   the same 14 member lines at the same size (1600x900 PNG), measured alternately.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure

from analytics.charts.figures import DPI, HEIGHT_PX, WIDTH_PX
from analytics.metrics.chartdata import ChartData, chart_data
from analytics.metrics.periods import Period
from bench.core import Figure, Samples, time_ms
from bench.env import CHART_Q, END, RETURNS_Q, BenchEnv, Parsed, check


def returns_figures(env: BenchEnv) -> list[Figure]:
    """Figures 1 and 2 (the warm cache must already hold the question's bars)."""
    cfg = env.config
    question = Parsed.of(RETURNS_Q)
    for _ in range(3):  # first calls pay for imports and SQLite page faults
        check(question.run(env.warm), RETURNS_Q)
    warm, naive = Samples(), Samples()
    per_naive = max(1, cfg.repeats // cfg.slow_repeats)
    done = 0
    for i in range(cfg.slow_repeats):
        # No cache: a fresh, empty database for each naive command (built before the clock
        # starts), so every command fetches its whole range through yfinance.
        fresh = env.services(f"naive-{i}.sqlite3")
        try:
            ms, reply = time_ms(lambda fresh=fresh: question.run(fresh))
            check(reply, "naive " + RETURNS_Q)
            naive.add(ms)
        finally:
            fresh.close()
            for suffix in ("", "-wal", "-shm"):
                (env.workdir / f"naive-{i}.sqlite3{suffix}").unlink(missing_ok=True)
        for _ in range(per_naive if i < cfg.slow_repeats - 1 else cfg.repeats - done):
            ms, _reply = time_ms(lambda: question.run(env.warm))
            warm.add(ms)
            done += 1
    ratio = naive.median / warm.median
    return [
        warm.figure("1 returns", "warm /returns, 10 symbols x 1y (handler)", "ms", target=20.0),
        naive.figure(
            "2 naive",
            "naive /returns (no cache, yfinance each time)",
            "ms",
            note=f"{env.config.delay * 1000:.0f} ms per Yahoo request",
        ),
        Figure(
            "2 naive",
            "naive / warm (same run)",
            ratio,
            "x",
            target=20.0,
            compare=">=",
            runs=len(naive.values),
        ),
    ]


def bare_plot(lines: list[tuple[np.ndarray, list[float]]]) -> bytes:
    """The baseline: matplotlib's plainest way to draw the same lines at the same size."""
    fig = MplFigure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for xs, ys in lines:
        ax.plot(xs, ys)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def member_lines(data: ChartData) -> list[tuple[np.ndarray, list[float]]]:
    lines = []
    for s in data.series:
        if s.kind == "member":
            xs = np.array(s.dates, dtype="datetime64[D]")
            lines.append((xs, s.values))
    return lines


def chart_figures(env: BenchEnv) -> list[Figure]:
    """Figure 4 (the warm cache must already hold both baskets' bars)."""
    cfg = env.config
    question = Parsed.of(CHART_Q)
    target = env.warm.baskets.resolve_target("china-titans", 0)
    vs = env.warm.baskets.resolve_target("mag7", 0)
    data = chart_data(env.warm.market, target, Period(name="1y", end=END), vs=vs)
    lines = member_lines(data)
    if len(lines) != 14:
        raise RuntimeError(f"expected 14 member lines, got {len(lines)}")
    for _ in range(2):
        check(question.run(env.warm), CHART_Q)
        bare_plot(lines)
    chart, bare, ratios, reused = Samples(), Samples(), Samples(), Samples()
    for _ in range(max(cfg.slow_repeats * 2, 2)):
        env.warm.charts.cache.clear()  # this figure measures drawing, not reuse
        ms_chart, reply = time_ms(lambda: question.run(env.warm))
        if not check(reply, CHART_Q).image:
            raise RuntimeError("/chart answered without an image")
        ms_bare, _png = time_ms(lambda: bare_plot(lines))
        chart.add(ms_chart)
        bare.add(ms_bare)
        ratios.add(ms_chart / ms_bare)
        ms_again, again = time_ms(lambda: question.run(env.warm))  # the same PNG, kept
        if again.image != reply.image:
            raise RuntimeError("a reused chart differs from the one drawn")
        reused.add(ms_again)
    return [
        chart.figure("4 chart", "warm /chart, 2 x 7 symbols x 1y (handler)", "ms"),
        bare.figure("4 chart", "bare matplotlib, same 14 lines, 1600x900 PNG", "ms"),
        ratios.figure("4 chart", "/chart / bare plot (same run)", "x", target=2.0),
        reused.figure("4 chart", "the same /chart again (PNG reused, same bytes)", "ms"),
    ]
