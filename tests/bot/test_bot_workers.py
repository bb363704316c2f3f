"""`marketbot run` with its chart workers, as a real process against the Discord double:
charts come from the workers byte for byte as the bot's own thread draws them, a killed
worker is replaced and the chart still answered, SIGTERM lets in-flight commands finish
and ends every worker, and nothing is left running (nor a zombie) once the bot exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from analytics.charts.figures import render_png
from analytics.data.sources.csvdir import CsvFolderSource
from analytics.metrics.chartdata import chart_data
from analytics.metrics.periods import Period
from analytics.services import Services
from tests.bot.test_bot_process import bot_env
from tests.discord_double.threaded import ThreadedDouble, run_in_thread
from tests.real_data import MARKET_DATA

pytestmark = pytest.mark.timeout(120)
CHART = {"target": "china-titans", "vs": "mag7", "start": "2024-12-31", "end": "2025-03-07"}


def parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def children(pid: int) -> list[int]:
    return sorted(
        int(e.name)
        for e in Path("/proc").iterdir()
        if e.name.isdigit() and parent_of(int(e.name)) == pid
    )


def exists(pid: int) -> bool:
    """Alive or a zombie: either way /proc/<pid> is still there."""
    return Path(f"/proc/{pid}").exists()


def expected_png(tmp_path: Path) -> bytes:
    """The same chart drawn here, in this process, from the same CSV files."""
    services = Services.open(
        tmp_path / "expected.sqlite3",
        tmp_path / "expected-db.sqlite3",
        CsvFolderSource(MARKET_DATA),
    )
    try:
        target = services.baskets.resolve_target("china-titans", 0)
        vs = services.baskets.resolve_target("mag7", 0)
        period = Period(
            start=date.fromisoformat(CHART["start"]), end=date.fromisoformat(CHART["end"])
        )
        return render_png(chart_data(services.market, target, period, vs=vs), "dark")
    finally:
        services.close()


def wait_log(path: Path, text: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not logged within {timeout} s")


def chart_png(threaded: ThreadedDouble, user: int) -> bytes:
    handle = threaded.run(threaded.double.send_slash("chart", CHART, user_id=user), timeout=20)
    followup = threaded.run(handle.wait_followup(timeout=60), timeout=70)
    assert followup.files, f"no chart attached: {followup.json}"
    return followup.files[0].data


def test_run_draws_in_workers_replaces_a_killed_one_and_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    expected = expected_png(tmp_path)
    with run_in_thread() as threaded:
        double = threaded.double
        env = bot_env(double.env(), double.token, tmp_path, MARKETBOT_CHART_WORKERS="2")
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        log_file = tmp_path / "logs" / "marketbot.log"
        spawned: set[int] = set()
        try:
            threaded.run(double.wait_identify(timeout=30), timeout=40)
            wait_log(log_file, "2 chart workers ready")
            workers = children(proc.pid)
            spawned.update(workers)
            assert len(workers) >= 2  # the two workers (and multiprocessing's resource tracker)

            assert chart_png(threaded, 1) == expected  # drawn by a worker, byte for byte

            victim = next(
                w
                for w in workers
                if b"resource_tracker" not in Path(f"/proc/{w}/cmdline").read_bytes()
            )
            os.kill(victim, signal.SIGKILL)
            assert chart_png(threaded, 2) == expected  # answered by a replacement
            spawned.update(children(proc.pid))

            # In flight at SIGTERM: every one is still answered, then the bot stops.
            handles = [
                threaded.run(
                    double.send_slash("chart", {**CHART, "theme": theme}, user_id=10 + i),
                    timeout=20,
                )
                for i, theme in enumerate(("light", "dark", "light"))
            ]
            for handle in handles:  # the bot has them: deferred, being drawn
                threaded.run(handle.wait_defer(timeout=20), timeout=30)
            spawned.update(children(proc.pid))
            proc.send_signal(signal.SIGTERM)
            for handle in handles:
                followup = threaded.run(handle.wait_followup(timeout=30), timeout=40)
                assert followup.files
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-2000:]
        assert "Traceback" not in err
    time.sleep(0.2)
    left = [p for p in spawned if exists(p)]
    assert not left, f"processes left after marketbot run exited: {left}"
