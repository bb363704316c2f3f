"""Figure 8: the bot as deployed — ``marketbot run`` in its own process.

The process gets only environment settings (``DISCORD_API_BASE_URL`` / ``DISCORD_GATEWAY_URL``
pointing at the Discord double in a thread of this process, ``DISCORD_TOKEN``,
``MARKETBOT_SOURCE=yahoo`` with ``MARKETBOT_YAHOO_BASE_URL`` at the Yahoo double, and
``MARKETBOT_CACHE`` a copy of the warm cache) and runs in an empty folder, so no ``.env``
applies. Measured:

* start → READY: from spawning the process to the gateway IDENTIFY the double answers with
  READY (imports, settings, SQLite, login, command sync, gateway connect);
* start → first answer (information): a warm ``/returns`` sent as soon as READY is out;
* start → ``on_ready`` (information): discord.py waits ``guild_ready_timeout`` (2 s by
  default) for more GUILD_CREATEs before it calls ``on_ready``; commands are answered
  meanwhile, as the previous figure shows;
* resident memory (``VmRSS`` in ``/proc/<pid>/status``) after the 50-interaction bursts,
  and the peak (``VmHWM``).

The bursts come from distinct users, so the bot's default cooldown (5 per user per 10 s)
applies unchanged.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.core import Figure
from bench.discord_io import BurstResult, ask, measured_burst
from bench.e2e import burst_figures
from bench.env import RETURNS_ASK, BenchEnv, as_text, burst_questions
from bench.procs import children, proc_status, pss_kb
from tests.discord_double import ThreadedDouble, run_in_thread

READY_LINE = "ready as"


def bot_command() -> list[str]:
    script = Path(sys.executable).with_name("marketbot")
    if script.is_file():
        return [str(script), "run"]
    return [sys.executable, "-m", "bot.cli", "run"]


class StderrLines:
    """Collects the child's log lines with the time each arrived."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[tuple[float, str]] = []
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self.lines.append((time.monotonic(), line.rstrip()))

    def wait_for(self, text: str, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, line in list(self.lines):
                if text in line:
                    return at
            time.sleep(0.01)
        return None

    def tail(self, count: int = 15) -> str:
        return "\n".join(line for _, line in self.lines[-count:])


def child_env(env: BenchEnv, threaded: ThreadedDouble, db: Path, run_dir: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETBOT_", "DISCORD_"))}
    return (
        base
        | threaded.double.env()
        | {
            "DISCORD_TOKEN": threaded.double.token,
            "MARKETBOT_SOURCE": "yahoo",
            "MARKETBOT_YAHOO_BASE_URL": env.double.base_url,
            "MARKETBOT_CACHE": str(db),
            "MARKETBOT_DB": str(run_dir / "marketbot.sqlite3"),
            "MARKETBOT_LOG_DIR": str(run_dir / "logs"),
            "MARKETBOT_LOG_LEVEL": "INFO",
            "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        }
    )


def process_figures(env: BenchEnv) -> list[Figure]:
    cfg = env.config
    # One set of questions per burst: a later burst does the work again, no answer reused.
    rounds = [burst_questions(cfg.burst_size, b) for b in range(cfg.bursts)]
    env.warm_up([as_text(RETURNS_ASK), *(as_text(q) for r in rounds for q in r)])
    db = env.snapshot("process.sqlite3")
    run_dir = env.workdir / "process"
    run_dir.mkdir()
    with run_in_thread() as threaded:
        started = time.monotonic()
        proc = subprocess.Popen(
            bot_command(),
            cwd=run_dir,
            env=child_env(env, threaded, db, run_dir),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        log = StderrLines(proc)
        try:
            try:
                identify = threaded.run(threaded.double.wait_identify(timeout=60), 70)
            except Exception as exc:
                raise RuntimeError(f"the bot did not connect:\n{log.tail()}") from exc
            to_ready = identify.received_at - started
            # At once, while discord.py still waits for more guilds before on_ready.
            first = asyncio.run(ask(threaded, RETURNS_ASK, user_id=499_999))
            workers = wait_for_workers(proc.pid, log)
            results: list[BurstResult] = []
            for b, questions in enumerate(rounds):
                results.append(
                    asyncio.run(
                        measured_burst(
                            threaded,
                            questions,
                            500_000 + 1000 * b,
                            lambda: [proc.pid, *children(proc.pid)],
                        )
                    )
                )
            status = proc_status(proc.pid)
            workers = children(proc.pid)
            worker_rss = [proc_status(w).get("VmRSS", 0) / 1024.0 for w in workers]
            total_pss = sum(pss_kb(p) for p in [proc.pid, *workers]) / 1024.0
            on_ready = log.wait_for(READY_LINE, 30)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
    group = "8 process"
    figures = [
        Figure(group, "start → READY (marketbot run)", to_ready * 1000.0, "ms", target=1500.0),
        Figure(
            group,
            "start → first /returns answered (sent at READY)",
            (first.followup_at - started) * 1000.0,
            "ms",
        ),
        Figure(
            group,
            "start → on_ready (after discord.py's 2 s wait for guilds)",
            (on_ready - started) * 1000.0 if on_ready else float("nan"),
            "ms",
            note="" if on_ready else "not logged within 30 s",
        ),
        Figure(
            group,
            f"resident memory after {len(results)} x {cfg.burst_size} interactions (bot process)",
            status.get("VmRSS", 0) / 1024.0,
            "MB",
            target=200.0,
        ),
        Figure(
            group,
            "peak resident memory (VmHWM, bot process)",
            status.get("VmHWM", 0) / 1024.0,
            "MB",
        ),
        Figure(
            group,
            f"resident memory of each chart worker ({len(workers)} workers)",
            max(worker_rss, default=float("nan")),
            "MB",
            note="largest; all: " + ", ".join(f"{m:.0f}" for m in worker_rss),
        ),
        Figure(
            group,
            "resident memory, bot + workers (sum of RSS)",
            status.get("VmRSS", 0) / 1024.0 + sum(worker_rss),
            "MB",
            target=450.0,
        ),
        Figure(
            group,
            "proportional memory, bot + workers (sum of PSS: shared pages once)",
            total_pss,
            "MB",
        ),
    ]
    cpu_what = f"bot process and its {len(workers)} chart workers"
    return figures + burst_figures(group, results, None, cfg.burst_size, cpu_what)


def wait_for_workers(pid: int, log: StderrLines, timeout: float = 60.0) -> list[int]:
    """The chart workers start in the background after login: wait for their log line."""
    if log.wait_for("chart workers ready", timeout) is None:
        raise RuntimeError(f"the chart workers did not start:\n{log.tail()}")
    return children(pid)
