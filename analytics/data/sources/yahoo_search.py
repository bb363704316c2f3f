"""Yahoo's symbol search for :class:`~analytics.data.sources.yahoo.YahooSource`, through
yfinance's ``Search`` (``query2 /v1/finance/search``) and ``Lookup`` (``query1
/v1/finance/lookup``).

Why the checks: ``yf.Search`` hides failures. A 500 or a body that is not JSON becomes
``{}`` with no quotes, which reads exactly like "no company by that name", and a name that
is "unknown" is cached for a week. So an answer only counts as an answer when Yahoo's own
shape is there (a ``quotes`` list and an integer ``count``); anything else raises
:class:`SourceError`, and the HTTP status our session observed is checked too.

``Lookup`` is asked only when the search found no listing at all: it matches tickers and
names more loosely (partial tickers, other share classes), and its documents name fewer
fields (``shortName``, lower-case ``quoteType``, ``rank``).
"""

from __future__ import annotations

import logging
import math
from typing import Any

import yfinance as yf
from yfinance.exceptions import YFRateLimitError

from analytics.data.sources.base import Listing
from analytics.data.sources.yahoo_session import Observation, YahooSession, captured_yf_messages
from analytics.errors import RateLimitedError, SourceError

_LOG = logging.getLogger("analytics.data.sources.yahoo")


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _score(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def listing_from_quote(quote: dict[str, Any]) -> Listing | None:
    """A search ``quotes`` entry (``symbol``, ``shortname``, ``longname``, ``exchange``,
    ``exchDisp``, ``quoteType``, ``score``); ``None`` for entries that are not listings
    (Yahoo mixes in companies without a ticker, ``isYahooFinance: false``)."""
    symbol = _text(quote.get("symbol"))
    if symbol is None:
        return None
    return Listing(
        symbol=symbol.upper(),
        long_name=_text(quote.get("longname")),
        short_name=_text(quote.get("shortname")),
        exchange=_text(quote.get("exchange")),
        exchange_name=_text(quote.get("exchDisp")),
        quote_type=(_text(quote.get("quoteType")) or "").upper() or None,
        score=_score(quote.get("score")),
    )


def listing_from_document(document: dict[str, Any]) -> Listing | None:
    """A lookup ``documents`` entry (``symbol``, ``shortName``, ``exchange``, ``quoteType``
    in lower case, ``rank``)."""
    symbol = _text(document.get("symbol"))
    if symbol is None:
        return None
    return Listing(
        symbol=symbol.upper(),
        long_name=_text(document.get("longName")),
        short_name=_text(document.get("shortName")),
        exchange=_text(document.get("exchange")),
        exchange_name=None,
        quote_type=(_text(document.get("quoteType")) or "").upper() or None,
        score=_score(document.get("rank")),
    )


def _check(observation: Observation | None, what: str) -> None:
    if observation is None:
        return
    if observation.status == 429:
        raise RateLimitedError(f"Yahoo {what} rate limited (HTTP 429)")
    if observation.error is not None:
        raise SourceError(f"Yahoo {what} failed: {type(observation.error).__name__}")
    if observation.status is not None and observation.status >= 400:
        raise SourceError(f"Yahoo {what} answered HTTP {observation.status}")


def search_quotes(session: YahooSession, query: str, limit: int, timeout: float) -> list[Listing]:
    """``yf.Search``'s listings for ``query`` (the caller holds the yfinance lock)."""
    try:
        with captured_yf_messages():
            found = yf.Search(
                query,
                max_results=limit,
                news_count=0,
                lists_count=0,
                include_cb=False,
                recommended=0,
                session=session,
                timeout=timeout,
            )
    except YFRateLimitError as exc:
        raise RateLimitedError("Yahoo search rate limited (HTTP 429)") from exc
    except Exception as exc:  # timeout, connection, yfinance choking on an answer
        _LOG.debug("yf.Search(%r) failed", query, exc_info=True)
        raise SourceError(f"Yahoo search failed: {type(exc).__name__}") from exc
    observations = session.take_observations()
    _check(next((o for (kind, _), o in observations.items() if kind == "search"), None), "search")
    body = found.response
    quotes = body.get("quotes") if isinstance(body, dict) else None
    count = body.get("count") if isinstance(body, dict) else None
    if not isinstance(quotes, list) or isinstance(count, bool) or not isinstance(count, int):
        raise SourceError("Yahoo search gave a malformed answer")
    listings = [listing_from_quote(q) for q in quotes if isinstance(q, dict)]
    return [listing for listing in listings if listing is not None][:limit]


def lookup_documents(
    session: YahooSession, query: str, limit: int, timeout: float
) -> list[Listing]:
    """``yf.Lookup(query).get_all()``'s listings (the caller holds the yfinance lock)."""
    try:
        with captured_yf_messages():
            lookup = yf.Lookup(query, session=session, timeout=timeout)
            body = lookup._fetch_lookup("all", limit)  # the raw answer: the frame drops names
    except YFRateLimitError as exc:
        raise RateLimitedError("Yahoo lookup rate limited (HTTP 429)") from exc
    except Exception as exc:
        _LOG.debug("yf.Lookup(%r) failed", query, exc_info=True)
        raise SourceError(f"Yahoo lookup failed: {type(exc).__name__}") from exc
    observations = session.take_observations()
    _check(next((o for (kind, _), o in observations.items() if kind == "lookup"), None), "lookup")
    result = (body.get("finance") or {}).get("result") if isinstance(body, dict) else None
    if not isinstance(result, list):
        raise SourceError("Yahoo lookup gave a malformed answer")
    documents = (result[0] or {}).get("documents") if result else []
    if not isinstance(documents, list):
        raise SourceError("Yahoo lookup gave a malformed answer")
    listings = [listing_from_document(d) for d in documents if isinstance(d, dict)]
    return [listing for listing in listings if listing is not None][:limit]
