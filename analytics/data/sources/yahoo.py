"""Yahoo Finance as a :class:`~analytics.data.sources.base.Source`, through yfinance.

yfinance's ``download`` never raises: a failed symbol just gets all-NaN columns and a log
line. To tell "unknown symbol" from "rate limited" from "network down" we own the HTTP
session (a ``curl_cffi`` subclass) and look at what Yahoo actually answered for each
symbol's chart request, instead of parsing yfinance's log text.

The same session rewrites ``https://<host>/<path>`` to ``<base_url>/<host>/<path>`` when a
base URL is configured (``MARKETBOT_YAHOO_BASE_URL``: a mirror, or the local test double),
and caps every request at our timeout (yfinance hard-codes 10-30 s in places).

Limitation: yfinance keeps one process-wide ``YfData`` singleton (session, cookie, crumb)
and process-wide caches. So one process talks to Yahoo through one session at a time:
all calls from every :class:`YahooSource` are serialised by a module lock, and a source
re-installs its own session (with a fresh cookie/crumb) when another one was used last.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import multitasking
import pandas as pd
import yfinance as yf
from yfinance.data import SingletonMeta, YfData
from yfinance.exceptions import YFRateLimitError

from analytics.data.sources.base import Bar, FailureKind, Listing, SymbolHistory, finite
from analytics.data.sources.yahoo_search import lookup_documents, search_quotes
from analytics.data.sources.yahoo_session import (
    Observation,
    YahooSession,
    cached_timezone,
    captured_yf_messages,
    drop_yf_singleton,
    point_caches,
    process_cache_dir,
    remember_timezone,
)
from analytics.data.sources.yahoo_statements import labels_of, periods_of
from analytics.errors import RateLimitedError, SourceError

_LOG = logging.getLogger(__name__)

#: Serialises every use of yfinance by this module (its singleton is process-wide).
_YF_LOCK = threading.RLock()
#: Concurrent chart requests in one download: a 10-symbol question in one wave (a cold
#: one costs a time-zone lookup then a history request per symbol: two round trips, not
#: four); Yahoo rate-limits eagerly, so not more.
_MAX_THREADS = 12
#: A symbol whose ``validRanges`` stays within these has no usable daily history.
_SHORT_RANGES = frozenset({"1d", "5d"})


# ---- classification ----------------------------------------------------------------------
@dataclass(slots=True)
class _Verdict:
    error: str | None = None
    kind: FailureKind | None = None
    cause: str | None = None  # "rate" | "network" | "other" for kind == "failed"
    meta: dict[str, Any] = field(default_factory=dict)


def _failed(error: str, cause: str) -> _Verdict:
    return _Verdict(error, "failed", cause)


def _chart_json(observation: Observation) -> dict[str, Any] | None:
    try:
        body = json.loads(observation.response.content)
    except (ValueError, AttributeError):
        return None
    return body if isinstance(body, dict) else None


def _closes_in_range(result: dict[str, Any], start: date, end: date) -> list[Any]:
    """Closes Yahoo sent for local dates in ``[start, end]`` (it may append a live bar)."""
    try:
        zone = ZoneInfo((result.get("meta") or {}).get("exchangeTimezoneName") or "UTC")
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        zone = ZoneInfo("UTC")
    quote = ((result.get("indicators") or {}).get("quote") or [{}])[0] or {}
    stamps, closes = result.get("timestamp") or [], quote.get("close") or []
    return [
        close
        for stamp, close in zip(stamps, closes, strict=False)
        if isinstance(stamp, int) and start <= datetime.fromtimestamp(stamp, zone).date() <= end
    ]


def _judge(
    symbol: str, obs: Observation | None, bars: list[Bar], span: tuple[date, date], said: list[str]
) -> _Verdict:
    """Why a symbol has (or lacks) bars, from Yahoo's answer to its last chart request."""
    told = "; ".join(m for m in said if symbol in m)[:300] or "no detail"
    if obs is None:
        return _Verdict() if bars else _failed(f"no answer from Yahoo ({told})", "other")
    if obs.error is not None:
        return _failed(f"network error: {type(obs.error).__name__}: {obs.error}"[:300], "network")
    if obs.status == 429:
        return _failed("rate limited by Yahoo (HTTP 429)", "rate")
    body = _chart_json(obs)
    chart = (body or {}).get("chart")
    chart = chart if isinstance(chart, dict) else {}
    error = chart.get("error")
    if isinstance(error, dict) and error.get("code") == "Not Found":
        # Only Yahoo's own answer says "unknown": a bare 404 may be a wrong base URL. And
        # Yahoo also says "Not Found" ("No data found for this date range") for a known
        # symbol over a range without bars: that is an empty answer, not an unknown symbol.
        description = str(error.get("description") or "not found")
        if "date range" in description or cached_timezone(symbol):
            return _Verdict()
        return _Verdict(f"unknown symbol: {description}", "not_found")
    if obs.status is not None and obs.status >= 400:
        return _failed(f"Yahoo answered HTTP {obs.status}", "other")
    if body is None:
        return _failed("malformed answer from Yahoo (not JSON)", "other")
    results = chart.get("result")
    if error or not results or not isinstance(results[0], dict):
        return _failed(f"Yahoo reported an error: {error or 'empty chart'}", "other")
    meta = results[0].get("meta") or {}
    ranges = meta.get("validRanges")
    if isinstance(ranges, list) and ranges and set(ranges) <= _SHORT_RANGES:
        return _Verdict(
            f"Yahoo serves only {', '.join(ranges)} for {symbol}: no daily history",
            "no_history",
            meta=meta,
        )
    sent = _closes_in_range(results[0], *span)
    if not bars and any(isinstance(c, int | float) and c > 0 for c in sent):
        return _failed(f"yfinance could not read Yahoo's answer ({told})", "other")
    return _Verdict(meta=meta)


def _bars_from_frame(frame: pd.DataFrame | None, symbol: str, start: date, end: date) -> list[Bar]:
    """Valid bars of ``symbol`` from a ``group_by='column'`` download frame.

    NaN rows are not data: a multi-symbol frame is the union of every market's trading
    days, so a Hong Kong holiday is a NaN row for a Hong Kong symbol.
    """
    if frame is None or frame.empty or not isinstance(frame.columns, pd.MultiIndex):
        return []
    if symbol not in set(frame.columns.get_level_values(-1)):
        return []
    sub = frame.xs(symbol, axis=1, level=-1)
    columns = {
        name: sub[name].tolist() if name in sub.columns else [None] * len(sub)
        for name in ("Open", "High", "Low", "Close", "Adj Close", "Volume")
    }
    bars = []
    for i, stamp in enumerate(sub.index):
        day = pd.Timestamp(stamp).date()
        bar = Bar(
            day=day,
            close=finite(columns["Close"][i]) or math.nan,
            open=finite(columns["Open"][i]),
            high=finite(columns["High"][i]),
            low=finite(columns["Low"][i]),
            adj_close=finite(columns["Adj Close"][i]),
            volume=finite(columns["Volume"][i]),
        )
        if start <= day <= end and bar.is_valid():
            bars.append(bar)
    return bars


def _action_days(frame: pd.DataFrame | None, symbol: str, start: date, end: date) -> list[date]:
    """Days in ``[start, end]`` with a split or a distribution for ``symbol``.

    ``actions=True`` adds ``Dividends`` and ``Stock Splits`` columns (and ``Capital Gains``
    for funds, which also move the adjusted close): 0 for none, NaN on other markets' days.
    yfinance files an event dated on a day without a bar under the bar before it.
    """
    if frame is None or frame.empty or not isinstance(frame.columns, pd.MultiIndex):
        return []
    if symbol not in set(frame.columns.get_level_values(-1)):
        return []
    sub = frame.xs(symbol, axis=1, level=-1)
    days: set[date] = set()
    for name in ("Dividends", "Stock Splits", "Capital Gains"):
        if name not in sub.columns:
            continue
        for stamp, value in zip(sub.index, sub[name].tolist(), strict=True):
            amount = finite(value)
            day = pd.Timestamp(stamp).date()
            if amount is not None and amount > 0 and start <= day <= end:
                days.add(day)
    return sorted(days)


def _thread_pool(threads: int) -> None:
    """Let ``yf.download`` really run ``threads`` requests at once (callers hold the lock).

    yfinance passes ``threads`` to multitasking's ``set_max_threads``, which only sizes
    pools created later; its default pool was created at import with one thread per core,
    so on a 2-core machine every download ran two requests at a time (a cold 10-symbol
    question took ten round trips instead of two). A pool of the wanted size, made the
    active one, fixes that.
    """
    name = f"marketbot-{threads}"
    if multitasking.config["POOL_NAME"] != name:
        multitasking.createPool(name, threads=threads, engine="thread")


def _blank(symbol: str, upper: str) -> SymbolHistory:
    """No request needed: an empty range, or an empty symbol (which cannot exist)."""
    if upper:
        return SymbolHistory(symbol)
    return SymbolHistory(symbol, error="empty symbol", error_kind="not_found")


# ---- the source --------------------------------------------------------------------------
class YahooSource:
    """Daily bars and ``.info`` metadata from Yahoo Finance (see the module docstring)."""

    label = "Yahoo Finance"

    def __init__(
        self, base_url: str | None = None, timeout: float = 10.0, cache_dir: Path | None = None
    ) -> None:
        self.timeout = timeout
        self.session = YahooSession(base_url, timeout)
        self._cache_dir = Path(cache_dir) if cache_dir is not None else process_cache_dir()
        with _YF_LOCK:
            point_caches(self._cache_dir)
            drop_yf_singleton()

    def _activate(self) -> None:
        """Make yfinance's process-wide state ours for the next call (lock held)."""
        point_caches(self._cache_dir)
        current = SingletonMeta._instances.get(YfData)
        if current is None or getattr(current, "_session", None) is not self.session:
            drop_yf_singleton()
        # Our own cache is SQLite; yfinance's in-memory response cache would also keep
        # transient errors (a cached 500) for the life of the process.
        YfData.cache_get.cache_clear()
        self.session.take_observations()

    def remember_timezones(self, zones: dict[str, str]) -> None:
        """Put exchange time zones known elsewhere (the market cache) into yfinance's own
        zone cache, so it does not ask Yahoo for them again in this process."""
        with _YF_LOCK:
            point_caches(self._cache_dir)
            for symbol, zone in zones.items():
                upper = symbol.strip().upper()
                if upper and cached_timezone(upper) != zone:
                    remember_timezone(upper, zone)

    def fetch_history(
        self, symbols: Sequence[str], start: date, end: date
    ) -> dict[str, SymbolHistory]:
        """One ``yf.download`` for all symbols; per-symbol failures classified from the
        HTTP answers. Raises :class:`RateLimitedError` / :class:`SourceError` when no
        symbol could be fetched for a transient reason."""
        wanted = {symbol: symbol.strip().upper() for symbol in symbols}
        unique = sorted({upper for upper in wanted.values() if upper})
        if not unique or start > end:
            return {s: _blank(s, u) for s, u in wanted.items()}
        with _YF_LOCK:
            self._activate()
            with captured_yf_messages() as said:
                frame = self._download(unique, start, end)
            observations = self.session.take_observations()
            bars = {u: _bars_from_frame(frame, u, start, end) for u in unique}
            actions = {u: _action_days(frame, u, start, end) for u in unique}
            # Judged under the lock: _judge may read yfinance's time-zone cache.
            verdicts = {
                u: _judge(u, observations.get(("chart", u)), bars[u], (start, end), said)
                for u in unique
            }
        results: dict[str, SymbolHistory] = {}
        for symbol, upper in wanted.items():
            if not upper:
                results[symbol] = _blank(symbol, upper)
                continue
            verdict, meta = verdicts[upper], verdicts[upper].meta
            results[symbol] = SymbolHistory(
                symbol,
                bars=list(bars[upper]) if verdict.error is None else [],
                currency=meta.get("currency"),
                timezone=meta.get("exchangeTimezoneName"),
                name=meta.get("longName") or meta.get("shortName"),
                short_name=meta.get("shortName"),
                exchange=meta.get("exchangeName"),
                error=verdict.error,
                error_kind=verdict.kind,
                actions=list(actions[upper]) if verdict.error is None else [],
            )
            if verdict.error:
                _LOG.debug("Yahoo %s: %s (%s)", upper, verdict.kind, verdict.error)
        causes = {verdicts[u].cause for u in unique}
        if all(h.error_kind == "failed" for h in results.values()):
            # Nothing usable and nothing permanent: the source as a whole is down.
            summary = "; ".join(sorted({h.error or "" for h in results.values()}))
            if causes == {"rate"}:
                raise RateLimitedError(f"Yahoo Finance rate limited every request: {summary}")
            raise SourceError(f"Yahoo Finance failed for every symbol: {summary}")
        return results

    def _download(self, symbols: list[str], start: date, end: date) -> pd.DataFrame | None:
        """The one ``yf.download`` call (``end`` is exclusive there, inclusive here)."""
        threads = min(len(symbols), _MAX_THREADS)
        _thread_pool(threads)
        try:
            return yf.download(
                symbols,
                start=start,
                end=end + timedelta(days=1),
                interval="1d",
                auto_adjust=False,
                # Splits and dividends adjust earlier prices back in time: the market
                # service must know of them (same request: yfinance always asks for events).
                actions=True,
                progress=False,
                group_by="column",
                threads=threads,
                timeout=self.timeout,
                session=self.session,
                multi_level_index=True,
            )
        except Exception as exc:  # download() is meant never to raise: yfinance broke
            _LOG.debug("yf.download failed", exc_info=True)
            raise SourceError(f"Yahoo Finance download failed: {exc!r}") from exc

    def search(self, query: str, limit: int = 10, timeout: float | None = None) -> list[Listing]:
        """Listings Yahoo's search finds for ``query``; its lookup when the search finds
        none. Raises :class:`SourceError` (or :class:`RateLimitedError`) on any failure."""
        wait = min(timeout or self.timeout, self.timeout)
        with _YF_LOCK:
            self._activate()
            found = search_quotes(self.session, query, limit, wait)
            if not found:
                found = lookup_documents(self.session, query, limit, wait)
        return found

    def fetch_info(self, symbol: str) -> dict[str, Any] | None:
        """``yf.Ticker(symbol).info``; ``None`` for an unknown symbol."""
        upper = symbol.strip().upper()
        with _YF_LOCK:
            self._activate()
            try:
                with captured_yf_messages():
                    info = dict(yf.Ticker(upper, session=self.session).info or {})
            except YFRateLimitError as exc:
                raise RateLimitedError(f"Yahoo Finance rate limited {upper}") from exc
            except Exception as exc:  # network, bad JSON, yfinance choking on an answer
                _LOG.debug("Ticker(%s).info failed", upper, exc_info=True)
                raise SourceError(f"Yahoo Finance info for {upper} failed: {exc}") from exc
            observations = self.session.take_observations()
        if any(v is not None for k, v in info.items() if k != "trailingPegRatio"):
            return info
        # Empty: unknown symbol (404 / no quote), unless Yahoo failed and yfinance hid it.
        for kind in ("quoteSummary", "quote"):
            obs = observations.get((kind, upper))
            if obs is None:
                continue
            if obs.status == 429:
                raise RateLimitedError(f"Yahoo Finance rate limited {upper}")
            if obs.error is not None or (obs.status or 0) >= 500:
                detail = obs.error or f"HTTP {obs.status}"
                raise SourceError(f"Yahoo Finance info for {upper} failed: {detail}")
        return None

    def fetch_statements(self, symbol: str) -> dict[str, Any] | None:
        """Quarterly and annual income statements (``Ticker.get_income_stmt``), as
        ``{"quarterly": [...], "annual": [...]}`` (see :mod:`.yahoo_statements`); ``None``
        when Yahoo has none. yfinance hides its errors here, so Yahoo's answers decide."""
        upper = symbol.strip().upper()
        with _YF_LOCK:
            self._activate()
            periods: dict[str, list[dict[str, Any]]] = {}
            for freq, scale, months in (("quarterly", "quarterly", 3), ("yearly", "annual", 12)):
                try:
                    with captured_yf_messages():
                        frame = yf.Ticker(upper, session=self.session).get_income_stmt(freq=freq)
                except YFRateLimitError as exc:
                    raise RateLimitedError(f"Yahoo Finance rate limited {upper}") from exc
                except Exception as exc:
                    _LOG.debug("Ticker(%s) statements failed", upper, exc_info=True)
                    raise SourceError(f"Yahoo Finance statements of {upper} failed: {exc}") from exc
                obs = self.session.take_observations().get((f"timeseries:{scale}", upper))
                if obs is not None and obs.status == 429:
                    raise RateLimitedError(f"Yahoo Finance rate limited {upper}")
                if obs is not None and (obs.error is not None or (obs.status or 0) >= 500):
                    detail = obs.error or f"HTTP {obs.status}"
                    raise SourceError(f"Yahoo Finance statements of {upper} failed: {detail}")
                periods[scale] = periods_of(frame, months, labels_of(obs, scale))
        return periods if any(periods.values()) else None
