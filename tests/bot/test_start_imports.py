"""The way to READY loads no heavy library: pandas, yfinance and matplotlib come later
(the first question Yahoo must answer, the first alignment, the chart workers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CODE = """
import sys
import bot.app
from bot.settings import load_settings
from bot.wiring import build_services
services = build_services(load_settings(dotenv_path=None))
print(services.market.source_label)
print(sorted(m for m in ("pandas", "yfinance", "matplotlib", "curl_cffi") if m in sys.modules))
services.close()
"""


def test_building_the_bot_and_its_services_imports_no_heavy_library(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "MARKETBOT_SOURCE": "yahoo",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    done = subprocess.run(
        [sys.executable, "-c", CODE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["Yahoo Finance", "[]"]
