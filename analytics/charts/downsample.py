"""Fewer points to draw, the same picture: M4 bucketing per pixel column, for drawing only.

A 20-year line has about 5,200 daily points and the axes are 1,120 pixels wide, so several
points share each pixel column. A rasterised line within one column is decided by four of
them: where it enters (the first point), its lowest and highest point, and where it leaves
(the last); the points in between draw nothing the four do not (M4: Jugel et al., "M4: A
Visualization-Oriented Time Series Data Aggregation", VLDB 2014). So each column keeps just
those, in their order.

What stays exact, because kept points are original points, never averages: the first and
last point of the line, each column's minimum and maximum (so the line's extremes), and
every gap: a NaN (where matplotlib breaks a line) is kept once per column it falls in.

Only the drawing uses this: :class:`~analytics.metrics.chartdata.ChartData` (the numbers,
labels, ``--json``) is never downsampled. A line with at most four points per column is
returned as given (the same objects), so every chart of up to about 16 years of daily closes
draws exactly as before, byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Points per column M4 keeps at most (first, min, max, last); NaN gaps add one more.
PER_COLUMN = 4


def m4(
    xs: np.ndarray, ys: Sequence[float] | np.ndarray, columns: int
) -> tuple[np.ndarray, Sequence[float] | np.ndarray]:
    """``(xs, ys)`` reduced to the first, minimum, maximum and last point of each of
    ``columns`` equal slices of the x range (and the first NaN of a slice holding one);
    unchanged, as the very objects given, when there are at most ``4 * columns`` points.

    ``xs`` must be ascending (dates on the x axis). The output has at most
    ``5 * columns`` points and is ordered as the input.
    """
    n = len(xs)
    if n <= PER_COLUMN * columns or columns < 1:
        return xs, ys
    x = np.asarray(xs, dtype="float64")
    y = np.asarray(ys, dtype="float64")
    span = x[-1] - x[0]
    if not span > 0:
        # All points on one x: one column.
        column = np.zeros(n, dtype=np.int64)
    else:
        column = np.minimum(((x - x[0]) * (columns / span)).astype(np.int64), columns - 1)
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    ends = np.r_[starts[1:], n] - 1
    lengths = np.diff(np.r_[starts, n])
    index = np.arange(n)
    nan = np.isnan(y)
    low = np.where(nan, np.inf, y)
    high = np.where(nan, -np.inf, y)
    # The first index reaching each column's min (max): among the positions where the value
    # equals its column's min, the smallest.
    at_min = low == np.repeat(np.minimum.reduceat(low, starts), lengths)
    at_max = high == np.repeat(np.maximum.reduceat(high, starts), lengths)
    argmin = np.minimum.reduceat(np.where(at_min, index, n), starts)
    argmax = np.minimum.reduceat(np.where(at_max, index, n), starts)
    first_nan = np.minimum.reduceat(np.where(nan, index, n), starts)
    keep = np.unique(np.concatenate([starts, ends, argmin, argmax, first_nan[first_nan < n]]))
    return x[keep], y[keep]
