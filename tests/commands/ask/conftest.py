"""Print the corpus figure and its misses at the end of every run that scored it."""

from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from tests.commands.ask.test_corpus import REPORT

    if REPORT:
        terminalreporter.write_sep("-", "question corpus")
        terminalreporter.write_line("\n".join(REPORT))
