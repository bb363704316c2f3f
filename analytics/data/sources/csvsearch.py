"""Search for :class:`~analytics.data.sources.csvdir.CsvFolderSource`: its own symbols (the
file names) and the names its ``fundamentals.json`` gives them (``longName``,
``shortName``), so a CSV-backed bot finds ``tencent`` offline like the Yahoo one does.

Ranking, highest first: the exact ticker, a ticker starting with the query, a name whose
words start with the query's words (``tenc`` and ``tencent holdings`` both find "Tencent
Holdings Limited"). Listings are equities unless ``fundamentals.json`` says otherwise
(``quoteType``); ``XXX=X`` files are currencies and ``^...`` indices.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from analytics.data.sources.base import Listing

_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-case words of a name: ``"Amazon.com, Inc."`` -> ``["amazon", "com", "inc"]``."""
    return _WORD_RE.findall(text.lower())


def starts_with_words(name: str, query: list[str]) -> bool:
    """Whether the name's words begin with the query's (the last one may be a prefix)."""
    have = words(name)
    if not query or len(query) > len(have):
        return False
    *whole, last = query
    return have[: len(whole)] == whole and have[len(whole)].startswith(last)


def _kind(symbol: str, info: dict[str, Any]) -> str:
    stated = info.get("quoteType")
    if isinstance(stated, str) and stated:
        return stated.upper()
    if symbol.endswith("=X"):
        return "CURRENCY"
    return "INDEX" if symbol.startswith("^") else "EQUITY"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def search_folder(
    symbols: Iterable[str], fundamentals: dict[str, Any], query: str, limit: int
) -> list[Listing]:
    """Listings among ``symbols`` (upper case) matching ``query``, best first."""
    wanted = query.strip().upper()
    asked = words(query)
    infos = {str(k).upper(): v for k, v in fundamentals.items() if isinstance(v, dict)}
    found: list[tuple[int, str, Listing]] = []
    for symbol in symbols:
        info = infos.get(symbol, {})
        long_name, short_name = _text(info.get("longName")), _text(info.get("shortName"))
        if symbol == wanted:
            rank = 3
        elif wanted and symbol.startswith(wanted):
            rank = 2
        elif any(starts_with_words(n, asked) for n in (long_name, short_name) if n):
            rank = 1
        else:
            continue
        listing = Listing(
            symbol=symbol,
            long_name=long_name,
            short_name=short_name,
            exchange=_text(info.get("exchange")),
            exchange_name=_text(info.get("fullExchangeName")),
            quote_type=_kind(symbol, info),
            score=float(rank),
        )
        found.append((-rank, symbol, listing))
    return [listing for _, _, listing in sorted(found)[:limit]]
