"""Counters the reliability suite fills while it runs ("cases tried", "faults injected",
"crashes survived", "rows lost"), written at the end of the session so docs/reliability.md
can quote the figures of the last run instead of made-up ones.

Where: ``$MARKETBOT_RELIABILITY_FIGURES`` or ``<repo>/build/reliability-figures.json``
(``reliability-figures-soak.json`` for a ``-m soak`` run; ``/build/`` is git-ignored). Subprocess helpers report their counts on stdout and the test
that started them adds them here.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from pathlib import Path

_COUNTS: Counter[str] = Counter()
_LOCK = threading.Lock()
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "build" / "reliability-figures.json"


def add(key: str, amount: int = 1) -> None:
    """Count ``amount`` more of ``key`` (e.g. ``"bad_input.cases"``)."""
    with _LOCK:
        _COUNTS[key] += amount


def snapshot() -> dict[str, int]:
    with _LOCK:
        return dict(sorted(_COUNTS.items()))


def path(markers: str = "") -> Path:
    if os.environ.get("MARKETBOT_RELIABILITY_FIGURES"):
        return Path(os.environ["MARKETBOT_RELIABILITY_FIGURES"])
    if "soak" in markers and "not soak" not in markers:
        return DEFAULT_PATH.with_name("reliability-figures-soak.json")
    return DEFAULT_PATH


def write(extra: dict[str, object], markers: str = "") -> Path | None:
    """Write the counters (plus ``extra``: run metadata) as JSON; None if nothing counted."""
    counts = snapshot()
    if not counts:
        return None
    target = path(markers)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({**extra, "figures": counts}, indent=1) + "\n")
    return target
