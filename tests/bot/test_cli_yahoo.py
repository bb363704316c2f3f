"""The console on the yfinance path: MARKETBOT_YAHOO_BASE_URL pointed at the Yahoo double.

The real `marketbot` process, the real yfinance, the double serving the shared real prices:
one request per symbol for a cold basket, none for a repeat, stale answers on a 429.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analytics.metrics.targets import PRESETS
from tests.real_data import closes_on
from tests.yahoo_double import running_double, shared_symbols

pytestmark = pytest.mark.timeout(120)
MAG7 = list(PRESETS["mag7"])


def ask(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", command, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )


def test_yahoo_path_end_to_end_with_cache_and_stale_fallback(tmp_path: Path) -> None:
    with running_double(shared_symbols([*MAG7, "0700.HK"])) as double:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETBOT_")}
        env |= {
            "MARKETBOT_SOURCE": "yahoo",
            "MARKETBOT_YAHOO_BASE_URL": double.base_url,
            "MARKETBOT_CACHE": str(tmp_path / "cache.sqlite3"),
            "MARKETBOT_DB": str(tmp_path / "marketbot.sqlite3"),
        }
        question = f"/returns target:{','.join(MAG7)},0700.HK start:2024-12-31 end:2025-03-07"
        first = ask(question, env)
        assert first.returncode == 0, first.stderr
        data = json.loads(first.stdout)
        assert [m["symbol"] for m in data["members"]] == [*MAG7, "0700.HK"]
        for member in data["members"]:
            s = member["symbol"]
            expected = closes_on(s, "2025-03-07") / closes_on(s, "2024-12-31") - 1
            assert member["return_pct"] == pytest.approx(expected * 100, abs=1e-6)
        hk = next(m for m in data["members"] if m["symbol"] == "0700.HK")
        assert hk["currency"] == "HKD" and hk["end_date"] == "2025-03-07"
        # One yf.download for the eight symbols: one history request per symbol.
        for symbol in [*MAG7, "0700.HK"]:
            assert len(double.chart_requests(symbol)) == 1, symbol
        assert data["stale"] is False

        double.clear_requests()
        again = ask(question, env)
        assert again.returncode == 0 and json.loads(again.stdout) == data
        assert double.chart_requests() == []  # answered from the cache

        double.rate_limit()
        later = ask("/returns target:mag7 start:2024-12-31 end:2025-03-14", env)
        assert later.returncode == 0, later.stderr
        stale = json.loads(later.stdout)
        assert stale["stale"] is True  # the new week could not be fetched: cached data, marked
        assert {m["end_date"] for m in stale["members"]} == {"2025-03-07"}

        limited = ask("/returns target:NOPE1 period:1m", env)
        assert limited.returncode == 3  # nothing cached and the source refuses: no data
        assert limited.stderr.count("\n") == 1 and "rate limited" in limited.stderr

        double.clear_faults()
        unknown = ask("/returns target:NOPE1 period:1m", env)
        assert unknown.returncode == 2
        assert unknown.stderr.startswith("marketbot: Unknown symbol NOPE1")
        assert unknown.stderr.count("\n") == 1 and "Traceback" not in unknown.stderr
