"""Driving a bot through the Discord double: send interactions, time what comes back.

The double runs on its own event loop in a thread (``tests/discord_double/threaded.py``),
so the bot under test never shares a loop with it. Times are ``time.monotonic()`` on both
sides (one process, one clock): "sent" is taken on the double's loop just before the
INTERACTION_CREATE is dispatched, the defer and the followup when the double receives them.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.core import percentile
from bench.env import Question
from bench.procs import cpu_seconds
from tests.discord_double import DiscordDouble, InteractionHandle, ThreadedDouble

EPHEMERAL = 64


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one interaction (seconds on the monotonic clock)."""

    name: str
    sent: float
    defer_at: float
    followup_at: float
    #: An error reply (errors are the only ephemeral followups of these commands).
    error: bool

    @property
    def defer_ms(self) -> float:
        return (self.defer_at - self.sent) * 1000.0

    @property
    def total_ms(self) -> float:
        return (self.followup_at - self.sent) * 1000.0


async def _send(
    double: DiscordDouble, question: Question, user_id: int
) -> tuple[float, InteractionHandle]:
    name, options = question
    sent = time.monotonic()
    handle = await double.send_slash(name, options, user_id=user_id)
    return sent, handle


async def ask(
    threaded: ThreadedDouble, question: Question, user_id: int, timeout: float = 30.0
) -> Outcome:
    """One interaction, sent → deferred → followup received."""
    sent, handle = await threaded.arun(_send(threaded.double, question, user_id))
    defer = await threaded.arun(handle.wait_defer(timeout))
    followup = await threaded.arun(handle.wait_followup(timeout))
    flags = int((followup.json or {}).get("flags") or 0)
    return Outcome(
        question[0], sent, defer.received_at, followup.received_at, bool(flags & EPHEMERAL)
    )


async def burst(
    threaded: ThreadedDouble, questions: Sequence[Question], first_user: int
) -> list[Outcome | BaseException]:
    """All questions at once, each from its own user (the per-user cooldown stays default)."""
    return await asyncio.gather(
        *(ask(threaded, q, first_user + i) for i, q in enumerate(questions)),
        return_exceptions=True,
    )


@dataclass(slots=True)
class BurstResult:
    sent: int
    answered: int
    errors: int
    max_defer_ms: float
    #: CPU time of the measured processes over the burst's wall time, as a percentage of
    #: every core (100% = all cores busy the whole time); None when not measured.
    cpu_pct: float | None = None
    #: Every answered interaction's sent → followup time, for percentiles over all bursts.
    totals_ms: tuple[float, ...] = ()

    def percentile_ms(self, q: float) -> float:
        return percentile(list(self.totals_ms), q)

    @classmethod
    def of(
        cls, outcomes: Sequence[Outcome | BaseException], cpu_pct: float | None = None
    ) -> BurstResult:
        ok = [o for o in outcomes if isinstance(o, Outcome)]
        totals = [o.total_ms for o in ok]
        return cls(
            sent=len(outcomes),
            answered=len(ok),
            errors=sum(o.error for o in ok) + (len(outcomes) - len(ok)),
            max_defer_ms=max((o.defer_ms for o in ok), default=float("inf")),
            cpu_pct=cpu_pct,
            totals_ms=tuple(totals),
        )


async def measured_burst(
    threaded: ThreadedDouble,
    questions: Sequence[Question],
    first_user: int,
    pids: Callable[[], list[int]],
) -> BurstResult:
    """A burst, with the CPU time the processes ``pids()`` used during it."""
    counted = pids()
    cpu0, wall0 = cpu_seconds(counted), time.monotonic()
    outcomes = await burst(threaded, questions, first_user)
    wall, cpu = time.monotonic() - wall0, cpu_seconds(counted) - cpu0
    return BurstResult.of(outcomes, cpu_pct=100.0 * cpu / (wall * (os.cpu_count() or 1)))


class LagProbe:
    """A task that sleeps ``interval`` over and over and records how late it wakes up.

    Any work that holds the event loop (or the GIL for long) delays every other coroutine
    by as much: heartbeats, other users' defers. ``worst`` is the largest oversleep since
    the last :meth:`reset`.
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.worst = max(self.worst, time.perf_counter() - start - self.interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def reset(self) -> None:
        self.worst = 0.0

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
