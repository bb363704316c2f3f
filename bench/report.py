"""The report: a table for people (Markdown, pasteable into docs/benchmarks.md) and JSON."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bench.core import Config, Figure, fmt


def verdict(figure: Figure) -> str:
    if figure.passed is None:
        return ""
    return "pass" if figure.passed else "**MISS**"


def table(figures: Sequence[Figure]) -> str:
    rows = [
        ["#", "figure", "value", "spread (p25–p75)", "n", "target", "result"],
        ["---", "---", "---:", "---:", "---:", "---", "---"],
    ]
    for f in figures:
        spread = f.spread_text
        rows.append(
            [
                f.group,
                f.name + (f" ({f.note})" if f.note else ""),
                f"{fmt(f.value)} {f.unit}",
                spread,
                str(f.runs),
                f.target_text + (f" {f.unit}" if f.target_text else ""),
                verdict(f),
            ]
        )
    return "\n".join("| " + " | ".join(r) + " |" for r in rows)


def summary(figures: Sequence[Figure]) -> str:
    judged = [f for f in figures if f.passed is not None]
    missed = [f for f in judged if not f.passed]
    text = f"{len(judged) - len(missed)} of {len(judged)} targets met"
    if missed:
        text += "; missed: " + "; ".join(f"{f.group} {f.name}" for f in missed)
    return text


def load_average() -> float:
    """1-minute load average: other work on the machine skews every timing."""
    return round(os.getloadavg()[0], 2)


def machine(load_before: float) -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": load_average(),
    }


def to_json(
    figures: Sequence[Figure], config: Config, seconds: float, load_before: float
) -> dict[str, Any]:
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": config.to_json(),
        "machine": machine(load_before),
        "seconds": round(seconds, 1),
        "figures": [f.to_json() for f in figures],
        "summary": summary(figures),
    }
