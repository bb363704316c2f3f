"""What every benchmark module shares: the run configuration, figures and statistics.

A :class:`Figure` is one line of the report: a median (or a count) with its unit, the
target it is held to and whether it met it. Timings are medians of repeated runs with the
interquartile range as the spread, so one slow outlier (a GC pause, the other core busy)
neither hides nor fakes a regression. Counts are exact and deterministic.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

Compare = Literal["<=", ">=", "=="]


@dataclass(frozen=True, slots=True)
class Config:
    """How big and how often. ``quick`` is the smoke-test size (seconds, not minutes)."""

    quick: bool = False
    #: Simulated Yahoo round trip per data request (the double's ``set_delay``).
    delay: float = 0.150
    #: Repetitions of fast measurements (handler timings, end-to-end commands).
    repeats: int = 30
    #: Repetitions of slow measurements (the naive path, charts, bursts, scale).
    slow_repeats: int = 7
    bursts: int = 3
    burst_size: int = 50
    scale_symbols: int = 25
    scale_years: int = 20
    #: Subscriptions due in one minute for the slot-storm figure.
    storm_subs: int = 10_000

    @classmethod
    def make(cls, quick: bool) -> Config:
        if not quick:
            return cls()
        # Tiny but complete: every figure is produced, counts stay exact.
        return cls(
            quick=True,
            delay=0.02,
            repeats=2,
            slow_repeats=1,
            bursts=1,
            burst_size=12,
            scale_symbols=4,
            scale_years=2,
            storm_subs=200,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "quick": self.quick,
            "delay_s": self.delay,
            "repeats": self.repeats,
            "slow_repeats": self.slow_repeats,
            "bursts": self.bursts,
            "burst_size": self.burst_size,
            "scale": f"{self.scale_symbols} symbols x {self.scale_years} years",
            "storm_subs": self.storm_subs,
        }


@dataclass(slots=True)
class Figure:
    """One reported number. ``target`` None: reported for information, no pass/fail."""

    group: str
    name: str
    value: float
    unit: str
    target: float | None = None
    compare: Compare = "<="
    spread: tuple[float, float] | None = None
    runs: int = 1
    note: str = ""

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        if self.compare == "<=":
            return self.value <= self.target
        if self.compare == ">=":
            return self.value >= self.target
        return self.value == self.target

    @property
    def target_text(self) -> str:
        return "" if self.target is None else f"{self.compare} {fmt(self.target)}"

    @property
    def spread_text(self) -> str:
        if self.spread is None:
            return ""
        return f"{fmt(self.spread[0])}–{fmt(self.spread[1])}"

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "name": self.name,
            "value": _finite(self.value),
            "unit": self.unit,
            "target": self.target_text or None,
            "pass": self.passed,
            "spread": [_finite(v) for v in self.spread] if self.spread else None,
            "runs": self.runs,
            "note": self.note,
        }


def _finite(value: float) -> float | None:
    """JSON has no NaN: a value that could not be measured is null."""
    return float(value) if math.isfinite(value) else None


def fmt(value: float) -> str:
    """Numbers as the table shows them: integers plain, the rest with 3 significant digits."""
    if not math.isfinite(value):
        return "n/a"
    if float(value).is_integer() and abs(value) < 1e12:
        return str(int(value))
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


@dataclass(slots=True)
class Samples:
    """Repeated measurements of one quantity."""

    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(value)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def spread(self) -> tuple[float, float]:
        """Interquartile range (p25–p75); min–max below 4 samples."""
        vals = sorted(self.values)
        if not vals:
            return (float("nan"), float("nan"))
        if len(vals) < 4:
            return (vals[0], vals[-1])
        q = statistics.quantiles(vals, n=4, method="inclusive")
        return (q[0], q[2])

    def figure(self, group: str, name: str, unit: str, **kw: Any) -> Figure:
        return Figure(
            group, name, self.median, unit, spread=self.spread, runs=len(self.values), **kw
        )


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 50 values is the 48th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-pct * len(ordered) // 100))))
    return ordered[rank - 1]


def time_ms(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Wall time of one call in milliseconds, and its result."""
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000.0, result


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as sw: ...`` then ``sw[0]`` is the elapsed milliseconds."""
    out: list[float] = []
    start = time.perf_counter()
    try:
        yield out
    finally:
        out.append((time.perf_counter() - start) * 1000.0)
