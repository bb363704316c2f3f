"""The chart worker pool: byte-identical PNGs, crashes replaced and answered, hangs
answered with an error id, stop drains and leaves no process behind (nor a zombie)."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from pathlib import Path

import pytest

from analytics.charts import jobs
from analytics.charts.figures import render_png
from analytics.charts.workers import WorkerPool
from analytics.errors import WorkerError
from tests.analytics.charts import worker_jobs
from tests.analytics.charts.make_references import CASES, csv_services

pytestmark = pytest.mark.timeout(120)


def gone(pid: int) -> bool:
    """True when ``pid`` no longer exists, not even as a zombie (a zombie keeps /proc/pid)."""
    return not Path(f"/proc/{pid}").exists()


def wait_gone(pids: list[int], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(gone(p) for p in pids):
            return True
        time.sleep(0.05)
    return all(gone(p) for p in pids)


@pytest.fixture
def pool() -> WorkerPool:
    pool = WorkerPool(2, initializer=jobs.warm_worker, timeout=20.0)
    pool.start()
    yield pool
    pool.stop(grace=5.0)


def test_workers_draw_the_same_bytes_as_the_bot_thread(pool: WorkerPool) -> None:
    assert len(pool.pids()) == 2 and os.getpid() not in pool.pids()
    with csv_services() as services:
        for name, case in CASES.items():
            data, theme = case(services)
            assert pool.run(jobs.draw_chart, data, theme) == render_png(data, theme), name


def test_a_crashed_worker_is_replaced_and_the_job_answered(
    pool: WorkerPool, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = pool.pids()
    marker = tmp_path / "crashed"
    answered_by = pool.run(worker_jobs.crash_once, str(marker))
    crashed = int(marker.read_text())
    assert crashed in before  # the first try died in one of the original workers...
    assert answered_by not in before and answered_by in pool.pids()  # ...a new one answered
    assert pool.replacements == 1 and len(pool.pids()) >= 1
    assert wait_gone(before)  # the old workers were ended and reaped, none left a zombie
    assert any("stopped unexpectedly" in r.getMessage() for r in caplog.records)
    with csv_services() as services:  # and real charts still come out right
        data, theme = CASES["price-0700-dark"](services)
        assert pool.run(jobs.draw_chart, data, theme) == render_png(data, theme)


def test_a_worker_killed_while_idle_is_replaced(pool: WorkerPool) -> None:
    victim = pool.pids()[0]
    os.kill(victim, 9)
    assert wait_gone([victim])
    answers = {pool.run(worker_jobs.pid) for _ in range(4)}
    assert victim not in answers and answers <= set(pool.pids())


def test_a_job_that_kills_every_worker_gets_an_error_with_an_id(
    pool: WorkerPool, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(WorkerError) as raised:
        pool.run(worker_jobs.crash_always)
    error_id = re.search(r"error id ([0-9a-f]{8})", str(raised.value))
    assert error_id is not None
    assert any(error_id.group(1) in r.getMessage() for r in caplog.records)
    assert pool.run(worker_jobs.pid) in pool.pids()  # the pool still works


def test_a_hung_job_gets_an_error_with_an_id_and_its_worker_is_replaced(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="marketbot.workers")
    pool = WorkerPool(1, timeout=1.5)
    pool.start()
    try:
        hung = pool.pids()
        started = time.monotonic()
        with pytest.raises(WorkerError) as raised:
            pool.run(worker_jobs.hang)
        assert 1.4 < time.monotonic() - started < 10
        error_id = re.search(r"error id ([0-9a-f]{8})", str(raised.value))
        assert error_id is not None and "too long" in str(raised.value)
        assert any(error_id.group(1) in r.getMessage() for r in caplog.records)
        assert wait_gone(hung)  # killed and reaped
        assert pool.run(worker_jobs.pid) not in hung  # a fresh worker answers
    finally:
        pool.stop(grace=2.0)


def test_stop_lets_sent_jobs_finish_then_ends_every_worker(pool: WorkerPool) -> None:
    pids = pool.pids()
    results: list[int] = []
    runner = threading.Thread(
        target=lambda: results.append(pool.run(worker_jobs.slow_in_worker, 0.8))
    )
    runner.start()
    time.sleep(0.3)  # the job is in a worker now
    pool.stop(grace=10.0)
    runner.join(10)
    assert results and results[0] in pids  # answered by the worker, not redone here
    assert wait_gone(pids, timeout=2.0)
    assert pool.pids() == [] and pool.closed
    assert pool.run(worker_jobs.pid) == os.getpid()  # after stop: drawn in this process


def test_stop_past_its_grace_kills_the_workers_and_the_caller_still_gets_an_answer() -> None:
    pool = WorkerPool(1)
    pool.start()
    pids = pool.pids()
    results: list[int] = []
    runner = threading.Thread(
        target=lambda: results.append(pool.run(worker_jobs.slow_in_worker, 60))
    )
    runner.start()
    time.sleep(0.3)
    started = time.monotonic()
    pool.stop(grace=0.5)
    assert time.monotonic() - started < 8
    runner.join(10)
    assert wait_gone(pids, timeout=2.0)
    assert results == [os.getpid()]  # redone in the caller's process, never silence
