"""Questions understood before, kept while nothing they depend on has changed.

Why: people in a server ask the same few questions ("how did the titans do this year?"),
and interpreting one costs about a millisecond (tokens, typo correction, names looked up in
the market cache), as much as answering it from the cache now does. A repeat is answered
from here in microseconds.

Why it is never wrong: an interpretation depends only on the question's text, today's date,
the server's basket names, the question it follows up (if any), and what the market cache
knows (tickers fetched, company names seen). The first four are the key; the last is the
cache file's version (:meth:`analytics.data.cache.MarketCache.version`, which changes with
any commit), taken before interpreting, so a write landing meanwhile can only make the
entry look stale. Only :class:`Understood` outcomes are kept: a refusal may come from a
name search that failed for now, and must be tried again next time. One thing changes
without a write: a week-old search answer expiring. A question it resolved keeps that
reading until the day changes (today is in the key): the listing it named still exists.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from datetime import date

from commands.ask.frame import Frame
from commands.ask.interpret import Understood

#: Distinct questions kept (each a few hundred bytes).
MEMO_SIZE = 2048


class UnderstoodMemo:
    """A bounded, thread-safe map from what an interpretation depends on to its outcome."""

    def __init__(self, size: int = MEMO_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[int, Understood]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    @staticmethod
    def key(
        question: str, today: date, baskets: frozenset[str], previous: Frame | None
    ) -> Hashable:
        # A frame holds dicts (unhashable): its repr stands for it. Equal frames written in
        # another order only miss the memo, never hit a wrong entry.
        return (question, today, baskets, None if previous is None else repr(previous))

    def get(self, key: Hashable, version: int) -> Understood | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if found[0] != version:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: Hashable, version: int, outcome: object) -> None:
        if not isinstance(outcome, Understood):
            return
        with self._lock:
            self._entries[key] = (version, outcome)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
