"""Discord's rate limits, enforced as Discord announces them, and the 429s counted.

What Discord documents (and the double therefore does):

* **Global**: at most 50 requests per second per bot token, over all routes. Interaction
  callbacks and interaction webhooks (no bot token) are exempt. Past it: 429 with
  ``"global": true``, ``X-RateLimit-Global: true`` and ``X-RateLimit-Scope: global``.
* **Per route**: each route has buckets, one per value of its major parameter (a channel's
  messages are one bucket per channel). Every answer carries ``X-RateLimit-Limit``,
  ``-Remaining``, ``-Reset`` (epoch seconds), ``-Reset-After`` (seconds) and ``-Bucket`` (an
  opaque id shared by the routes of one bucket). Past it: 429 with ``"global": false`` and
  ``X-RateLimit-Scope: user``.
* A 429 body is ``{"message", "retry_after", "global", "code"}``, with ``Retry-After``. The
  ``Via`` header is there too: discord.py takes a 429 without it for a Cloudflare ban.

The exact per-route numbers are Discord's to change and only ever read from the headers;
the double uses the ones bots observe (5 messages per 5 s per channel). The global limit is a
sliding one-second window here, which is at least as strict as Discord's.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections import deque
from dataclasses import dataclass, field

from .faults import FaultResponse, rate_limited

GLOBAL_PER_SECOND = 50


@dataclass(frozen=True, slots=True)
class BucketRule:
    """Requests matching ``method`` + ``pattern`` share a bucket per ``major`` group value."""

    name: str
    method: str
    pattern: re.Pattern[str]
    limit: int
    per: float  # seconds

    def key(self, method: str, path: str, match: re.Match[str]) -> str:
        if self.method == "*":  # the default: one bucket per route as requested
            return f"{self.name}:{method}:{path}"
        major = match.groupdict().get("major") or ""
        return f"{self.name}:{major}"


def _rule(name: str, method: str, path: str, limit: int, per: float) -> BucketRule:
    return BucketRule(name, method, re.compile(f"^{path}$"), limit, per)


#: Sending to a channel, the route a posting bot lives on; every other route has a bucket
#: of its own (per method and path) of the default size.
RULES = (_rule("channel-messages", "POST", r"/channels/(?P<major>\d+)/messages", 5, 5.0),)
DEFAULT_RULE = _rule("default", "*", r".*", 50, 1.0)


@dataclass
class _Bucket:
    limit: int
    per: float
    started: float = 0.0
    used: int = 0

    def refresh(self, now: float) -> None:
        if now - self.started >= self.per:
            self.started, self.used = now, 0

    @property
    def reset_at(self) -> float:
        return self.started + self.per


@dataclass
class RateLimiter:
    """Per-route buckets and the global window of one bot token; counts what it refused."""

    enabled: bool = True
    global_per_second: int = GLOBAL_PER_SECOND
    buckets: dict[str, _Bucket] = field(default_factory=dict)
    recent: deque[float] = field(default_factory=deque)
    route_429s: int = 0
    global_429s: int = 0
    checked: int = 0
    #: The most requests let through in any one-second window so far.
    peak_per_second: int = 0

    @property
    def total_429s(self) -> int:
        return self.route_429s + self.global_429s

    def check(
        self, method: str, path: str, now: float | None = None
    ) -> tuple[FaultResponse | None, dict[str, str]]:
        """For a bot-token request that arrived at ``now`` (monotonic; default: now): the 429
        to answer (or None), and the headers to send."""
        if not self.enabled:
            return None, {}
        now = time.monotonic() if now is None else now
        self.checked += 1
        rule, match = _match(method, path)
        key = rule.key(method, path, match)
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = _Bucket(rule.limit, rule.per, now)
        bucket.refresh(now)
        while self.recent and now - self.recent[0] >= 1.0:
            self.recent.popleft()
        if len(self.recent) >= self.global_per_second:
            self.global_429s += 1
            # Until the oldest request in the window leaves it, from the real current time.
            retry = max(0.05, 1.0 - (time.monotonic() - self.recent[0]))
            return rate_limited(retry, is_global=True), {}
        if bucket.used >= bucket.limit:
            self.route_429s += 1
            retry = max(0.001, bucket.reset_at - now)
            fault = rate_limited(retry, is_global=False)
            fault.headers.update(self._headers(rule, key, bucket, now))
            return fault, {}
        bucket.used += 1
        self.recent.append(now)
        self.peak_per_second = max(self.peak_per_second, len(self.recent))
        return None, self._headers(rule, key, bucket, now)

    @staticmethod
    def _headers(rule: BucketRule, key: str, bucket: _Bucket, now: float) -> dict[str, str]:
        reset_after = max(0.0, bucket.reset_at - now)
        return {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(max(0, bucket.limit - bucket.used)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{math.ceil(reset_after * 1000) / 1000:.3f}",
            # One id per route (not per major value), as Discord's bucket hashes are.
            "X-RateLimit-Bucket": hashlib.sha1(rule.name.encode()).hexdigest()[:16],
        }


def _match(method: str, path: str) -> tuple[BucketRule, re.Match[str]]:
    for rule in RULES:
        if rule.method == method:
            match = rule.pattern.match(path)
            if match is not None:
                return rule, match
    match = DEFAULT_RULE.pattern.match(path)
    assert match is not None
    return DEFAULT_RULE, match
