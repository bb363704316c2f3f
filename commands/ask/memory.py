"""What each person asked last, for follow-ups ("and in USD?"), kept for 10 minutes.

In this process's memory only: a restart forgets every conversation, which costs nothing but
asking the next question in full. Bounded, so a busy bot cannot grow it without limit; the
oldest entries go first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime, timedelta
from threading import Lock

from commands.ask.frame import Frame

FOLLOW_UP_WINDOW = timedelta(minutes=10)


class Conversations:
    def __init__(self, window: timedelta = FOLLOW_UP_WINDOW, limit: int = 10_000) -> None:
        self.window = window
        self.limit = limit
        self._items: OrderedDict[Hashable, tuple[Frame, datetime]] = OrderedDict()
        self._lock = Lock()  # answers are computed in worker threads

    def put(self, key: Hashable, frame: Frame, now: datetime) -> None:
        with self._lock:
            self._items[key] = (frame, now)
            self._items.move_to_end(key)
            while len(self._items) > self.limit:
                self._items.popitem(last=False)

    def get(self, key: Hashable, now: datetime) -> Frame | None:
        """The frame asked under ``key`` within the window, else None."""
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            frame, at = entry
            if now - at > self.window:
                del self._items[key]
                return None
            return frame
