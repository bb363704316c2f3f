"""Company names to listings: ``tencent`` -> ``0700.HK``. No Discord, no baskets: a name in,
what it became (or why not) out, for the commands and the plain-words interpreter alike.

Where an answer comes from, first that has one:

1. the search answer cached in the last week (:mod:`analytics.data.listings`);
2. names of symbols whose prices are cached, when exactly one listing of exactly one
   company carries the name ("tencent" is "Tencent Holdings Limited"): instant, offline;
3. the source's search (Yahoo's, or the CSV folder's), whose answer is then cached;
   when it fails, the cached names of step 2 are used even if several listings of the
   company are cached, and otherwise the failure is said, never "no such company".

Which listing, in an answer: an exact ticker wins; otherwise equities only (ETFs,
options, crypto and indices are found by their own tickers and full names, never for a
company's name), grouped by company (the same name across listings), and the company
whose name *is* the query wins, else the top-ranked one if it leads the next company
clearly (twice the score); else the name is ambiguous and the candidates are given.
Within the company the top-ranked listing is taken and the others are named as "also".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analytics.data.cache import MarketCache
from analytics.data.listings import (
    ListingStore,
    company_key,
    display_name,
    exchange_name,
    normalize_query,
)
from analytics.data.sources.base import EQUITY, Listing, Source
from analytics.data.sources.csvsearch import starts_with_words, words
from analytics.data.symbols import MAX_SYMBOLS
from analytics.errors import NoDataError, SourceError, UserInputError

log = logging.getLogger(__name__)

MAX_NAME = 60
#: How many search results are asked for, and candidates shown for an ambiguous name.
SEARCH_LIMIT = 10
MAX_CANDIDATES = 5
MAX_ALSO = 3
#: A company leads clearly when its best score is at least this multiple of the next's.
CLEAR_LEAD = 2.0
#: Autocomplete: how long a keystroke waits for the search, the search's own timeout, how
#: many searches may run at once, the shortest text searched, and types never offered.
AUTOCOMPLETE_WAIT = 1.2
AUTOCOMPLETE_TIMEOUT = 2.0
MAX_PENDING = 4
MIN_SEARCH = 2
HIDDEN_TYPES = frozenset({"OPTION"})
HOW_TO_SEARCH = "/quote symbol: accepts names and tickers (tencent, 0700.HK, AAPL)"


def shown(text: str, limit: int = 40) -> str:
    """User text fit to quote in a reply: characters a name may have, others as ``?``."""
    kept = "".join(ch if ch.isalnum() or ch in " &.-'" else "?" for ch in text[:limit])
    return kept + ("…" if len(text) > limit else "")


def check_name(text: str) -> str:
    """A name as typed, validated before any search: letters, digits, spaces, ``& . - '``."""
    name = " ".join(text.split())
    if not name:
        raise UserInputError("Empty name. Give a company name such as tencent, or a ticker.")
    allowed = all(ch.isalnum() or ch in " &.-'" for ch in name)
    if len(name) > MAX_NAME or not allowed:
        raise UserInputError(
            f"'{shown(name, 32)}' is not a valid symbol or company name: use letters, "
            f"digits, spaces and & . - ' (at most {MAX_NAME} characters), e.g. tencent, 0700.HK."
        )
    return name


@dataclass(frozen=True, slots=True)
class NameMatch:
    """What a typed name became, and the company's other listings in the answer."""

    typed: str
    listing: Listing
    also: tuple[Listing, ...] = ()

    @property
    def symbol(self) -> str:
        return self.listing.symbol

    def line(self) -> str:
        """``tencent → 0700.HK Tencent Holdings (also TCEHY on OTC Markets)``."""
        shown = display_name(self.listing.name)
        text = f"{self.typed} → {self.symbol}" + (f" {shown}" if shown else "")
        if self.also:
            others = ", ".join(f"{a.symbol} on {exchange_name(a) or '?'}" for a in self.also)
            text += f" (also {others})"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "typed": self.typed,
            "symbol": self.symbol,
            "name": self.listing.name,
            "also": [{"symbol": a.symbol, "exchange": exchange_name(a)} for a in self.also],
        }


@dataclass(frozen=True, slots=True)
class Ambiguity:
    """A name that several companies answer to, none clearly first."""

    typed: str
    candidates: tuple[Listing, ...]

    def message(self) -> str:
        shown = ", ".join(
            f"{c.symbol} {display_name(c.name) or ''} ({exchange_name(c) or '?'})".replace(
                "  ", " "
            )
            for c in self.candidates
        )
        return f"'{self.typed}' matches several companies: {shown}. Give the symbol you mean."


@dataclass(slots=True)
class Resolution:
    """What each name of a comma list became: matches in order, and the ones that did not."""

    matches: list[NameMatch] = field(default_factory=list)
    ambiguous: list[Ambiguity] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    #: typed name -> why the search could not be done (rate limit, timeout).
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def symbols(self) -> list[str]:
        return list(dict.fromkeys(m.symbol for m in self.matches))

    @property
    def ok(self) -> bool:
        return not (self.ambiguous or self.unmatched or self.failed)


class NoSuchName(UserInputError):
    """No listing answers to the name (the search itself worked)."""


def no_match(typed: str) -> NoSuchName:
    return NoSuchName(f"No company or symbol matches '{shown(typed)}'. {HOW_TO_SEARCH}.")


def _rank(listing: Listing) -> float:
    return listing.score if listing.score is not None else 0.0


def pick(typed: str, answer: Sequence[Listing]) -> NameMatch | Ambiguity | None:
    """The listing a name means among a search answer (see the module docstring)."""
    wanted, key = typed.strip().upper(), company_key(typed)
    ordered = sorted(answer, key=_rank, reverse=True)  # stable: the source's order on ties
    exact = next((x for x in ordered if x.symbol == wanted), None)
    equities = [x for x in ordered if x.quote_type == EQUITY]
    if exact is not None:
        return _match(typed, exact, equities if exact.quote_type == EQUITY else [])
    groups: dict[str, list[Listing]] = {}
    for item in equities:
        groups.setdefault(company_key(item.name) or item.symbol.lower(), []).append(item)
    named = [g for k, g in groups.items() if k == key]
    if len(named) == 1:
        return _match(typed, named[0][0], named[0])
    others = [x for x in ordered if x.quote_type != EQUITY and x.name]
    own = next((x for x in others if company_key(x.name) == key), None)
    if own is not None:
        return NameMatch(typed, own)
    companies = list(groups.values())  # in rank order of each company's best listing
    if len(companies) == 1 or (
        companies and _rank(companies[0][0]) >= CLEAR_LEAD * _rank(companies[1][0])
    ):
        return _match(typed, companies[0][0], companies[0])
    if companies:
        return Ambiguity(typed, tuple(g[0] for g in companies[:MAX_CANDIDATES]))
    asked = words(typed)
    loose = next((x for x in others if starts_with_words(x.name or "", asked)), None)
    return NameMatch(typed, loose) if loose is not None else None


def _match(typed: str, chosen: Listing, company: Sequence[Listing]) -> NameMatch:
    key = company_key(chosen.name)
    also = [x for x in company if x.symbol != chosen.symbol and company_key(x.name) == key]
    return NameMatch(typed, chosen, tuple(also[:MAX_ALSO]))


class NameResolver:
    """Resolves names through the market cache and the source's search."""

    def __init__(self, cache: MarketCache, source: Source, clock: Callable[[], datetime]) -> None:
        self.store = ListingStore(cache)
        self.source = source
        self.clock = clock
        # Autocomplete's searches run here, so a hanging source never holds a keystroke.
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="name-search")
        self._pending: dict[str, Future[list[Listing]]] = {}
        self._pending_lock = threading.Lock()

    def find(self, typed: str, timeout: float | None = None) -> NameMatch | Ambiguity | None:
        """What ``typed`` (validated) names; raises :class:`SourceError` only when the search
        failed and nothing cached can answer."""
        now = self.clock()
        cached = self.store.cached_search(typed, now)
        if cached is not None:
            return pick(typed, cached)
        offline = self._offline(typed)
        if len(offline) == 1:
            return NameMatch(typed, offline[0])
        try:
            answer = self.search(typed, timeout=timeout)
        except SourceError:
            if offline:
                return _match(typed, offline[0], offline)
            raise
        return pick(typed, answer)

    def cached_symbol(self, typed: str) -> str | None:
        """The listing ``typed`` names from what the market cache already holds, else None.

        Never asks the source: the plain-words interpreter tries every short run of words
        as a possible name, and a search per run would make a question cost seconds. A name
        someone resolved before (a command, autocomplete) or a symbol the bot has fetched
        answers here; anything else is left to the typed command's own resolution.
        """
        try:
            name = check_name(typed)
        except UserInputError:
            return None
        cached = self.store.cached_search(name, self.clock())
        found = pick(name, cached) if cached is not None else None
        if found is None:
            offline = self._offline(name)
            found = NameMatch(name, offline[0]) if len(offline) == 1 else None
        return found.symbol if isinstance(found, NameMatch) else None

    def search(
        self, query: str, timeout: float | None = None, limit: int = SEARCH_LIMIT
    ) -> list[Listing]:
        """The source's answer, cached for a week; failures raise and are not cached."""
        finder = getattr(self.source, "search", None)
        if finder is None:
            return []
        answer = list(finder(query, limit=limit, timeout=timeout))
        self.store.save_search(query, answer, self.clock())
        return answer

    def resolve(self, typed: str, timeout: float | None = None) -> NameMatch:
        """A name's listing, or a one-line :class:`UserInputError` (nothing, or several
        companies) / :class:`NoDataError` (the search failed)."""
        name = check_name(typed)
        try:
            found = self.find(name, timeout=timeout)
        except SourceError as exc:
            raise NoDataError(
                f"Could not look up the name '{shown(name)}': the search failed ({exc}). "
                "Try again shortly, or give its ticker."
            ) from exc
        if isinstance(found, Ambiguity):
            raise UserInputError(found.message())
        if found is None:
            raise no_match(name)
        return found

    def find_or_none(self, typed: str) -> NameMatch | None:
        """For text that was first read as a symbol the source does not know: its listing
        as a name, ``None`` when no name fits either or the search failed (the caller then
        reports the unknown symbol). Several companies are refused as ambiguous, and a
        failed search is said (:class:`NoDataError`): it may well have been a name."""
        try:
            found = self.find(check_name(typed))
        except UserInputError:  # "^HSI" is no name
            return None
        except SourceError as exc:
            raise NoDataError(
                f"Could not look up the name '{shown(typed)}': {typed.upper()} is no symbol the "
                f"data source knows, and the name search failed ({exc}). Try again shortly, "
                "or give its ticker."
            ) from exc
        if isinstance(found, Ambiguity):
            raise UserInputError(found.message())
        return found

    def resolve_names(self, text: str, timeout: float | None = None) -> Resolution:
        """Every comma-separated name of ``text``; never raises for one name's outcome
        (a name with characters no name has is refused with :class:`UserInputError`)."""
        parts = [check_name(p) for p in text.split(",") if p.strip()]
        if len(parts) > MAX_SYMBOLS:
            raise UserInputError(f"{len(parts)} names given; at most {MAX_SYMBOLS} are accepted.")
        out = Resolution()
        for part in parts:
            try:
                found = self.find(part, timeout=timeout)
            except SourceError as exc:
                out.failed[part] = str(exc)
                continue
            if isinstance(found, NameMatch):
                out.matches.append(found)
            elif isinstance(found, Ambiguity):
                out.ambiguous.append(found)
            else:
                out.unmatched.append(part)
        return out

    def _offline(self, typed: str) -> list[Listing]:
        """Listings with cached prices whose company is called exactly ``typed``."""
        key = company_key(typed)
        found = [item for item, cached in self.store.matching(typed, limit=50) if cached]
        return [item for item in found if company_key(item.name) == key]

    # -- autocomplete ----------------------------------------------------------------------
    def suggest(self, text: str, limit: int = 25, wait: float = AUTOCOMPLETE_WAIT) -> list[Listing]:
        """Listings for what is typed so far, within ``wait`` seconds whatever the source
        does: names and tickers the market cache knows (cached prices first), then the
        search's answer (cached for a week) if it comes in time. A search still running
        when ``wait`` is up goes on in the background and caches its answer for the next
        keystroke; failures are logged, never raised."""
        typed = " ".join(text.split())
        if (
            not typed
            or len(typed) > MAX_NAME
            or not all(ch.isalnum() or ch in " &.-'^=" for ch in typed)
        ):
            return []
        known = self.store.matching(typed, limit)
        answer = self.store.cached_search(typed, self.clock())
        if answer is None and len(typed) >= MIN_SEARCH:
            answer = self._search_soon(typed, wait)
        # Listings with cached prices, then the search's ranking, then other known names.
        ranked = [item for item, cached in known if cached] + list(answer or [])
        ranked += [item for item, cached in known if not cached]
        found: dict[str, Listing] = {}
        for item in ranked:
            if item.quote_type not in HIDDEN_TYPES:
                found.setdefault(item.symbol, item)
        return list(found.values())[:limit]

    def _search_soon(self, typed: str, wait: float) -> list[Listing] | None:
        key = normalize_query(typed)
        with self._pending_lock:
            future = self._pending.get(key)
            if future is None:
                if len(self._pending) >= MAX_PENDING:
                    return None  # the source is slow: do not pile up searches
                future = self._pool.submit(self.search, typed, AUTOCOMPLETE_TIMEOUT)
                self._pending[key] = future
                fresh = True
            else:
                fresh = False
        if fresh:
            # Outside the lock: a search that already finished runs the callback here, at
            # once, and _done takes the same (non-reentrant) lock.
            future.add_done_callback(lambda _f, k=key: self._done(k))
        try:
            return future.result(timeout=wait)
        except FutureTimeout:
            return None
        except Exception as exc:  # SourceError, or anything the source raised
            log.debug("autocomplete search for %r failed: %s", typed, exc)
            return None

    def _done(self, key: str) -> None:
        with self._pending_lock:
            self._pending.pop(key, None)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
