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

from collections.abc import Hashable
from datetime import date

from analytics.data.memo import VersionedMemo
from commands.ask.frame import Frame
from commands.ask.interpret import Understood

#: Distinct questions kept (each a few hundred bytes).
MEMO_SIZE = 2048


class UnderstoodMemo(VersionedMemo[Understood]):
    """What an interpretation depends on -> its outcome, for :class:`Understood` ones."""

    def __init__(self, size: int = MEMO_SIZE) -> None:
        super().__init__(size)

    @staticmethod
    def key(
        question: str, today: date, baskets: frozenset[str], previous: Frame | None
    ) -> Hashable:
        # A frame holds dicts (unhashable): its repr stands for it. Equal frames written in
        # another order only miss the memo, never hit a wrong entry.
        return (question, today, baskets, None if previous is None else repr(previous))

    def put(self, key: Hashable, version: int, value: object) -> object:  # type: ignore[override]
        """Keep ``value`` only if it is :class:`Understood` (see the module's docstring)."""
        return super().put(key, version, value) if isinstance(value, Understood) else value
