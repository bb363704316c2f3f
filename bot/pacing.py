"""Keep this process under its share of Discord's global rate limit.

Discord allows a bot token 50 requests per second over all routes (interaction callbacks
and webhooks excepted). discord.py waits on each route's bucket itself, from the
``X-RateLimit-*`` headers, but it learns of the global limit only from a 429 — and a
storm of weekly posts goes to thousands of channels, each its own route bucket, so nothing
would slow it before the 429s. :class:`GlobalPacer` spaces this process's bot-token requests
so that no second holds more than its share: 40 per second (headroom for the jitter
between a request leaving and Discord counting it)
times the fraction of the shards it runs, since every process of one bot shares the token.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

#: Discord's global limit is 50/s. At 45/s the slot-storm benchmark still drew a few global
#: 429s on a loaded 2-core machine (requests queued in the event loop arrive bunched);
#: 40/s (plus a burst of 2) leaves room for that.
BOT_REQUESTS_PER_SECOND = 40.0


class GlobalPacer:
    """A token bucket: ``rate`` requests per second, at most ``burst`` back to back.

    Any one-second window then holds at most ``rate + burst`` requests.
    """

    def __init__(self, rate: float, burst: int = 2) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._stamp = time.monotonic()
        self._lock: asyncio.Lock | None = None
        self.waited = 0.0  # seconds spent waiting, for logs and benchmarks
        self.requests = 0

    async def acquire(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # first come, first served
            while True:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    self.requests += 1
                    return
                delay = (1.0 - self._tokens) / self.rate
                self.waited += delay
                await asyncio.sleep(delay)


def share_of_global_limit(shards: int, shard_count: int) -> float:
    """This process's requests per second when it runs ``shards`` of ``shard_count``."""
    return BOT_REQUESTS_PER_SECOND * max(1, shards) / max(1, shard_count)


def pace_requests(http: Any, pacer: GlobalPacer) -> None:
    """Make every request of discord.py's ``HTTPClient`` (bot-token routes only: discord.py
    sends interaction responses through its webhook adapter) wait for the pacer first."""
    request: Callable[..., Awaitable[Any]] = http.request

    async def paced(route: Any, **kwargs: Any) -> Any:
        await pacer.acquire()
        return await request(route, **kwargs)

    http.request = paced
