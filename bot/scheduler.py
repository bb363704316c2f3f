"""The weekly-summary dispatcher: one task that sleeps until the next due slot.

A durable timer in the manner of RoboDanny's: the schedule lives in SQLite
(:mod:`analytics.server.subscriptions`), and one asyncio task computes the earliest moment
anything is due, sleeps until then (at most :attr:`SchedulerConfig.max_sleep`, so changes
made by another process are seen), and is woken early through an ``asyncio.Event``
whenever this process changes a subscription. Rules it keeps:

* **Once per slot.** A slot is claimed in the database (INSERT under BEGIN IMMEDIATE)
  before anything is posted; whoever loses the insert does nothing. A worker that dies
  between claiming and finishing leaves a claim whose lease expires, and the slot is then
  taken over and posted (with the same message nonce, so Discord drops a duplicate of a
  post that did go out just before the crash, within its few-minute nonce window).
* **Catch-up.** On start (and on every wake) only the latest slot of each subscription is
  looked at: posted if it is less than :attr:`SchedulerConfig.grace` (6 h) late,
  otherwise recorded as skipped and logged. Older slots are never posted: no bursts.
* **Retries.** A failed attempt (computing the summary, or Discord: channel deleted,
  missing permission, 5xx) is retried after 1, 5, 20, 60 minutes while the slot is
  within its grace period; then the slot is recorded as failed. Three failed weeks in a
  row pause the subscription, with the reason shown by ``/summary list``.
* **Storms.** Thousands of servers pick the same time. Due slots are worked on
  ``concurrency`` at a time, each distinct (baskets, week) summary is computed once and
  reused (:mod:`bot.summary_memo`), and every request to Discord waits for the process's
  share of the global rate limit (:mod:`bot.pacing`).
* **Shards.** A scheduler only handles servers on its shards
  (``(guild_id >> 22) % shard_count``), as each shard process would.
* The summary is computed in a worker thread; the clock and the sleep are injectable, so
  tests run days of schedule without waiting.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import aiohttp
import discord

from analytics.errors import (
    SOMETHING_WENT_WRONG,
    MarketbotError,
    StorageUnavailable,
    log_error_id,
    with_error_id,
)
from analytics.server.schedule import latest_slot, next_slot, shard_of
from analytics.server.subscriptions import PostRecord, Subscription
from analytics.services import Services
from bot.render import NO_MENTIONS, to_embed
from bot.summary_memo import SummaryMemo, summary_key
from commands.reply import Reply
from commands.summary import build_summary_reply

log = logging.getLogger("marketbot.summary")

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[Any]]
Build = Callable[[Services, int, tuple[str, ...]], Reply]


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    #: A slot later than this is skipped, never posted.
    grace: timedelta = timedelta(hours=6)
    #: A claim older than this whose worker has not finished is presumed dead.
    lease: timedelta = timedelta(minutes=15)
    #: Waits before the 2nd, 3rd... attempt of a slot (attempts = len + 1).
    retry_delays: tuple[float, ...] = (60.0, 300.0, 1200.0, 3600.0)
    #: Re-read the database at least this often (other processes' changes).
    max_sleep: timedelta = timedelta(hours=1)
    #: Never spin: the wait after a pass that left something due untaken (another worker
    #: holds it).
    min_sleep: timedelta = timedelta(seconds=1)
    #: Slots worked on at once. Discord's pace is set by bot.pacing; this only has to be
    #: enough to keep that pace while each post waits on its round trip.
    concurrency: int = 8


class PostError(Exception):
    """Posting failed; ``str()`` is the reason recorded and shown in ``/summary list``."""


class Poster(Protocol):
    async def post(self, channel_id: int, reply: Reply, nonce: str) -> int:
        """Post ``reply`` to the channel; the new message's id, or :class:`PostError`."""
        ...


class DiscordPoster:
    """Posts through the bot's connection: ``POST /channels/{id}/messages``."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def post(self, channel_id: int, reply: Reply, nonce: str) -> int:
        try:
            channel = self.client.get_channel(channel_id) or await self.client.fetch_channel(
                channel_id
            )
            if not isinstance(channel, discord.abc.Messageable):
                raise PostError(f"channel {channel_id} is not a text channel")
            rendered = to_embed(reply)  # a discord.File is single-use: render per attempt
            kwargs: dict[str, Any] = {"embed": rendered.embed, "allowed_mentions": NO_MENTIONS}
            if rendered.file is not None:
                kwargs["file"] = rendered.file
            message = await channel.send(nonce=nonce, **kwargs)
            return message.id
        except discord.Forbidden as exc:
            raise PostError(
                f"missing permission to post in <#{channel_id}> (Discord 403, code {exc.code})"
            ) from exc
        except discord.NotFound as exc:
            raise PostError(
                f"channel {channel_id} not found; deleted? (Discord 404, code {exc.code})"
            ) from exc
        except discord.HTTPException as exc:
            raise PostError(f"Discord error {exc.status}: {exc.text[:200]}") from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise PostError(f"network error talking to Discord: {type(exc).__name__}") from exc


def _default_build(services: Services, guild_id: int, baskets: tuple[str, ...]) -> Reply:
    return build_summary_reply(services, guild_id, list(baskets), want_image=True)


def worker_name() -> str:
    """Unique per process start: a restarted bot is a new worker (its old claims expire)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class SummaryScheduler:
    def __init__(
        self,
        services: Services,
        poster: Poster,
        *,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        worker: str | None = None,
        shard_ids: Collection[int] | None = None,
        shard_count: int = 1,
        build: Build = _default_build,
        config: SchedulerConfig | None = None,
    ) -> None:
        self.services = services
        self.store = services.subscriptions
        self.poster = poster
        self.clock = clock or services.clock
        self.sleep = sleep
        self.worker = worker or worker_name()
        self.shard_ids = set(shard_ids) if shard_ids is not None else None
        self.shard_count = max(1, shard_count)
        self.build = build
        self.config = config or SchedulerConfig()
        self.memo = SummaryMemo(self.clock)
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------
    def handles(self, guild_id: int) -> bool:
        if self.shard_ids is None or self.shard_count == 1:
            return True
        return shard_of(guild_id, self.shard_count) in self.shard_ids

    def wake(self) -> None:
        """Re-plan now (thread-safe: the store calls it from command worker threads)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    def start(self, before: Callable[[], Awaitable[Any]] | None = None) -> asyncio.Task[None]:
        """Run the dispatcher task (after awaiting ``before``, e.g. the gateway being ready)."""
        self._loop = asyncio.get_running_loop()
        self.store.add_listener(self.wake)

        async def main() -> None:
            if before is not None:
                await before()
            await self.run()

        self._task = asyncio.create_task(main(), name="summary-scheduler")
        return self._task

    async def stop(self) -> None:
        self.store.remove_listener(self.wake)
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def run(self) -> None:
        log.info("summary scheduler %s running", self.worker)
        while True:
            self._wake.clear()  # wakes during the pass below make the wait return at once
            checked = self.clock()
            try:
                wake_at = await self.tick()
            except StorageUnavailable:  # PostgreSQL away: expected, not a bug to trace
                log.warning("summary scheduler: the server store is unavailable; "
                            "trying again in a minute")  # fmt: skip
                wake_at = checked + timedelta(minutes=1)
            except Exception:
                log.exception("summary scheduler pass failed; trying again in a minute")
                wake_at = checked + timedelta(minutes=1)
            if wake_at <= checked:  # due when the pass looked, yet not taken: do not spin
                wake_at = self.clock() + self.config.min_sleep
            delay = (wake_at - self.clock()).total_seconds()
            if delay > 0:  # otherwise something fell due during the pass: go again now
                await self._wait(delay)

    async def _wait(self, delay: float) -> None:
        sleeper = asyncio.ensure_future(self.sleep(delay))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker):
                task.cancel()
            await asyncio.gather(sleeper, waker, return_exceptions=True)

    # -- one pass -----------------------------------------------------------------------
    async def tick(self) -> datetime:
        """Handle everything due now; return when the next thing is due.

        Due slots are worked on ``config.concurrency`` at a time (a storm of thousands of
        servers at Friday 18:00 must not post one by one); each is claimed only when a
        worker is free for it, so a claim's lease starts when its post is about to happen.
        """
        now = self.clock()
        due = await asyncio.to_thread(self._due_slots, now)
        limit = asyncio.Semaphore(max(1, self.config.concurrency))

        async def one(job: Awaitable[None]) -> None:
            async with limit:
                await job

        await asyncio.gather(*(one(self._claim_and_post(sub, slot, now)) for sub, slot in due))
        lease = self.config.lease
        takeovers = [p for p in await asyncio.to_thread(self.store.pending, self.clock(), lease)
                     if self.handles(p.guild_id)]  # fmt: skip
        await asyncio.gather(*(one(self._take_over(post, lease)) for post in takeovers))
        if due or takeovers:
            log.info("summary pass: %d due, %d taken over; summaries computed %d, reused %d",
                     len(due), len(takeovers), self.memo.computed, self.memo.reused)  # fmt: skip
        return await asyncio.to_thread(self._next_wake, now)

    def _due_slots(self, now: datetime) -> list[tuple[Subscription, datetime]]:
        """(subscription, latest slot) of this process's servers whose slot has no row yet."""
        out = []
        for sub in self.store.active():
            if not self.handles(sub.guild_id):
                continue
            slot = latest_slot(sub.rule, now)
            if slot >= sub.active_since and self.store.post(sub.id, slot) is None:
                out.append((sub, slot))
        return out

    async def _claim_and_post(self, sub: Subscription, slot: datetime, now: datetime) -> None:
        if now - slot > self.config.grace:
            reason = f"not posted: {now - slot} late (the bot was not running)"
            if await asyncio.to_thread(self.store.skip, sub.id, slot, reason, now):
                log.warning("summary #%d: skipped the %s slot, %s", sub.id, slot, reason)
            return
        claimed = await asyncio.to_thread(self.store.claim, sub.id, slot, self.worker, self.clock())
        if claimed is not None:
            await self._attempt(sub, claimed)

    async def _take_over(self, post: PostRecord, lease: timedelta) -> None:
        taken = await asyncio.to_thread(
            self.store.take_over, post.subscription_id, post.slot, self.worker,
            self.clock(), lease,
        )  # fmt: skip
        if taken is None:
            return
        sub = await asyncio.to_thread(self.store.get, post.subscription_id)
        if sub is not None:
            await self._attempt(sub, taken)

    def _summary(self, sub: Subscription, slot: datetime) -> Reply:
        """The slot's summary: computed once per distinct (baskets, week), then reused."""
        key = summary_key(self.services, sub.guild_id, sub.baskets, slot)
        return self.memo.get(key, lambda: self.build(self.services, sub.guild_id, sub.baskets))

    def _next_wake(self, checked: datetime) -> datetime:
        """The earliest slot after ``checked`` (when this pass looked: a slot that fell due
        while the pass was busy must not be planned a week ahead), retry or lease expiry."""
        now = self.clock()
        times = [now + self.config.max_sleep]
        for sub in self.store.active():
            if self.handles(sub.guild_id):
                times.append(next_slot(sub.rule, max(checked, sub.active_since)))
        for guild_id, when in self.store.next_pending_at(now, self.config.lease):
            if self.handles(guild_id):
                times.append(when)
        return min(times)

    async def _attempt(self, sub: Subscription, post: PostRecord) -> None:
        """One attempt at a claimed slot, and its outcome recorded."""
        store, now = self.store, self.clock()
        if now - post.slot > self.config.grace:
            if post.error is None:
                await asyncio.to_thread(
                    store.mark_skipped, sub.id, post.slot, self.worker,
                    f"not posted: {now - post.slot} late", now,
                )  # fmt: skip
                log.warning("summary #%d: slot %s found too late; skipped", sub.id, post.slot)
            else:
                await self._give_up(sub, post, post.error)
            return
        nonce = f"s{sub.id}-{int(post.slot.timestamp())}"
        try:
            reply = await asyncio.to_thread(self._summary, sub, post.slot)
            message_id = await self.poster.post(sub.channel_id, reply, nonce)
        except PostError as exc:
            error = str(exc)
        except MarketbotError as exc:
            error = f"the summary could not be computed: {exc}"
        except Exception:
            # Kept as the post's error and shown by /summary list: the short form.
            error_id = log_error_id(log, "summary #%d: attempt failed", sub.id)
            error = with_error_id(SOMETHING_WENT_WRONG.lower(), error_id)
        else:
            await asyncio.to_thread(
                store.mark_posted, sub.id, post.slot, self.worker, message_id, self.clock()
            )
            log.info("summary #%d: posted slot %s as message %s", sub.id, post.slot, message_id)
            return
        now = self.clock()
        delays = self.config.retry_delays
        if post.attempts <= len(delays):
            next_at = now + timedelta(seconds=delays[post.attempts - 1])
            if next_at <= post.slot + self.config.grace:
                await asyncio.to_thread(
                    store.mark_retry, sub.id, post.slot, self.worker, error, next_at, now
                )
                log.warning("summary #%d: attempt %d failed (%s); retry at %s",
                            sub.id, post.attempts, error, next_at)  # fmt: skip
                return
        await self._give_up(sub, post, error)

    async def _give_up(self, sub: Subscription, post: PostRecord, error: str) -> None:
        after = await asyncio.to_thread(
            self.store.mark_failed, sub.id, post.slot, self.worker, error, self.clock()
        )
        log.error("summary #%d: slot %s failed after %d attempts: %s",
                  sub.id, post.slot, post.attempts, error)  # fmt: skip
        if after is not None and after.paused:
            log.error("summary #%d paused: %s", sub.id, after.paused_reason)


# -- the bot's side ---------------------------------------------------------------------------
def bot_shards(client: discord.Client) -> tuple[set[int] | None, int]:
    """(shard ids this process serves, shard count); (None, 1) when it serves them all."""
    count = client.shard_count or 1
    ids = getattr(client, "shard_ids", None)  # AutoShardedClient: None means all
    if count <= 1 or (ids is None and isinstance(client, discord.AutoShardedClient)):
        return None, 1
    if ids is not None:
        return set(ids), count
    return ({client.shard_id}, count) if client.shard_id is not None else (None, 1)
