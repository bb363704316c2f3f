"""The benchmark runs at its smallest size and reports well-formed figures.

No timing is asserted (timings belong to ``make bench``, not to the test suite); what is
asserted is that every figure is produced in the documented JSON shape, and that the
figures that are counts — deterministic — are exact: what yfinance asks the Yahoo double
for a cold, a repeated and an extended question, source calls during the scale run, and
replies to every burst interaction.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GROUPS = {
    "1 returns",
    "2 naive",
    "3 requests",
    "4 chart",
    "5 discord",
    "6 burst",
    "7 scale",
    "8 process",
    "9 ask",
    "10 storm",
    "11 autocomplete",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    printed = json.loads(proc.stdout)
    assert json.loads(out.read_text()) == printed
    return printed


def by_name(report: dict, group: str) -> dict[str, dict]:
    return {f["name"]: f for f in report["figures"] if f["group"] == group}


@pytest.mark.timeout(200)
def test_every_figure_is_reported_in_the_documented_shape(report: dict) -> None:
    assert report["config"]["quick"] is True
    figures = report["figures"]
    assert {f["group"] for f in figures} == GROUPS
    for f in figures:
        assert {"name", "value", "unit", "target", "pass"} <= set(f), f
        assert isinstance(f["name"], str) and f["name"] and isinstance(f["unit"], str)
        assert isinstance(f["value"], int | float) and math.isfinite(f["value"]), f
        assert f["target"] is None or f["target"].split()[0] in ("<=", ">=", "==")
        assert (f["pass"] is None) == (f["target"] is None), f
    judged = [f for f in figures if f["pass"] is not None]
    assert len(judged) >= 15
    assert (
        report["summary"].endswith(f"of {len(judged)} targets met") or "missed" in report["summary"]
    )


@pytest.mark.timeout(200)
def test_request_counts_are_exact(report: dict) -> None:
    counts = {name: f["value"] for name, f in by_name(report, "3 requests").items()}
    assert counts == {
        # yfinance alone: per symbol, one range request and one time-zone lookup.
        "bare yf.download, 10 symbols: data requests": 20,
        "cold /returns, 10 symbols: range requests": 10,
        "cold /returns, 10 symbols: time-zone lookups": 10,
        "repeated question: data requests": 0,
        "period extended by one day: data requests": 10,
        "period extended by one day: widest range asked": 1.0,
    }
    assert all(f["pass"] for f in by_name(report, "3 requests").values() if f["target"])


@pytest.mark.timeout(200)
def test_scale_is_answered_from_the_cache_and_every_burst_message_is_answered(
    report: dict,
) -> None:
    scale = by_name(report, "7 scale")
    assert scale["source calls while answering"]["value"] == 0
    for group in ("6 burst", "8 process"):
        answered = next(
            f for f in by_name(report, group).values() if f["name"].endswith(": answered")
        )
        sent = report["config"]["burst_size"] * report["config"]["bursts"]
        assert answered["pass"] is True and answered["value"] == sent


@pytest.mark.timeout(200)
def test_the_slot_storm_posts_each_subscription_once_without_429s(report: dict) -> None:
    storm = {name: f["value"] for name, f in by_name(report, "10 storm").items()}
    subs = report["config"]["storm_subs"]
    assert storm["storm: posts that arrived"] == subs == 200
    assert storm["storm: channels posted to twice"] == 0
    assert storm["storm: 429s Discord had to send"] == 0
    # 2 preset combinations + 2 tech baskets x 2 combinations (bench/storm.py's world).
    assert storm["storm: summaries computed"] == 6
    assert storm["storm: busiest second at Discord"] <= 50
