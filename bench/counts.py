"""Figure 3: requests the Yahoo double sees. Counts are exact, so they are asserted too.

* baseline: a bare ``yf.download`` of the N symbols, on a fresh process state: what
  yfinance itself needs for N symbols (one chart request per symbol for the range, one
  ``range=1d`` chart request per symbol for its time zone);
* cold: marketbot's first ``/returns`` of the N symbols, fresh cache, fresh yfinance state;
* repeated: the same question again: nothing at all may reach Yahoo;
* extended: the same question ending one trading day later: one request per symbol, each
  for that one new day only.

Only data requests count (those naming a symbol). Cookie and crumb requests are yfinance's
session set-up, repeated by it against 127.0.0.1 (a local cookie is never persisted).
"""

from __future__ import annotations

import math
import tempfile
import warnings
from datetime import timedelta
from pathlib import Path

import yfinance as yf

from analytics.data.sources.yahoo_session import YahooSession, drop_yf_singleton, point_caches
from bench.core import Figure, time_ms
from bench.env import BASKET10, END, BenchEnv, Parsed, check
from tests.yahoo_double import RecordedRequest, YahooDouble

START = END - timedelta(days=366)


def _data(double: YahooDouble) -> list[RecordedRequest]:
    return [r for r in double.requests() if r.symbol is not None]


def _history(requests: list[RecordedRequest]) -> list[RecordedRequest]:
    return [r for r in requests if "/v8/finance/chart/" in r.path and "period1" in r.query]


def _tz_lookups(requests: list[RecordedRequest]) -> list[RecordedRequest]:
    return [r for r in requests if "/v8/finance/chart/" in r.path and "range" in r.query]


def _days(request: RecordedRequest) -> float:
    return (int(request.query["period2"]) - int(request.query["period1"])) / 86400


def bare_download(double: YahooDouble, symbols: tuple[str, ...], folder: Path) -> None:
    """yfinance alone, as any bot would call it, on a fresh time-zone cache."""
    # Nothing else uses yfinance meanwhile: the benchmark runs one figure at a time.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        point_caches(folder)
        drop_yf_singleton()
        yf.download(
            list(symbols),
            start=START - timedelta(days=14),
            end=END,
            interval="1d",
            auto_adjust=False,
            progress=False,
            threads=8,
            session=YahooSession(double.base_url),
        )
        drop_yf_singleton()


def count_figures(env: BenchEnv) -> list[Figure]:
    double, n = env.double, len(BASKET10)
    symbols = ",".join(BASKET10)
    before = f"/returns target:{symbols} start:{START.isoformat()} end:{(END - timedelta(1)).isoformat()}"
    after = f"/returns target:{symbols} start:{START.isoformat()} end:{END.isoformat()}"

    double.clear_requests()
    bare_download(double, BASKET10, Path(tempfile.mkdtemp(dir=env.workdir, prefix="yf-bare-")))
    bare = _data(double)

    services = env.services("counts.sqlite3", source="counts")  # fresh cache, fresh yfinance
    try:
        double.clear_requests()
        cold_ms, reply = time_ms(lambda: Parsed.of(before).run(services))
        check(reply, before)
        cold = _data(double)
        double.clear_requests()
        check(Parsed.of(before).run(services), before)
        repeated = _data(double)
        double.clear_requests()
        check(Parsed.of(after).run(services), after)
        extended = _data(double)
    finally:
        services.close()
    # A restart: the same market cache, a new yfinance state (as in a new process).
    restarted = env.services("counts.sqlite3", source="counts-restart")
    later = f"/returns target:{symbols} start:{START.isoformat()} end:{(END + timedelta(4)).isoformat()}"
    try:
        double.clear_requests()
        check(Parsed.of(later).run(restarted), later)
        after_restart = _data(double)
    finally:
        restarted.close()

    group = "3 requests"
    ext_history = _history(extended)
    return [
        Figure(
            "2 naive",
            f"cold /returns, {n} symbols, fresh install: wall time (handler)",
            cold_ms,
            "ms",
            target=600.0,
            note=f"{len(cold)} data requests, {env.config.delay * 1000:.0f} ms each",
        ),
        Figure(
            "2 naive",
            f"after a restart, {n} symbols one day on: time-zone lookups",
            len(_tz_lookups(after_restart)),
            "req",
            target=0.0,
            compare="==",
            note="zones kept in the market cache",
        ),
        Figure(group, f"bare yf.download, {n} symbols: data requests", len(bare), "req"),
        Figure(
            group,
            f"cold /returns, {n} symbols: range requests",
            len(_history(cold)),
            "req",
            target=float(len(_history(bare))),
            compare="==",
            note="one per symbol, as bare yfinance",
        ),
        Figure(
            group,
            f"cold /returns, {n} symbols: time-zone lookups",
            len(_tz_lookups(cold)),
            "req",
            target=float(len(_tz_lookups(bare))),
            compare="==",
            note="yfinance's own, once per symbol",
        ),
        Figure(group, "repeated question: data requests", len(repeated), "req", 0.0, "=="),
        Figure(
            group,
            "period extended by one day: data requests",
            len(extended),
            "req",
            target=float(n),
            compare="==",
        ),
        widest_range(group, "period extended by one day: widest range asked", ext_history),
    ]


def widest_range(group: str, name: str, asked: list[RecordedRequest]) -> Figure:
    """The widest range of the history requests ``asked``, held to one day. Nothing asked is
    no measurement (NaN fails every target), never a range of zero days that passes."""
    return Figure(
        group,
        name,
        max((_days(r) for r in asked), default=math.nan),
        "days",
        target=1.0,
        compare="<=",
        note="" if asked else "no range was asked: nothing to measure",
    )
