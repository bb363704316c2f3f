"""Reliability suite: the shared bot fixture, and figures written at the end of the run
(see figures.py)."""

from __future__ import annotations

import time

import pytest

from tests.bot.conftest import running  # noqa: F401  (the e2e fixture, shared here)
from tests.reliability import figures

_STARTED = time.time()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    marker = session.config.getoption("-m") or ""
    figures.write(
        {
            "finished_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
            "seconds": round(time.time() - _STARTED, 1),
            "markers": marker,
            "exit_status": int(exitstatus),
        },
        marker,
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts = figures.snapshot()
    if not counts:
        return
    terminalreporter.section("reliability figures")
    for key, value in counts.items():
        terminalreporter.write_line(f"{key}: {value}")
    marker = terminalreporter.config.getoption("-m") or ""
    terminalreporter.write_line(f"(written to {figures.path(marker)})")
