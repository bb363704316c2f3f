"""A source built on first use, so importing its library stays off the bot's start.

Why: yfinance imports pandas and curl_cffi, about half a second and 50 MB, and the bot
needs neither to connect to Discord and say READY; most of its answers come from the
market cache anyway. The first command that must ask Yahoo builds the source.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from analytics.data.sources.base import Listing, Source, SymbolHistory


class LazySource:
    """Stands in for the source ``build()`` returns until a call needs it."""

    def __init__(self, build: Callable[[], Source], label: str) -> None:
        self.label = label
        self._build = build
        self._source: Source | None = None
        self._lock = threading.Lock()

    @property
    def source(self) -> Source:
        with self._lock:
            if self._source is None:
                self._source = self._build()
            return self._source

    def fetch_history(
        self, symbols: Sequence[str], start: date, end: date
    ) -> dict[str, SymbolHistory]:
        return self.source.fetch_history(symbols, start, end)

    def fetch_info(self, symbol: str) -> dict[str, Any] | None:
        return self.source.fetch_info(symbol)

    def search(self, query: str, limit: int = 10, timeout: float | None = None) -> list[Listing]:
        """The built source's name search (none: nothing found). NameResolver asks for this
        method by name, so without it every company name would find nothing on the bot."""
        finder = getattr(self.source, "search", None)
        if finder is None:
            return []
        return list(finder(query, limit=limit, timeout=timeout))

    def fetch_statements(self, symbol: str) -> dict[str, Any] | None:
        """The built source's income statements (none: no statements). StatementStore asks
        for this method by name: without it, /valuation on: and the EPS reconciliation
        would find no statements on the bot."""
        fetch = getattr(self.source, "fetch_statements", None)
        return fetch(symbol) if fetch is not None else None

    def remember_timezones(self, zones: dict[str, str]) -> None:
        remember = getattr(self.source, "remember_timezones", None)
        if remember is not None:
            remember(zones)
