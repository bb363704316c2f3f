"""Failures to switch on at runtime, each shaped as discord.py expects to read it.

A 429 carries `retry_after` in the body, the X-RateLimit-* headers and a `Via` header: without
`Via`, discord.py takes the 429 for a Cloudflare ban and raises instead of retrying
(discord/http.py and discord/webhook/async_.py, 2.7.1). 500/502/504 are retried by discord.py
after 1 s, 3 s...; other 5xx are raised as DiscordServerError.
"""

from __future__ import annotations

import math
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FaultResponse:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Rule:
    pattern: re.Pattern[str]
    method: str | None
    remaining: int
    response: FaultResponse
    kind: str
    hits: int = 0


def unknown_webhook() -> FaultResponse:
    return FaultResponse(404, {"message": "Unknown Webhook", "code": 10015})


def unknown_interaction() -> FaultResponse:
    return FaultResponse(404, {"message": "Unknown interaction", "code": 10062})


def missing_permissions() -> FaultResponse:
    return FaultResponse(403, {"message": "Missing Permissions", "code": 50013})


def unknown_channel() -> FaultResponse:
    return FaultResponse(404, {"message": "Unknown Channel", "code": 10003})


def rate_limited(retry_after: float, *, is_global: bool) -> FaultResponse:
    reset = time.time() + retry_after
    headers = {
        "Via": "1.1 google",
        "Retry-After": str(max(1, math.ceil(retry_after))),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{reset:.3f}",
        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
        "X-RateLimit-Bucket": uuid.uuid4().hex[:16],
        "X-RateLimit-Scope": "global" if is_global else "user",
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    body = {
        "message": "You are being rate limited.",
        "retry_after": retry_after,
        "global": is_global,
        "code": 0,
    }
    return FaultResponse(429, body, headers)


class Faults:
    """Switches for failures. Paths are regexes searched in the path relative to the API base,
    e.g. r"^/webhooks/" (followups), r"/callback$" (interaction responses)."""

    FOLLOWUP_PATH = r"^/webhooks/\d+/[^/]+$"

    def __init__(self) -> None:
        self._rules: list[_Rule] = []
        self.expired_tokens: set[str] = set()
        self.channel_errors: dict[int, FaultResponse] = {}

    def rate_limit(
        self,
        path: str = ".*",
        *,
        method: str | None = None,
        times: int = 1,
        retry_after: float = 0.25,
        is_global: bool = False,
    ) -> None:
        """Answer the next `times` matching requests with 429 (per-route, or global)."""
        self._add(path, method, times, rate_limited(retry_after, is_global=is_global), "429")

    def server_error(
        self, path: str = ".*", *, method: str | None = None, times: int = 1, status: int = 500
    ) -> None:
        """Answer the next `times` matching requests with a 5xx."""
        body = {"message": f"{status}: Internal Server Error", "code": 0}
        self._add(path, method, times, FaultResponse(status, body), "5xx")

    def fail_followups(self, times: int = 1, status: int = 500) -> None:
        """5xx on the next `times` followup messages (POST /webhooks/{app}/{token})."""
        self.server_error(self.FOLLOWUP_PATH, method="POST", times=times, status=status)

    def expire_interaction(self, token: str) -> None:
        """The interaction's token stops working: webhooks get 404 10015, its callback 10062."""
        self.expired_tokens.add(token)

    def channel_error(self, channel_id: int, status: int = 403) -> None:
        """Messages to the channel fail: 403 code 50013 (no permission) or 404 code 10003."""
        if status not in (403, 404):
            raise ValueError("channel_error status must be 403 or 404")
        self.channel_errors[channel_id] = (
            missing_permissions() if status == 403 else unknown_channel()
        )

    def clear(self) -> None:
        self._rules.clear()
        self.expired_tokens.clear()
        self.channel_errors.clear()

    def pending(self) -> int:
        """How many switched-on failures have not fired yet (0 when all were used)."""
        return sum(rule.remaining for rule in self._rules)

    def take(self, method: str, path: str) -> FaultResponse | None:
        """The fault for this request, if one is armed (consumes one use)."""
        for rule in self._rules:
            if rule.remaining <= 0 or (rule.method and rule.method != method):
                continue
            if rule.pattern.search(path):
                rule.remaining -= 1
                rule.hits += 1
                if rule.kind == "429":  # fresh reset timestamps for each answer
                    retry = rule.response.body["retry_after"]
                    return rate_limited(retry, is_global=rule.response.body["global"])
                return rule.response
        return None

    def _add(
        self, path: str, method: str | None, times: int, response: FaultResponse, kind: str
    ) -> None:
        rule = _Rule(re.compile(path), method.upper() if method else None, times, response, kind)
        self._rules.append(rule)
