"""A circuit breaker for the market-data source.

After repeated rate limits (HTTP 429) hammering Yahoo only makes the ban longer, so the
breaker opens: calls are skipped (answers come from the cache, marked stale) until a
back-off delay has passed, then one trial call is let through. Each failed trial doubles
the delay up to a ceiling; a success closes the breaker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta


class CircuitBreaker:
    def __init__(
        self,
        clock: Callable[[], datetime],
        threshold: int = 3,
        base_delay: timedelta = timedelta(seconds=30),
        max_delay: timedelta = timedelta(minutes=15),
    ) -> None:
        self._clock = clock
        self.threshold = threshold
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._failures = 0
        self._opened_until: datetime | None = None
        self._delay = base_delay
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """True when a call may go to the source now."""
        with self._lock:
            return self._opened_until is None or self._clock() >= self._opened_until

    @property
    def open_until(self) -> datetime | None:
        with self._lock:
            return self._opened_until

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_until = None
            self._delay = self.base_delay

    def record_rate_limit(self) -> None:
        with self._lock:
            self._failures += 1
            if self._failures < self.threshold:
                return
            if self._opened_until is not None:
                # A failed trial after the breaker had opened: back off further.
                self._delay = min(self._delay * 2, self.max_delay)
            self._opened_until = self._clock() + self._delay
