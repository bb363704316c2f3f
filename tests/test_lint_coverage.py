"""``make lint`` reads every source file: ruff's exclusions must not hide a package.

Found once: ``extend-exclude = ["data"]`` (meant for the ./data folder of SQLite files)
matched every folder named ``data``, so ruff never checked ``analytics/data/`` or
``tests/analytics/data/``: 13 lint errors (12 of them fixable) and 8 unformatted files had
piled up there. Ruff is asked which files it would check; each ``.py`` file git
tracks under the three packages, bench and tests must be among them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("analytics", "commands", "bot", "bench", "tests")


def test_ruff_checks_every_tracked_python_file() -> None:
    ruff = Path(sys.executable).with_name("ruff")
    shown = subprocess.run(
        [str(ruff), "check", "--show-files", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    checked = {Path(line.strip()).resolve() for line in shown.splitlines() if line.strip()}
    tracked = subprocess.run(
        ["git", "ls-files", "--", *(f"{p}/*.py" for p in PACKAGES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert len(tracked) > 200
    missing = sorted(p for p in tracked if (ROOT / p).resolve() not in checked)
    assert missing == []
