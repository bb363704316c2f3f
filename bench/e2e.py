"""Figures 5 and 6: the real MarketBot (discord.py) in this process, the Discord double in a
thread, the Yahoo double behind the bot's source, the warm cache under it.

5. One command at a time, interaction sent → followup received: warm ``/returns`` and
   ``/chart``.
6. Bursts of 50 mixed commands sent at once, each from its own user: all must be answered,
   every defer must arrive within 1 s, and a probe task on the bot's event loop records its
   worst oversleep (what a heartbeat or another user's defer would have waited).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from analytics.services import Services
from bench.core import Figure, Samples, percentile
from bench.discord_io import BurstResult, LagProbe, ask, measured_burst
from bench.env import CHART_ASK, RETURNS_ASK, BenchEnv, Question, as_text, burst_questions
from bot.app import MarketBot
from bot.runner import Cooldown
from bot.settings import Settings
from tests.discord_double import ThreadedDouble, run_in_thread


@asynccontextmanager
async def running_bot(env: BenchEnv) -> AsyncIterator[tuple[MarketBot, ThreadedDouble]]:
    """MarketBot on this loop against a threaded Discord double, on the warm cache."""
    threaded = run_in_thread()
    try:
        with threaded.double.point_discord_py():
            settings = Settings(
                source="yahoo",
                yahoo_base_url=env.double.base_url,
                db_path=env.workdir / "e2e-bot.sqlite3",  # no users' data; its command-sync state
                discord_token=threaded.double.token,
                log_dir=env.workdir / "logs",
                chart_workers=os.cpu_count() or 1,  # as ``marketbot run`` defaults to
            )
            services = Services.open(env.warm_db, settings.db_path, env.source())
            # The single-command runs come from one user: lift the per-user cooldown.
            bot = MarketBot(
                settings, services, cooldown=Cooldown(limit=1_000_000), guild_ready_timeout=0.05
            )
            task = asyncio.create_task(bot.start(threaded.double.token))
            try:
                await asyncio.wait_for(bot.ready_event.wait(), 30)
                await wait_for_workers(bot)
                yield bot, threaded
            finally:
                await bot.close()
                await asyncio.wait_for(task, 30)
    finally:
        threaded.stop()


async def wait_for_workers(bot: MarketBot, timeout: float = 60.0) -> None:
    """The workers start in the background after login; measure only once they are up."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        pool = bot.services.charts.pool
        if pool is not None and len(pool.pids()) == bot.settings.chart_workers:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("the chart workers did not start")


async def _answered_ms(threaded: ThreadedDouble, question: Question) -> float:
    """Sent → followup of one command; an error reply would time nothing useful."""
    outcome = await ask(threaded, question, user_id=1)
    if outcome.error:
        raise RuntimeError(f"/{question[0]} answered with an error through Discord")
    return outcome.total_ms


async def _e2e(env: BenchEnv) -> list[Figure]:
    cfg = env.config
    # One set of questions per burst, plus one more to pay first-use costs unmeasured.
    rounds = [burst_questions(cfg.burst_size, b) for b in range(cfg.bursts + 1)]
    *measured, first_use = rounds
    env.warm_up(
        [as_text(RETURNS_ASK), as_text(CHART_ASK), *(as_text(q) for r in rounds for q in r)]
    )
    figures: list[Figure] = []
    async with running_bot(env) as (bot, threaded):
        pool = bot.services.charts.pool
        assert pool is not None, "the bot runs without chart workers"
        for q in (RETURNS_ASK, CHART_ASK, *first_use[:10]):  # first-use costs, not measured
            await ask(threaded, q, user_id=1)
        returns, chart = Samples(), Samples()
        for _ in range(cfg.repeats):
            returns.add(await _answered_ms(threaded, RETURNS_ASK))
        for _ in range(max(cfg.slow_repeats * 2, 2)):
            chart.add(await _answered_ms(threaded, CHART_ASK))
        figures += [
            returns.figure("5 discord", "warm /returns, sent → followup", "ms", target=150.0),
            chart.figure("5 discord", "warm /chart, sent → followup", "ms", target=500.0),
        ]

        probe = LagProbe()
        probe.start()
        results: list[BurstResult] = []
        lags = Samples()
        try:
            for b, questions in enumerate(measured):
                await asyncio.sleep(0.5)  # let the previous burst's stragglers settle
                probe.reset()
                result = await measured_burst(
                    threaded, questions, 100_000 + 1000 * b, lambda: [os.getpid(), *pool.pids()]
                )
                lags.add(probe.worst * 1000.0)
                results.append(result)
        finally:
            await probe.stop()
    what = "bench process with bot and Discord double, and the chart workers"
    figures += burst_figures("6 burst", results, lags, cfg.burst_size, what)
    return figures


def completion(group: str, results: list[BurstResult], q: float, target: float) -> Figure:
    """Completion's ``q``-th percentile over every interaction of every burst (a slow first
    burst counts in full); the per-burst values are its spread."""
    every = [t for r in results for t in r.totals_ms]
    per_burst = Samples([r.percentile_ms(q) for r in results])
    return Figure(
        group,
        f"completion p{q:.0f}, all {len(every)} (sent → followup)",
        percentile(every, q),
        "ms",
        target=target,
        spread=per_burst.spread,
        runs=len(results),
        note=f"spread: per-burst p{q:.0f}",
    )


def burst_figures(
    group: str, results: list[BurstResult], lags: Samples | None, size: int, cpu_what: str
) -> list[Figure]:
    """The burst figures; ``lags`` None when the loop is in another process (figure 8)."""
    sent = sum(r.sent for r in results)
    cpu = Samples([r.cpu_pct for r in results if r.cpu_pct is not None])
    defer = Samples([r.max_defer_ms for r in results])
    out = [
        Figure(
            group,
            f"{size} at once x {len(results)}: answered",
            sum(r.answered - r.errors for r in results),
            "replies",
            target=float(sent),
            compare="==",
        ),
        Figure(
            group,
            "slowest defer",
            max(defer.values),
            "ms",
            target=1000.0,
            spread=defer.spread,
            runs=len(results),
        ),
    ]
    if lags is not None:
        out.append(
            Figure(
                group,
                "event loop worst lag (probe oversleep)",
                max(lags.values),
                "ms",
                target=100.0,
                spread=lags.spread,
                runs=len(lags.values),
            )
        )
    out += [
        *(completion(group, results, q, target) for q, target in ((50, 1000.0), (95, 2000.0))),
        Figure(
            group,
            "per burst, first → last: completion p95",
            results[0].percentile_ms(95),
            "ms",
            note=" → ".join(f"{r.percentile_ms(95):.0f}" for r in results),
        ),
    ]
    if cpu.values:
        out.append(cpu.figure(group, f"CPU busy during a burst ({cpu_what})", "% of all cores"))
    return out


def e2e_figures(env: BenchEnv) -> list[Figure]:
    return asyncio.run(_e2e(env))
