"""Crashes: ``kill -9`` in the middle of writing large fetches to the cache.

A child process (``crash_writer``) stores one ~12,000-row fetch per synthetic symbol, each in
one transaction, and says on stdout which ones committed. The parent kills it at a random
moment (seeded: the same moments on every run), then checks the file it left:

* SQLite opens it and ``PRAGMA integrity_check`` says ``ok``;
* every fetch record is backed by all of its rows, and no symbol has rows without a
  record (no partial range is marked as fetched, and nothing half-written is visible);
* every fetch the child reported as committed is there in full (rows lost: 0);
* the next question asks the source for exactly the symbols that are missing, and gets
  every bar right.

``make test`` runs 3 kills; ``make soak`` 20.
"""

from __future__ import annotations

import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from analytics.data.cache import MarketCache
from analytics.data.market import MarketData
from tests.reliability import figures
from tests.reliability.synthetic import END, NOW, START, SYMBOLS, SyntheticSource, expected
from tests.source_doubles import RecordingSource

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(300)


@dataclass
class Kill:
    db: Path
    committed: set[str] = field(default_factory=set)
    mid_fetch: bool = False
    finished: bool = False


def run_and_kill(db: Path, delay: float) -> Kill:
    """Start the writer on ``db``, SIGKILL it ``delay`` s after it is ready."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.crash_writer", str(db)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.split())
            if line.startswith("ready"):
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert ready.wait(60), "the writer did not start"
    time.sleep(delay)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    reader.join(30)
    kill = Kill(db)
    kill.committed = {w[1] for w in lines if w and w[0] == "committed"}
    kill.finished = any(w and w[0] == "done" for w in lines)
    kill.mid_fetch = bool(lines) and lines[-1][0] == "begin"
    assert not any(w and w[0] == "failed" for w in lines), lines[-3:]
    return kill


def check_survivor(kill: Kill) -> set[str]:
    """The promises about the file a killed writer left; returns the complete symbols."""
    conn = sqlite3.connect(kill.db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        records = conn.execute('SELECT symbol, start, "end" FROM fetches').fetchall()
        verified = 0
        for symbol, start, end in records:
            want_rows, want_sum = expected(
                symbol, date.fromisoformat(start), date.fromisoformat(end)
            )
            rows, total = conn.execute(
                "SELECT count(*), total(close) FROM bars WHERE symbol = ? AND day BETWEEN ? AND ?",
                (symbol, start, end),
            ).fetchone()
            assert rows == want_rows, f"{symbol} {start}..{end}: {rows} rows of {want_rows}"
            assert math.isclose(total, want_sum, rel_tol=1e-9), (symbol, total, want_sum)
            verified += rows
        recorded = {r[0] for r in records}
        with_rows = {r[0] for r in conn.execute("SELECT DISTINCT symbol FROM bars")}
        assert with_rows == recorded, f"rows without a fetch record: {with_rows - recorded}"
        lost = 0
        for symbol in kill.committed:
            (rows,) = conn.execute(
                "SELECT count(*) FROM bars WHERE symbol = ?", (symbol,)
            ).fetchone()
            lost += expected(symbol, START, END)[0] - rows
        figures.add("crashes.rows_lost", lost)
        assert lost == 0, f"{lost} committed rows lost"
        figures.add("crashes.rows_verified", verified)
        return recorded
    finally:
        conn.close()


def check_next_question_refetches_the_missing(db: Path, complete: set[str]) -> None:
    source = RecordingSource(SyntheticSource())
    cache = MarketCache(db)
    try:
        market = MarketData(cache, source, clock=lambda: NOW)
        history = market.history(list(SYMBOLS), START, END)
        assert set(source.symbols_asked()) == set(SYMBOLS) - complete
        assert all(c.start == START and c.end == END for c in source.calls)
        for symbol in SYMBOLS:
            series = history.series[symbol]
            n, total = expected(symbol, START, END)
            assert len(series.bars) == n
            assert math.isclose(sum(b.close for b in series.bars), total, rel_tol=1e-9)
    finally:
        cache.close()


def crash_many(tmp_path: Path, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    round_no = 0
    db = tmp_path / f"crash-{round_no}.sqlite3"
    complete: set[str] = set()
    mid = 0
    for _ in range(kills):
        kill = run_and_kill(db, rng.uniform(0.05, 1.2))
        complete = check_survivor(kill)
        figures.add("crashes.kills")
        mid += kill.mid_fetch
        if kill.finished:  # the writer finished first: start a new file
            check_next_question_refetches_the_missing(db, complete)
            round_no += 1
            db = tmp_path / f"crash-{round_no}.sqlite3"
            complete = set()
    figures.add("crashes.kills_during_a_fetch", mid)
    assert mid > 0, "no kill landed during a fetch: the test proved nothing"
    check_next_question_refetches_the_missing(db, complete)


def test_kill_9_while_writing_large_fetches(tmp_path: Path) -> None:
    crash_many(tmp_path, kills=3, seed=20251124)


@pytest.mark.soak
def test_kill_9_while_writing_large_fetches_soak(tmp_path: Path) -> None:
    crash_many(tmp_path, kills=20, seed=7)
