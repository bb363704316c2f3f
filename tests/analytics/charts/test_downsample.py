"""M4 downsampling for drawing: what must stay exact stays exact, short lines are untouched,
and a long chart's lines are drawn from fewer points than its numbers hold."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import numpy as np
import pytest

from analytics.charts.downsample import m4
from analytics.charts.figures import PLOT_COLUMNS, build_figure
from analytics.metrics.chartdata import ChartData, ChartSeries
from analytics.metrics.targets import Target

COLUMNS = 100


def walk(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Weekday-like x (gaps of 1 or 3) and a random walk."""
    rng = random.Random(seed)
    xs, ys, x, y = [], [], 0.0, 100.0
    for i in range(n):
        x += 3.0 if i % 5 == 4 else 1.0
        y *= math.exp(rng.gauss(0.0, 0.02))
        xs.append(x)
        ys.append(y)
    return np.array(xs), np.array(ys)


@pytest.mark.parametrize("n", [401, 1000, 5219, 20_000])
def test_extremes_first_and_last_point_are_exact_and_the_length_bounded(n: int) -> None:
    xs, ys = walk(n, seed=n)
    dx, dy = m4(xs, ys, COLUMNS)
    assert len(dx) == len(dy) <= 4 * COLUMNS < n
    assert (dx[0], dy[0]) == (xs[0], ys[0])
    assert (dx[-1], dy[-1]) == (xs[-1], ys[-1])
    assert dy.min() == ys.min() and dy.max() == ys.max()
    i, j = int(np.argmin(ys)), int(np.argmax(ys))
    assert xs[i] in dx and xs[j] in dx  # at their own x, not somewhere else
    # Kept points are original points, in their order.
    assert np.all(np.diff(dx) > 0)
    lookup = dict(zip(xs.tolist(), ys.tolist(), strict=True))
    assert all(lookup[x] == y for x, y in zip(dx.tolist(), dy.tolist(), strict=True))


def test_each_column_keeps_its_own_min_and_max() -> None:
    xs, ys = walk(5000, seed=7)
    dx, dy = m4(xs, ys, COLUMNS)
    edges = xs[0] + (xs[-1] - xs[0]) * np.arange(COLUMNS + 1) / COLUMNS
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside, kept = (xs >= lo) & (xs < hi), (dx >= lo) & (dx < hi)
        if inside.any():
            assert dy[kept].min() == ys[inside].min() and dy[kept].max() == ys[inside].max()


def test_a_line_with_few_points_is_returned_unchanged() -> None:
    xs, ys = walk(4 * COLUMNS)
    values = ys.tolist()
    dx, dy = m4(xs, values, COLUMNS)
    assert dx is xs and dy is values  # the very objects: a short chart draws as before


def test_nan_gaps_are_kept_and_do_not_hide_the_extremes() -> None:
    xs, ys = walk(3000, seed=3)
    ys[100:400] = np.nan  # a long gap across several columns
    ys[1500] = np.nan  # a one-day gap
    ys[0] = np.nan  # the line starts with a gap
    dx, dy = m4(xs, ys, COLUMNS)
    assert len(dx) <= 5 * COLUMNS
    assert math.isnan(dy[0]) and dx[0] == xs[0]
    assert (dx[-1], dy[-1]) == (xs[-1], ys[-1])
    assert np.nanmin(dy) == np.nanmin(ys) and np.nanmax(dy) == np.nanmax(ys)
    assert xs[1500] in dx[np.isnan(dy)]  # the single missing day still breaks the line
    # Every column of the long gap is still a gap: nothing is drawn across it.
    gap = (dx >= xs[100]) & (dx <= xs[399])
    assert gap.any() and np.isnan(dy[gap]).all()


def test_an_all_nan_line_stays_all_nan_and_bounded() -> None:
    xs = np.arange(2000.0)
    dx, dy = m4(xs, np.full(2000, np.nan), COLUMNS)
    assert len(dx) <= 5 * COLUMNS and np.isnan(dy).all() and dx[0] == 0.0 and dx[-1] == 1999.0


def test_a_long_chart_draws_fewer_points_than_its_numbers_hold() -> None:
    """Through the renderer: the 1120-pixel axes get M4'd lines, ChartData keeps every value."""
    days = [date(2000, 1, 3) + timedelta(days=i) for i in range(8000)]
    _, ys = walk(8000, seed=11)
    values = ((ys / ys[0] - 1.0) * 100.0).tolist()
    target = Target("LONG", ("LONG",), "symbols")
    series = ChartSeries("LONG", "member", "target", days, values, "USD")
    data = ChartData(
        style="rebased", requested_style="rebased", target=target, vs=None, basis="price",
        currency="local", currencies=["USD"], start=days[0], end=days[-1], series=[series],
        as_of=days[-1], stale=False, source="test", notes=[], excluded=[],
    )  # fmt: skip
    fig = build_figure(data)
    (line,) = [ln for ln in fig.axes[0].get_lines() if ln.get_gid() == "target:member:LONG"]
    drawn = np.asarray(line.get_ydata())
    assert len(drawn) <= 4 * PLOT_COLUMNS < len(values) == len(series.values)
    assert drawn[-1] == values[-1] and drawn.min() == min(values) and drawn.max() == max(values)
