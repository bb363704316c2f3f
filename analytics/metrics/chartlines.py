"""Chart lines from member paths: alignment on one calendar, growth, baskets, drawdowns.

The arithmetic of :mod:`analytics.metrics.chartdata`, apart from its dataclasses and
words. Paths read column-wise (:attr:`MemberPath.arrays`) are used as the arrays they are,
so a 20-year chart never converts its 130,000 dates and closes back and forth.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date

import numpy as np

from analytics.metrics.returns import MemberPath


def align(paths: Sequence[MemberPath]) -> tuple[list[date], np.ndarray]:
    """Values of every path on the union of their dates: shape (paths, dates).

    After a path's last day its last close is carried; before its base day it holds its
    base close (nothing was invested yet, so it must read 0%, not a gap).

    Plain numpy (a sorted union of day numbers, then each path's last value on or before
    each day): the same numbers as pandas' ``concat().ffill().bfill()``, without pandas,
    so the chart workers never import it and long histories align in linear time.
    """
    if not paths:
        raise ValueError("nothing to align: no member paths")
    ordinals = [_ordinals(p) for p in paths]
    union = np.unique(np.concatenate(ordinals))
    matrix = np.empty((len(paths), len(union)), dtype="float64")
    for row, (path, days) in enumerate(zip(paths, ordinals, strict=True)):
        order = np.argsort(days, kind="stable")
        values = _values(path)[order]
        at = np.searchsorted(days[order], union, side="right") - 1
        matrix[row] = values[np.maximum(at, 0)]
    return [date.fromordinal(int(x)) for x in union], matrix


def _ordinals(path: MemberPath) -> np.ndarray:
    """A path's days as ``date.toordinal`` numbers (read so when the path was)."""
    if path.arrays is not None:
        return path.arrays.days
    return np.fromiter((d.toordinal() for d in path.days), np.int64, len(path.days))


def _values(path: MemberPath) -> np.ndarray:
    if path.arrays is not None:
        return path.arrays.values
    return np.asarray(path.values, dtype="float64")


def growth(paths: Sequence[MemberPath], matrix: np.ndarray) -> np.ndarray:
    """Each row divided by its member's own base close: 1.0 at the base date."""
    bases = np.array([p.values[0] for p in paths], dtype="float64")
    return matrix / bases[:, None]


def equal_weighted(growths: np.ndarray) -> np.ndarray:
    """Buy-and-hold value of equal amounts (1 each): the mean growth factor per date."""
    return growths.mean(axis=0)


def drawdown(values: np.ndarray) -> np.ndarray:
    """Percent below the running peak of a (positive) value series."""
    return (values / np.maximum.accumulate(values) - 1.0) * 100.0


def worst(days: list[date], dd: np.ndarray) -> tuple[date, float]:
    """The deepest point of a drawdown line (its first, if several): the chart marks it."""
    i = int(np.argmin(dd))
    return days[i], float(dd[i])


def inputs_digest(paths: Sequence[MemberPath]) -> str:
    """:attr:`ChartData.data_version` of these member paths."""
    digest = hashlib.blake2b(digest_size=16)
    for p in paths:
        digest.update(f"{p.symbol}|{p.local_currency}|{p.currency}|{p.stale}|".encode())
        digest.update(_ordinals(p))
        digest.update(_values(p))
    return digest.hexdigest()
