"""A pool of worker processes for CPU-heavy jobs (drawing charts), started once and warmed.

Why processes: the bot answers every command in a thread of one process, so drawing held
the one GIL while the other core idled, and a burst of charts queued behind it. Workers
draw in parallel and never pause the event loop.

Why the standard library (:class:`concurrent.futures.ProcessPoolExecutor`): it does the
job with a small supervisor around it, adds no dependency, and its failure modes are
documented. (pebble kills only a hung worker, but breaks its whole pool when an idle
worker dies, so it would need the same supervisor.) The supervisor:

* **crash** (a worker died: OOM killer, segfault, ``kill -9``): the executor is broken;
  it is replaced by a fresh one and the job is sent again, once. Jobs of other threads
  that were in the broken executor are retried the same way, so every caller gets its
  answer. A job that kills its worker twice raises :class:`~analytics.errors.WorkerError`.
* **hang** (a job runs past ``timeout`` seconds, queueing included): the executor's
  workers are killed and replaced, the caller gets a :class:`WorkerError` with an error
  id (logged with the details), never silence.
* **stop** (SIGTERM): jobs already sent finish (up to ``grace`` seconds), then any worker
  still alive is killed and every one is reaped, so none outlives the bot or stays a
  zombie. Jobs after :meth:`stop` run in the calling thread.

Workers use the ``spawn`` start method: a fresh interpreter each, because forking a
process that runs threads (discord.py, SQLite, the yfinance session) may copy a held lock.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from analytics.errors import TRY_AGAIN, WorkerError, error_message, log_error_id

log = logging.getLogger("marketbot.workers")
T = TypeVar("T")
#: How long a job may take, from being sent to its result, before its worker counts as hung.
DEFAULT_TIMEOUT = 30.0


class WorkerPool:
    """``run(fn, *args)`` in one of ``size`` worker processes (see the module docstring)."""

    def __init__(
        self,
        size: int,
        initializer: Callable[[], None] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.size = size
        self.initializer = initializer
        self.timeout = timeout
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._generation = 0
        self._closed = False
        #: Workers replaced after a crash or a hang (for logs, tests and the benchmark).
        self.replacements = 0

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> None:
        """Start every worker now and wait until each has run its initializer."""
        with self._lock:
            executor = self._current_locked()
        for future in [executor.submit(_pid) for _ in range(self.size)]:
            future.result(timeout=120)

    def stop(self, grace: float = 10.0) -> None:
        """Let sent jobs finish for up to ``grace`` seconds, then end and reap every worker."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = _processes(executor)
        closer = threading.Thread(target=executor.shutdown, kwargs={"wait": True}, daemon=True)
        closer.start()
        closer.join(grace)
        if closer.is_alive():
            log.warning("chart workers still busy after %.0f s; stopping them", grace)
        _kill_and_reap(processes)
        closer.join(5)

    @property
    def closed(self) -> bool:
        return self._closed

    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        with self._lock:
            executor = self._executor
        return sorted(_processes(executor)) if executor is not None else []

    # -- jobs -------------------------------------------------------------------------
    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker; its own exceptions propagate unchanged."""
        for attempt in (1, 2):
            with self._lock:
                if self._closed:
                    break
                executor, generation = self._current_locked(), self._generation
            try:
                future: Future[T] = executor.submit(fn, *args)
            except (BrokenProcessPool, RuntimeError):  # broken, or replaced meanwhile
                self._replace(generation, "could not take a job")
                continue
            try:
                return future.result(timeout=self.timeout)
            except BrokenProcessPool:
                self._replace(generation, "a worker stopped unexpectedly")
                if attempt == 1:
                    log.warning("a chart worker stopped unexpectedly; sending the job again")
                    continue
                error_id = log_error_id(
                    log, "%s: a chart worker stopped twice", _name(fn), exc_info=False
                )
                what = "The chart could not be drawn: its worker stopped"
                raise WorkerError(error_message(error_id, what, TRY_AGAIN)) from None
            except FutureTimeout:
                error_id = log_error_id(
                    log,
                    "%s: no result after %.0f s; worker replaced",
                    _name(fn),
                    self.timeout,
                    exc_info=False,
                )
                self._replace(generation, "a job hung", kill=True)
                what = "The chart took too long to draw"
                raise WorkerError(error_message(error_id, what, TRY_AGAIN)) from None
        return fn(*args)  # stopped: the calling thread does the job itself

    # -- internals --------------------------------------------------------------------
    def _current_locked(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.size,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=self.initializer,
            )
        return self._executor

    def _replace(self, generation: int, why: str, kill: bool = False) -> None:
        """Swap in a fresh executor, unless another thread already did for this one."""
        with self._lock:
            if generation != self._generation or self._executor is None:
                return
            old, self._executor = self._executor, None
            self._generation += 1
            self.replacements += 1
        log.warning("replacing the chart workers: %s", why)
        processes = _processes(old)
        old.shutdown(wait=False, cancel_futures=True)
        if kill:
            _kill_and_reap(processes)
        else:
            threading.Thread(target=_kill_and_reap, args=(processes,), daemon=True).start()


def _pid() -> int:
    import os

    return os.getpid()


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", repr(fn))


def _processes(executor: ProcessPoolExecutor) -> dict[int, Any]:
    """The executor's worker processes by pid (``_processes`` is the executor's own table;
    Python 3.14 adds ``terminate_workers()``, which 3.11 lacks)."""
    return dict(getattr(executor, "_processes", None) or {})


def _kill_and_reap(processes: dict[int, Any]) -> None:
    for process in processes.values():
        if process.is_alive():
            process.kill()
    for process in processes.values():
        process.join(5)


def stop_helper_processes() -> None:
    """At process exit: end and reap multiprocessing's resource tracker.

    ``spawn`` workers need it (it cleans up their semaphores), and it would end by
    itself once this process is gone, but then as an orphan whose reaping depends on the
    machine's init; in a container whose PID 1 does not reap, it would stay a zombie.
    ``_stop`` is the standard library's own shutdown of it (3.11-3.13); it restarts on
    demand if a pool is started again.
    """
    from multiprocessing import resource_tracker

    tracker = getattr(resource_tracker, "_resource_tracker", None)
    stop = getattr(tracker, "_stop", None)
    if stop is not None:
        try:
            stop()
        except Exception:  # already gone, or another version's internals
            log.debug("could not stop the resource tracker", exc_info=True)
