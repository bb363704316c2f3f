"""Jobs for the worker-pool tests: module-level (a spawned worker imports them by name)
and light (no test framework imported into the workers)."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path


def pid() -> int:
    return os.getpid()


def crash_once(marker: str) -> int:
    """Kill the worker the first time (as the OOM killer or a segfault would); answer after."""
    path = Path(marker)
    if not path.exists():
        path.write_text(str(os.getpid()))
        os._exit(70)
    return os.getpid()


def crash_always() -> int:
    os._exit(71)


def hang() -> None:
    """Never finish (a job stuck in a C call or a loop)."""
    while True:
        time.sleep(60)


def slow_in_worker(seconds: float) -> int:
    """Take ``seconds`` in a worker; at once in the calling process (after the pool stopped)."""
    if multiprocessing.parent_process() is not None:
        time.sleep(seconds)
    return os.getpid()
