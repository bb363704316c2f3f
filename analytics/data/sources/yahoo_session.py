"""yfinance plumbing for :mod:`analytics.data.sources.yahoo`: our HTTP session and the
process-wide yfinance state (singleton, caches, logging) we have to manage.

Why our own session: yfinance hides per-symbol HTTP outcomes in ``download``; the session
records what Yahoo answered (status or exception) to each symbol's chart / quote request,
rewrites Yahoo hosts to a configured base URL (mirror or local double), and caps
yfinance's hard-coded 10-30 s timeouts at ours.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from curl_cffi import requests as curl_requests
from yfinance import cache as yf_cache
from yfinance.data import SingletonMeta, YfData

_LOG = logging.getLogger("analytics.data.sources.yahoo")


# ---- HTTP session ------------------------------------------------------------------------
@dataclass(slots=True)
class Observation:
    """What Yahoo answered to the last request of one kind for one symbol."""

    status: int | None
    error: Exception | None = None
    response: Any = None  # curl_cffi Response, read lazily


def _endpoint_key(url: str, params: Any) -> tuple[str, str] | None:
    parts = urlsplit(url)
    for marker, kind in (("/v8/finance/chart/", "chart"), ("/quoteSummary/", "quoteSummary")):
        if marker in parts.path:
            return kind, unquote(parts.path.split(marker, 1)[1]).upper()
    if "/timeseries/" in parts.path:
        # One key per timescale (quarterly / annual / trailing): a statement fetch reads the
        # labels (currencyCode) of its own answer, which yfinance's frame drops.
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        first = str(query.get("type", "")).split(",")[0]
        scale = next((s for s in ("quarterly", "annual") if first.startswith(s)), "trailing")
        return f"timeseries:{scale}", unquote(parts.path.split("/timeseries/", 1)[1]).upper()
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    query |= dict(params) if isinstance(params, dict) else {}
    if parts.path.endswith("/v7/finance/quote"):
        return "quote", str(query.get("symbols", "")).upper()
    if parts.path.endswith("/v1/finance/search"):
        return "search", str(query.get("q", ""))
    if parts.path.endswith("/v1/finance/lookup"):
        return "lookup", str(query.get("query", ""))
    return None


class YahooSession(curl_requests.Session):
    """Chrome-impersonating session that can redirect Yahoo hosts and records answers."""

    def __init__(self, base_url: str | None = None, timeout: float = 10.0) -> None:
        super().__init__(impersonate="chrome")
        self.base_url = base_url.rstrip("/") if base_url else None
        self.max_timeout = timeout
        self._obs_lock = threading.Lock()
        self._observations: dict[tuple[str, str], Observation] = {}

    def rewrite(self, url: str) -> str:
        """``https://<host>.yahoo.com/<path>?<q>`` -> ``<base_url>/<host>/<path>?<q>``."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if not self.base_url or parts.scheme != "https" or not host.endswith("yahoo.com"):
            return url
        return f"{self.base_url}/{host}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    def request(self, method: Any, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        timeout = kwargs.get("timeout")
        if isinstance(timeout, int | float) and not isinstance(timeout, bool):
            kwargs["timeout"] = min(float(timeout), self.max_timeout)
        else:
            kwargs["timeout"] = self.max_timeout
        key = _endpoint_key(url, kwargs.get("params"))
        try:
            response = super().request(method, self.rewrite(url), *args, **kwargs)
        except Exception as exc:
            self._observe(key, Observation(None, exc))
            raise
        self._observe(key, Observation(response.status_code, None, response))
        return response

    def _observe(self, key: tuple[str, str] | None, observation: Observation) -> None:
        if key is not None:
            with self._obs_lock:
                self._observations[key] = observation

    def take_observations(self) -> dict[tuple[str, str], Observation]:
        with self._obs_lock:
            taken, self._observations = self._observations, {}
        return taken


# ---- yfinance process state ----------------------------------------------------------------
class _YfLogRelay(logging.Filter):
    """Drops yfinance's warnings/errors (we report failures ourselves) after copying them
    to our debug log and, during a call, to ``sink`` for error messages."""

    def __init__(self) -> None:
        super().__init__()
        self.sink: list[str] | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        message = record.getMessage()
        if self.sink is not None:
            self.sink.append(message)
        _LOG.debug("yfinance %s: %s", record.levelname.lower(), message)
        return False


_RELAY = _YfLogRelay()
logging.getLogger("yfinance").addFilter(_RELAY)
_cache_location: Path | None = None
_default_cache_dir: Path | None = None


@contextmanager
def captured_yf_messages() -> Iterator[list[str]]:
    """Collect yfinance's failure messages during one call (callers hold the yfinance lock).

    Also hides the deprecation warnings yfinance triggers in pandas: they are about
    yfinance's code, not ours, and would otherwise reach every log and test run.
    """
    messages: list[str] = []
    _RELAY.sink = messages
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="yfinance")
            warnings.filterwarnings("ignore", category=FutureWarning, module="yfinance")
            yield messages
    finally:
        _RELAY.sink = None


def process_cache_dir() -> Path:
    """One temp dir per process when no cache dir is configured (never the user's home)."""
    global _default_cache_dir
    if _default_cache_dir is None:
        _default_cache_dir = Path(tempfile.mkdtemp(prefix="marketbot-yfinance-"))
        atexit.register(shutil.rmtree, _default_cache_dir, True)
    return _default_cache_dir


def point_caches(directory: Path) -> None:
    """Move yfinance's tz/cookie/ISIN caches to ``directory`` and open them here.

    ``set_cache_location`` alone is not enough once a cache was used: the cache objects
    keep their database handle, so they are forgotten and re-created. They are then
    opened once from this thread, because yfinance opens them lazily from its download
    threads, and concurrent first opens of a new SQLite file (switching it to WAL) fail
    with "database is locked", which fails that symbol's download.
    """
    global _cache_location
    if _cache_location == directory:
        return
    directory.mkdir(parents=True, exist_ok=True)
    yf_cache.set_cache_location(str(directory))
    yf_cache._TzCacheManager._tz_cache = None
    yf_cache._CookieCacheManager._Cookie_cache = None
    yf_cache._ISINCacheManager._isin_cache = None
    try:
        yf_cache.get_tz_cache().lookup("MARKETBOT-WARM-UP")
        yf_cache.get_cookie_cache().lookup("MARKETBOT-WARM-UP")
    except Exception:  # yfinance then retries lazily; the download reports any failure
        _LOG.debug("could not open yfinance caches in %s", directory, exc_info=True)
    _cache_location = directory


def cached_timezone(symbol: str) -> str | None:
    """The time zone yfinance cached for ``symbol``: it caches one only after Yahoo served
    the symbol's chart, so a cached zone means the symbol exists (or did)."""
    try:
        return yf_cache.get_tz_cache().lookup(symbol)
    except Exception:
        _LOG.debug("tz cache lookup failed for %s", symbol, exc_info=True)
        return None


def remember_timezone(symbol: str, zone: str) -> None:
    """Store ``symbol``'s exchange time zone in yfinance's zone cache (callers hold the lock)."""
    try:
        yf_cache.get_tz_cache().store(symbol, zone)
    except Exception:  # yfinance then looks it up itself, as without the cache
        _LOG.debug("tz cache store failed for %s", symbol, exc_info=True)


def drop_yf_singleton() -> None:
    """Forget yfinance's session/cookie/crumb singleton and its response cache."""
    SingletonMeta._instances.pop(YfData, None)
    YfData.cache_get.cache_clear()
