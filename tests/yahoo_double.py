"""A local Yahoo Finance double: just enough of Yahoo's HTTP API for the real yfinance.

Why a double and not mocks: yfinance's behaviour (one request per symbol, time-zone
lookups, cookie/crumb dance, silent failures in ``download``) is what our source must
cope with, so tests run the real yfinance against this server on 127.0.0.1.

Every Yahoo host is served under a path prefix: ``http://127.0.0.1:PORT/<host>/<path>``
(``query1.finance.yahoo.com``, ``query2.finance.yahoo.com``, ``fc.yahoo.com``...), which
is what ``YahooSource(base_url=double.base_url)`` rewrites ``https://<host>/<path>`` to.
The server runs on its own event loop in a background thread because yfinance is
synchronous. Faults can be switched at runtime from the test thread; every request is
recorded so tests can count what yfinance really asked for.

    with running_double(shared_symbols(["0700.HK", "AAPL"])) as double:
        source = YahooSource(base_url=double.base_url, cache_dir=tmp_path)
        double.rate_limit(symbols=["AAPL"], times=1)   # or server_error / hang / malformed /
        ...                                            # empty / nan_closes / set_delay
        double.chart_requests("AAPL")                  # what yfinance really asked

Faults: ``rate_limit`` / ``server_error`` / ``hang`` / ``malformed`` apply to every request
(``symbols=None``) or to requests about given symbols (``SEARCH``: the search and lookup
endpoints), forever or ``times`` times;
``empty`` and ``nan_closes`` change a symbol's chart data; ``split`` / ``dividend`` /
``add_bars`` change served data the way Yahoo's changes after a corporate action or a new
trading day (adjusted bars before it, ``events`` in the chart). Connection refused is just
``closed_port_url()``. Served data and answers are built in ``tests/yahoo_payloads.py``.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time as _time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from aiohttp import web

from tests.yahoo_payloads import (
    DailyBar,
    SymbolData,
    bars_from_shared_csv,
    chart_result,
    market_defaults,
    quote_response,
    quote_summary,
    shared_symbols,
    symbol_data,
    timeseries,
    with_dividend,
    with_split,
    yahoo_error,
)
from tests.yahoo_recorded import quote_body, summary_body, timeseries_body
from tests.yahoo_search_payloads import lookup_answer, search_answer

#: Fault target for the search and lookup endpoints: ``double.hang(5, symbols=[SEARCH])``.
SEARCH = "@SEARCH"
_SEARCH_PATHS = ("/v1/finance/search", "/v1/finance/lookup")

__all__ = [
    "SEARCH",
    "DailyBar",
    "RecordedRequest",
    "SymbolData",
    "YahooDouble",
    "bars_from_shared_csv",
    "closed_port_url",
    "market_defaults",
    "running_double",
    "shared_symbols",
    "symbol_data",
    "with_dividend",
    "with_split",
]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the double received. ``status`` is what was answered, 0 if nothing
    was (a hang the client abandoned); ``query`` keeps one value per key."""

    host: str
    path: str
    query: dict[str, str]
    time: float
    symbol: str | None
    status: int = 0


@dataclass(slots=True)
class _Fault:
    kind: str  # rate_limit server_error hang malformed empty no_data_error nan_close
    symbols: frozenset[str] | None  # None: every request
    remaining: int | None  # None: until cleared
    seconds: float = 0.0
    days: frozenset[date] | None = None  # nan_close only; None: every day


def _symbol_of(path: str, query: Mapping[str, str]) -> str | None:
    for marker in ("/v8/finance/chart/", "/v10/finance/quoteSummary/", "/timeseries/"):
        if marker in path:
            return path.split(marker, 1)[1].split("/")[0].upper() or None
    if path.endswith("/v7/finance/quote"):
        return (query.get("symbols") or "").upper() or None
    return None


class YahooDouble:
    """The server. Use as a context manager, or :meth:`start` / :meth:`stop`."""

    def __init__(self, symbols: Mapping[str, SymbolData] | None = None) -> None:
        self.symbols: dict[str, SymbolData] = {k.upper(): v for k, v in (symbols or {}).items()}
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self._delay = 0.0
        self._requests: list[RecordedRequest] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle -------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> YahooDouble:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="yahoo-double", daemon=True
        )
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        return self

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{host}/{path:.*}", self._handle)
        app.router.add_route("*", "/{host}", self._handle)
        # handler_cancellation: a hung handler dies when the client gives up.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        if self._loop is None:
            return
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop.close()
        self._loop = None

    def __enter__(self) -> YahooDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve(self, symbols: Mapping[str, SymbolData]) -> None:
        """Add or replace served symbols (also while running)."""
        with self._lock:
            self.symbols = self.symbols | {k.upper(): v for k, v in symbols.items()}

    def add_bars(self, symbol: str, bars: Iterable[DailyBar]) -> None:
        """A new trading day (or several) arrives for a served symbol."""
        with self._lock:
            data = self.symbols[symbol.upper()]
            self.symbols[symbol.upper()] = replace(
                data, bars=sorted([*data.bars, *bars], key=lambda b: b.day)
            )

    def split(self, symbol: str, day: date, numerator: float, denominator: float = 1.0) -> None:
        """From now on serve ``symbol`` as Yahoo does after a split on ``day``: the split in
        the chart's ``events`` and every bar before ``day`` divided by the ratio."""
        with self._lock:
            key = symbol.upper()
            self.symbols[key] = with_split(self.symbols[key], day, numerator, denominator)

    def dividend(self, symbol: str, day: date, amount: float) -> None:
        """From now on serve a dividend going ex on ``day``: listed in ``events``, adjusted
        closes before ``day`` scaled down (``Close`` itself is unchanged)."""
        with self._lock:
            key = symbol.upper()
            self.symbols[key] = with_dividend(self.symbols[key], day, amount)

    # ---- faults (thread-safe, switchable at runtime) ----------------------------------
    def _add(self, kind: str, symbols: Iterable[str] | None, times: int | None, **kw: Any) -> None:
        syms = None if symbols is None else frozenset(s.upper() for s in symbols)
        with self._lock:
            self._faults.append(_Fault(kind, syms, times, **kw))

    def set_delay(self, seconds: float) -> None:
        """Delay every data response (benchmarks: simulates Yahoo's latency).

        Cookie and crumb requests are not delayed: against real Yahoo yfinance reuses a
        persisted cookie, but a cookie set by 127.0.0.1 is never persisted, so yfinance
        asks for it before every request here.
        """
        with self._lock:
            self._delay = seconds

    def rate_limit(self, symbols: Iterable[str] | None = None, times: int | None = None) -> None:
        """429 ``Too Many Requests``: on every request, or only ``symbols``, ``times`` times."""
        self._add("rate_limit", symbols, times)

    def server_error(self, symbols: Iterable[str] | None = None, times: int | None = None) -> None:
        self._add("server_error", symbols, times)

    def hang(
        self, seconds: float, symbols: Iterable[str] | None = None, times: int | None = None
    ) -> None:
        """Answer only after ``seconds`` (longer than the client's timeout)."""
        self._add("hang", symbols, times, seconds=seconds)

    def malformed(self, symbols: Iterable[str] | None = None, times: int | None = None) -> None:
        """200 with a body that is not JSON."""
        self._add("malformed", symbols, times)

    def empty(self, symbols: Iterable[str], as_error: bool = False) -> None:
        """Price requests get no bars: meta with empty indicators, as Yahoo sends for a
        range without data, or (``as_error``) Yahoo's other answer to that, a 404 "No data
        found for this date range" (``range=`` time-zone lookups still answer normally)."""
        self._add("no_data_error" if as_error else "empty", symbols, None)

    def nan_closes(self, symbols: Iterable[str], days: Iterable[date] | None = None) -> None:
        """Serve ``close: null`` (other prices kept) on ``days`` (default: every day)."""
        self._add("nan_close", symbols, None, days=None if days is None else frozenset(days))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._delay = 0.0

    def _take_fault(self, symbol: str | None, kinds: set[str]) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.kind not in kinds or fault.remaining == 0:
                    continue
                if fault.symbols is not None and symbol not in fault.symbols:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                return fault
        return None

    # ---- records -----------------------------------------------------------------------
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def search_requests(self, query: str | None = None) -> list[RecordedRequest]:
        """Search and lookup requests (for ``query``, compared case-insensitively)."""
        return [
            r
            for r in self.requests()
            if r.path.endswith(_SEARCH_PATHS)
            and (
                query is None
                or (r.query.get("q") or r.query.get("query") or "").lower() == query.lower()
            )
        ]

    def chart_requests(
        self, symbol: str | None = None, history_only: bool = True
    ) -> list[RecordedRequest]:
        """Chart requests (for ``symbol``); ``history_only`` skips ``range=`` tz lookups."""
        return [
            r
            for r in self.requests()
            if "/v8/finance/chart/" in r.path
            and (symbol is None or r.symbol == symbol.upper())
            and (not history_only or "period1" in r.query)
        ]

    # ---- HTTP --------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        host = request.match_info["host"]
        path = "/" + request.match_info.get("path", "")
        query = dict(request.query)
        symbol = _symbol_of(path, query)
        received, status = _time.time(), 0  # 0: no answer sent (client gave up)
        try:
            response = await self._respond(host, path, query, symbol)
            status = response.status
            return response
        finally:
            with self._lock:
                self._requests.append(RecordedRequest(host, path, query, received, symbol, status))

    async def _respond(
        self, host: str, path: str, query: dict[str, str], symbol: str | None
    ) -> web.Response:
        with self._lock:
            delay = self._delay
        if delay and symbol is not None:
            await asyncio.sleep(delay)
        target = SEARCH if path.endswith(_SEARCH_PATHS) else symbol
        fault = self._take_fault(target, {"hang", "rate_limit", "server_error", "malformed"})
        if fault is not None and fault.kind == "hang":
            await asyncio.sleep(fault.seconds)
        elif fault is not None and fault.kind == "rate_limit":
            return web.Response(status=429, text="Too Many Requests")
        elif fault is not None and fault.kind == "server_error":
            return web.Response(status=500, text="Internal Server Error")
        elif fault is not None and fault.kind == "malformed":
            return web.Response(
                status=200, text='{"chart": {"result": [', content_type="application/json"
            )
        if host == "fc.yahoo.com":
            resp = web.Response(status=404, text="<html>not here</html>")
            resp.set_cookie("A3", "d=double&S=cookie", max_age=3600)
            return resp
        if path == "/v1/test/getcrumb":
            return web.Response(text="double-crumb")
        data = self.symbols.get(symbol or "")
        if "/v8/finance/chart/" in path:
            return self._chart(symbol or "", data, query)
        rec = data.recorded if data is not None else None
        if rec is not None:
            if "/v10/finance/quoteSummary/" in path and rec.summary is not None:
                return web.json_response(summary_body(rec, query.get("modules", "").split(",")))
            if path.endswith("/v7/finance/quote") and rec.summary is not None:
                return web.json_response(quote_body(rec))
            if "/timeseries/" in path and rec.timeseries is not None:
                return web.json_response(timeseries_body(rec, query))
        if "/v10/finance/quoteSummary/" in path:
            if data is None:
                body = yahoo_error("quoteSummary", "Not Found", f"Quote not found: {symbol}")
                return web.json_response(body, status=404)
            modules = [m for m in query.get("modules", "").split(",") if m]
            return web.json_response(quote_summary(data, modules))
        if path.endswith("/v7/finance/quote"):
            return web.json_response(quote_response(symbol or "", data))
        if "/timeseries/" in path:
            return web.json_response(timeseries(symbol or "", data))
        if path.endswith("/v1/finance/search"):
            return web.json_response(search_answer(query.get("q", "")))
        if path.endswith("/v1/finance/lookup"):
            count = int(query.get("count") or 25) if (query.get("count") or "").isdigit() else 25
            return web.json_response(lookup_answer(query.get("query", ""), count))
        body = yahoo_error("finance", "Not Found", f"No route for {host}{path}")
        return web.json_response(body, status=404)

    def _chart(self, symbol: str, data: SymbolData | None, query: dict[str, str]) -> web.Response:
        if data is None:
            body = yahoo_error("chart", "Not Found", "No data found, symbol may be delisted")
            return web.json_response(body, status=404)
        if query.get("interval", "1d") != "1d":
            body = yahoo_error("chart", "Unprocessable Entity", "Only interval=1d is served")
            return web.json_response(body, status=422)
        if "period1" in query and self._take_fault(symbol, {"no_data_error"}) is not None:
            description = "No data found for this date range, symbol may be delisted"
            return web.json_response(yahoo_error("chart", "Not Found", description), status=404)
        empty = self._take_fault(symbol, {"empty"}) is not None
        nan = self._take_fault(symbol, {"nan_close"})
        nan_days = frozenset() if nan is None else nan.days or frozenset(b.day for b in data.bars)
        return web.json_response(chart_result(symbol, data, query, empty=empty, nan_days=nan_days))


@contextmanager
def running_double(symbols: Mapping[str, SymbolData] | None = None) -> Iterator[YahooDouble]:
    """``with running_double({...}) as double:`` — for fixtures, tests and the benchmark."""
    double = YahooDouble(symbols)
    double.start()
    try:
        yield double
    finally:
        double.stop()


def closed_port_url() -> str:
    """A base URL nobody listens on: the "connection refused" case."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
