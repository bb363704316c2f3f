"""What listings are called, kept in the market cache: names of every symbol the bot fetched
(Yahoo's chart ``meta`` carries ``longName``/``shortName``) or saw in a search answer, and a
week's cache of search answers.

Why keep them: a name typed once must not cost a search every time, names of cached
symbols must resolve with the source down, and autocomplete must answer from here within
milliseconds. Only successful answers are stored (an empty one too: "nothing matches" is
an answer); a failed search is never stored, so it can never become "no such company".
All SQL takes values as parameters.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from analytics.data.cache import MarketCache
from analytics.data.sources.base import Listing
from analytics.data.sources.csvsearch import starts_with_words, words

#: How long a search answer is reused.
SEARCH_TTL = timedelta(days=7)

#: Yahoo's exchange codes -> the names people know, for listings seen only in chart data.
EXCHANGE_NAMES = {
    "HKG": "Hong Kong",
    "NMS": "NASDAQ",
    "NGM": "NASDAQ",
    "NCM": "NASDAQ",
    "NYQ": "NYSE",
    "NYS": "NYSE",
    "ASE": "NYSE American",
    "PCX": "NYSEArca",
    "PNK": "OTC Markets",
    "LSE": "London",
    "SHH": "Shanghai",
    "SHZ": "Shenzhen",
    "JPX": "Tokyo",
    "TYO": "Tokyo",
    "GER": "XETRA",
    "FRA": "Frankfurt",
    "PAR": "Paris",
    "AMS": "Amsterdam",
    "TOR": "Toronto",
    "ASX": "ASX",
    "KSC": "Korea",
    "TAI": "Taiwan",
    "CCY": "Currency",
    "SNP": "S&P",
}

#: Legal-form words dropped from the end of a name for display ("Tencent Holdings Limited"
#: -> "Tencent Holdings").
_LEGAL = {
    "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "plc",
    "sa", "ag", "nv", "se", "ab", "publ", "spa", "asa", "oyj", "llc", "lp", "the",
}  # fmt: skip
#: Words a company's identity does not depend on: dropped too when telling companies apart.
_GENERIC = _LEGAL | {"holding", "holdings", "group", "com", "class", "adr", "ads"}


def display_name(name: str | None) -> str | None:
    """A name as shown beside a symbol: legal-form words dropped from its end."""
    if not name:
        return None
    parts = name.replace(",", " ").split()
    while len(parts) > 1 and re.sub(r"[^\w]", "", parts[-1].lower()) in _LEGAL:
        parts.pop()
    return " ".join(parts).strip(" .,") or name


def company_key(name: str | None) -> str:
    """What identifies a company across its listings: "Alibaba Group Holding Limited" and
    "Alibaba Group Holding Ltd." are both ``alibaba``."""
    have = words(name or "")
    while len(have) > 1 and have[-1] in _GENERIC:
        have.pop()
    return " ".join(have)


def short_name(listing: Listing | None) -> str | None:
    """One word for tight spaces (``Tencent``, ``Alibaba``, ``Amazon``), or ``None``."""
    shown = display_name(listing.name) if listing else None
    if not shown or shown.upper() == listing.symbol:  # type: ignore[union-attr]
        return None
    first = shown.split()[0].split(".")[0].strip(",")
    return first[:14] or None


def exchange_name(listing: Listing) -> str | None:
    return listing.exchange_name or EXCHANGE_NAMES.get(listing.exchange or "") or listing.exchange


def choice_label(listing: Listing) -> str:
    """``0700.HK · Tencent Holdings · Hong Kong``: an autocomplete entry (at most 100)."""
    parts = [listing.symbol, display_name(listing.name), exchange_name(listing)]
    return " · ".join(p for p in parts if p)[:100]


def normalize_query(text: str) -> str:
    return " ".join(text.lower().split())


#: A listing's columns, in the order of :class:`Listing`'s fields.
_LISTING_COLUMNS = "symbol, long_name, short_name, exchange, exchange_name, quote_type"


class ListingStore:
    """Listings' names and search answers in the market cache."""

    def __init__(self, cache: MarketCache) -> None:
        self.cache = cache

    # -- names ---------------------------------------------------------------------------
    def remember(self, listings: Iterable[Listing], now: datetime) -> None:
        """Upsert what a source said about listings; ``None`` never overwrites a value."""
        rows = [
            (
                item.symbol,
                _named(item.long_name, item.symbol),
                _named(item.short_name, item.symbol),
                item.exchange,
                item.exchange_name,
                item.quote_type,
                now.isoformat(),
            )
            for item in listings
        ]
        if not rows:
            return
        with self.cache.transaction() as conn:
            conn.executemany(
                "INSERT INTO listings (symbol, long_name, short_name, exchange, exchange_name, "
                "quote_type, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(symbol) DO "
                "UPDATE SET long_name = coalesce(excluded.long_name, long_name), "
                "short_name = coalesce(excluded.short_name, short_name), "
                "exchange = coalesce(excluded.exchange, exchange), "
                "exchange_name = coalesce(excluded.exchange_name, exchange_name), "
                "quote_type = coalesce(excluded.quote_type, quote_type), "
                "updated_at = excluded.updated_at",
                rows,
            )

    def get(self, symbol: str) -> Listing | None:
        return self.many([symbol]).get(symbol)

    def many(self, symbols: Sequence[str]) -> dict[str, Listing]:
        symbols = list(dict.fromkeys(symbols))
        if not symbols:
            return {}
        marks = ",".join("?" * len(symbols))
        # Only "?" placeholders are interpolated; the symbols go in as parameters.
        sql = f"SELECT {_LISTING_COLUMNS} FROM listings WHERE symbol IN ({marks})"  # noqa: S608
        rows = self.cache.connection().execute(sql, symbols)
        return {r["symbol"]: _listing(r) for r in rows}

    def matching(self, query: str, limit: int = 25) -> list[tuple[Listing, bool]]:
        """Known listings whose ticker starts with ``query`` or whose name's words start
        with its words, each with whether the cache holds its prices; cached first."""
        asked = words(query)
        if not asked:
            return []
        first = asked[0].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self.cache.connection().execute(
            "SELECT symbol, long_name, short_name, exchange, exchange_name, quote_type, "
            "symbol IN (SELECT symbol FROM fetches) AS cached FROM listings "
            "WHERE symbol LIKE ? ESCAPE '\\' OR lower(long_name) LIKE ? ESCAPE '\\' "
            "OR lower(short_name) LIKE ? ESCAPE '\\' "
            "ORDER BY cached DESC, symbol LIMIT 500",
            (
                query.strip().upper().replace("%", "").replace("_", "") + "%",
                first + "%",
                first + "%",
            ),
        )
        out: list[tuple[Listing, bool]] = []
        upper = query.strip().upper()
        for r in rows:
            item = _listing(r)
            names = [n for n in (item.long_name, item.short_name) if n]
            if item.symbol.startswith(upper) or any(starts_with_words(n, asked) for n in names):
                out.append((item, bool(r["cached"])))
            if len(out) >= limit:
                break
        return out

    def existence(self, symbols: Sequence[str]) -> dict[str, bool | None]:
        """Per symbol: True if the cache holds its prices, False if the source said it does
        not exist (and no prices were ever had), None if nothing is known."""
        symbols = list(dict.fromkeys(symbols))
        if not symbols:
            return {}
        marks = ",".join("?" * len(symbols))
        conn = self.cache.connection()
        # Only "?" placeholders are interpolated; the symbols go in as parameters.
        have = {
            r["symbol"]
            for r in conn.execute(
                f"SELECT DISTINCT symbol FROM fetches WHERE symbol IN ({marks})",  # noqa: S608
                symbols,
            )
        }
        gone = {
            r["symbol"]
            for r in conn.execute(
                f"SELECT symbol FROM symbols WHERE symbol IN ({marks}) "  # noqa: S608
                "AND last_error_kind = 'not_found'",
                symbols,
            )
        }
        return {s: True if s in have else (False if s in gone else None) for s in symbols}

    # -- search answers ------------------------------------------------------------------
    def cached_search(self, query: str, now: datetime) -> list[Listing] | None:
        """The stored answer for ``query`` if younger than :data:`SEARCH_TTL`."""
        row = (
            self.cache.connection()
            .execute(
                "SELECT listings, fetched_at FROM searches WHERE query = ?",
                (normalize_query(query),),
            )
            .fetchone()
        )
        if not row or now - datetime.fromisoformat(row["fetched_at"]) >= SEARCH_TTL:
            return None
        return [Listing.from_json(item) for item in json.loads(row["listings"])]

    def save_search(self, query: str, listings: Sequence[Listing], now: datetime) -> None:
        """Store a successful answer and the names in it, in one transaction."""
        body = json.dumps([item.to_json() for item in listings])
        with self.cache.transaction() as conn:
            conn.execute(
                "INSERT INTO searches (query, listings, fetched_at) VALUES (?, ?, ?) "
                "ON CONFLICT(query) DO UPDATE SET listings = excluded.listings, "
                "fetched_at = excluded.fetched_at",
                (normalize_query(query), body, now.isoformat()),
            )
            self.remember(listings, now)


def _named(name: str | None, symbol: str) -> str | None:
    """Yahoo fills a missing name with the symbol itself: that is no name."""
    return name if name and name.strip().upper() != symbol.upper() else None


def _listing(row: sqlite3.Row) -> Listing:
    """A listing from its row, by column name."""
    return Listing(
        row["symbol"],
        row["long_name"],
        row["short_name"],
        row["exchange"],
        row["exchange_name"],
        row["quote_type"],
    )
