"""Data and JSON answers of the Yahoo double (the server itself is in yahoo_double.py).

Pure functions: what a symbol's bars and ``.info`` look like on Yahoo's wire, in the shapes
yfinance 1.7.0 reads (see /work/shared/notes/yfinance.md), plus a tiny reader for the real
CSVs in ``<repo>/../shared/market-data`` so tests and the benchmark can serve real prices.
"""

from __future__ import annotations

import csv
import time as _time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.real_data import MARKET_DATA
from tests.yahoo_recorded import Recorded

FULL_RANGES = ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"]
_RANGE_DAYS = {"1d": 1, "5d": 5, "1mo": 31, "3mo": 92, "6mo": 183, "1y": 366, "2y": 731}
_RANGE_DAYS |= {"5y": 1827, "10y": 3653}

# Where Yahoo puts each yfinance ``.info`` field (quoteSummary modules, formatted=false).
# yfinance 1.7.0 asks for financialData, quoteType, defaultKeyStatistics, assetProfile and
# summaryDetail, then merges /v7/finance/quote: fields not listed here are served there.
_MODULE_FIELDS: dict[str, frozenset[str]] = {
    module: frozenset(names.split())
    for module, names in {
        "quoteType": "exchange quoteType shortName longName timeZoneFullName "
        "timeZoneShortName firstTradeDateEpochUtc gmtOffSetMilliseconds",
        "summaryDetail": "previousClose open dayLow dayHigh volume marketCap averageVolume "
        "dividendRate dividendYield payoutRatio beta trailingPE forwardPE fiftyTwoWeekLow "
        "fiftyTwoWeekHigh priceToSalesTrailing12Months fiftyDayAverage twoHundredDayAverage "
        "currency trailingAnnualDividendRate trailingAnnualDividendYield",
        "defaultKeyStatistics": "enterpriseValue floatShares sharesOutstanding "
        "impliedSharesOutstanding bookValue priceToBook trailingEps forwardEps pegRatio "
        "netIncomeToCommon enterpriseToRevenue enterpriseToEbitda 52WeekChange",
        "financialData": "currentPrice totalCash totalDebt totalRevenue ebitda revenuePerShare "
        "returnOnEquity returnOnAssets grossMargins operatingMargins profitMargins "
        "freeCashflow financialCurrency earningsGrowth revenueGrowth debtToEquity",
        "assetProfile": "sector industry country city website longBusinessSummary "
        "fullTimeEmployees",
        "price": "regularMarketPrice shortName longName currency",
    }.items()
}
# /v7/finance/quote repeats the identity fields and carries what the modules yfinance asks
# for do not (yfinance 1.7.0 never asks for the ``price`` module).
_ASKED_MODULES = (
    "quoteType",
    "summaryDetail",
    "defaultKeyStatistics",
    "financialData",
    "assetProfile",
)
_IN_MODULES = frozenset().union(*(_MODULE_FIELDS[m] for m in _ASKED_MODULES)) - {
    "currency",
    "longName",
    "shortName",
}


@dataclass(frozen=True, slots=True)
class DailyBar:
    """One served bar, on its exchange-local date. ``None`` prices are served as JSON null."""

    day: date
    open: float | None
    high: float | None
    low: float | None
    close: float | None
    adj_close: float | None
    volume: float | None


@dataclass(slots=True)
class SymbolData:
    """Everything the double knows about one symbol."""

    bars: list[DailyBar]
    currency: str = "USD"
    timezone: str = "America/New_York"
    exchange: str = "NMS"
    instrument_type: str = "EQUITY"
    #: Bars are stamped at the session open in exchange time, as Yahoo does.
    session_open: time = time(9, 30)
    #: Yahoo's ``meta.validRanges``; ``["1d", "5d"]`` is how an index without history looks.
    valid_ranges: list[str] = field(default_factory=lambda: list(FULL_RANGES))
    #: ``.info`` fields in yfinance names, e.g. ``{"longName": ..., "financialCurrency": ...}``.
    info: dict[str, Any] = field(default_factory=dict)
    #: Corporate actions served in the chart's ``events``: ex-date -> (numerator, denominator)
    #: of a split, ex-date -> cash amount of a dividend. Use :func:`with_split` /
    #: :func:`with_dividend` to also adjust the bars before them, as Yahoo does.
    splits: dict[date, tuple[float, float]] = field(default_factory=dict)
    dividends: dict[date, float] = field(default_factory=dict)
    #: Real recorded answers (``tests/yahoo_recorded.py``): when set, quoteSummary, quote and
    #: timeseries requests are answered from them instead of from ``info``.
    recorded: Recorded | None = None


def market_defaults(symbol: str) -> dict[str, Any]:
    """Currency, zone, exchange and session open Yahoo uses for a symbol's market."""
    if symbol.upper().endswith(".HK"):
        return {"currency": "HKD", "timezone": "Asia/Hong_Kong", "exchange": "HKG"}
    if symbol.upper().endswith("=X"):  # FX bars are stamped at London midnight
        return {
            "currency": symbol[:3].upper(),
            "timezone": "Europe/London",
            "exchange": "CCY",
            "instrument_type": "CURRENCY",
            "session_open": time(0, 0),
        }
    return {"currency": "USD", "timezone": "America/New_York", "exchange": "NMS"}


def symbol_data(symbol: str, bars: Sequence[DailyBar], **overrides: Any) -> SymbolData:
    """A :class:`SymbolData` with the symbol's market defaults, overridable per field."""
    return SymbolData(bars=list(bars), **(market_defaults(symbol) | overrides))


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def with_split(
    data: SymbolData, day: date, numerator: float, denominator: float = 1.0
) -> SymbolData:
    """``data`` as Yahoo serves it once a ``numerator:denominator`` split took effect on
    ``day``: every price before ``day`` (close and adjusted close alike) divided by the
    ratio, volumes multiplied by it, earlier dividends divided too, and the split listed."""
    ratio = numerator / denominator
    bars = [
        b
        if b.day >= day
        else DailyBar(
            b.day,
            _scaled(b.open, 1 / ratio),
            _scaled(b.high, 1 / ratio),
            _scaled(b.low, 1 / ratio),
            _scaled(b.close, 1 / ratio),
            _scaled(b.adj_close, 1 / ratio),
            _scaled(b.volume, ratio),
        )
        for b in data.bars
    ]
    dividends = {d: a / ratio if d < day else a for d, a in data.dividends.items()}
    splits = data.splits | {day: (numerator, denominator)}
    return replace(data, bars=bars, splits=splits, dividends=dividends)


def with_dividend(data: SymbolData, day: date, amount: float) -> SymbolData:
    """``data`` once a dividend of ``amount`` went ex on ``day``: ``Close`` unchanged, every
    adjusted close before ``day`` multiplied by ``1 - amount / close`` of the last bar before
    ``day`` (Yahoo's method), and the dividend listed."""
    before = [b.close for b in data.bars if b.day < day and b.close]
    factor = 1 - amount / before[-1] if before else 1.0
    bars = [
        replace(b, adj_close=_scaled(b.adj_close, factor)) if b.day < day else b for b in data.bars
    ]
    return replace(data, bars=bars, dividends=data.dividends | {day: amount})


def _num(text: str | None) -> float | None:
    return float(text) if text and text.strip() else None


def bars_from_shared_csv(
    path: Path, start: date | None = None, end: date | None = None
) -> list[DailyBar]:
    """Bars from one of the real CSVs (any of its three layouts); rows without a close
    (e.g. AMZN's empty last row) are skipped, everything else is served as found.

    Deliberately tiny and independent of the project's CSV source: this is test plumbing.
    The files are already adjusted, so ``adj_close`` equals ``close``.
    """
    bars = []
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            close = _num(row.get("Close"))
            if not row.get("Date") or close is None:
                continue
            day = date.fromisoformat(row["Date"][:10])
            if (start and day < start) or (end and day > end):
                continue
            prices = (_num(row.get("Open")), _num(row.get("High")), _num(row.get("Low")))
            bars.append(DailyBar(day, *prices, close, close, _num(row.get("Volume"))))
    return bars


def shared_symbols(
    symbols: Iterable[str], start: date | None = None, end: date | None = None
) -> dict[str, SymbolData]:
    """Served data for real symbols from ``MARKET_DATA``, with market defaults."""
    return {
        s: symbol_data(s, bars_from_shared_csv(MARKET_DATA / f"{s}.csv", start, end))
        for s in symbols
    }


# ---- answers ---------------------------------------------------------------------------
def yahoo_error(root: str, code: str, description: str) -> dict[str, Any]:
    """Yahoo's error envelope, e.g. ``{"chart": {"result": null, "error": {...}}}``."""
    return {root: {"result": None, "error": {"code": code, "description": description}}}


def stamped_bars(data: SymbolData) -> list[tuple[int, DailyBar]]:
    zone = ZoneInfo(data.timezone)
    return [
        (int(datetime.combine(b.day, data.session_open, zone).timestamp()), b) for b in data.bars
    ]


def _in_range(stamped: list[tuple[int, DailyBar]], rng: str) -> list[tuple[int, DailyBar]]:
    """``range=`` counts back from the last bar, as if "now" were just after it."""
    if not stamped or rng == "max":
        return stamped
    last = stamped[-1][1].day
    first = (
        date(last.year, 1, 1) if rng == "ytd" else last - timedelta(_RANGE_DAYS.get(rng, 31) - 1)
    )
    return [(ts, b) for ts, b in stamped if b.day >= first]


def chart_result(
    symbol: str,
    data: SymbolData,
    query: dict[str, str],
    *,
    empty: bool = False,
    nan_days: Collection[date] = (),
) -> dict[str, Any]:
    """The ``/v8/finance/chart`` body for a known symbol (``interval=1d``)."""
    stamped = stamped_bars(data)
    if "period1" in query or "period2" in query:
        lo, hi = int(query.get("period1", 0)), int(query.get("period2", 2**40))
        chosen = [] if empty else [(ts, b) for ts, b in stamped if lo <= ts < hi]
    else:
        chosen = [] if empty else _in_range(stamped, query.get("range", "1mo"))
    result: dict[str, Any] = {"meta": chart_meta(symbol, data, stamped, query)}
    if not chosen:  # what Yahoo sends for a range without data
        result["indicators"] = {"quote": [{}], "adjclose": [{}]}
        return {"chart": {"result": [result], "error": None}}
    bars = [b for _, b in chosen]
    result["timestamp"] = [ts for ts, _ in chosen]
    result["indicators"] = {
        "quote": [
            {
                "open": [b.open for b in bars],
                "high": [b.high for b in bars],
                "low": [b.low for b in bars],
                "close": [None if b.day in nan_days else b.close for b in bars],
                "volume": [b.volume for b in bars],
            }
        ],
        "adjclose": [{"adjclose": [b.adj_close for b in bars]}],
    }
    events = chart_events(data, bars[0].day, bars[-1].day)
    if events:
        result["events"] = events
    return {"chart": {"result": [result], "error": None}}


def chart_events(data: SymbolData, first: date, last: date) -> dict[str, Any]:
    """``events`` of a chart answer: the splits and dividends between the first and last
    bar served, keyed by their Unix time as strings and stamped at the session open."""
    zone = ZoneInfo(data.timezone)

    def stamp(day: date) -> int:
        return int(datetime.combine(day, data.session_open, zone).timestamp())

    events: dict[str, Any] = {}
    splits = {d: r for d, r in data.splits.items() if first <= d <= last}
    if splits:
        events["splits"] = {
            str(stamp(d)): {
                "date": stamp(d),
                "numerator": num,
                "denominator": den,
                "splitRatio": f"{num:g}:{den:g}",
            }
            for d, (num, den) in sorted(splits.items())
        }
    dividends = {d: a for d, a in data.dividends.items() if first <= d <= last}
    if dividends:
        events["dividends"] = {
            str(stamp(d)): {"amount": amount, "date": stamp(d)}
            for d, amount in sorted(dividends.items())
        }
    return events


def chart_meta(
    symbol: str, data: SymbolData, stamped: list[tuple[int, DailyBar]], query: dict[str, str]
) -> dict[str, Any]:
    last_ts = stamped[-1][0] if stamped else int(_time.time())
    local = datetime.fromtimestamp(last_ts, ZoneInfo(data.timezone))
    offset = int(local.utcoffset().total_seconds())  # type: ignore[union-attr]
    period = {"timezone": local.tzname(), "gmtoffset": offset}
    regular_end = last_ts + 6 * 3600
    info = info_fields(data)
    return {
        "currency": data.currency,
        "symbol": symbol,
        "exchangeName": data.exchange,
        "fullExchangeName": data.exchange,
        "instrumentType": data.instrument_type,
        "firstTradeDate": stamped[0][0] if stamped else None,
        "regularMarketTime": last_ts,
        "hasPrePostMarketData": False,
        "gmtoffset": offset,
        "timezone": local.tzname(),
        "exchangeTimezoneName": data.timezone,
        "regularMarketPrice": stamped[-1][1].close if stamped else None,
        "longName": info.get("longName", symbol),
        "shortName": info.get("shortName", symbol),
        "chartPreviousClose": stamped[0][1].close if stamped else None,
        "priceHint": 2,
        "currentTradingPeriod": {
            "pre": period | {"start": last_ts - 3600, "end": last_ts},
            "regular": period | {"start": last_ts, "end": regular_end},
            "post": period | {"start": regular_end, "end": regular_end + 3600},
        },
        "dataGranularity": query.get("interval", "1d"),
        "range": query.get("range", ""),
        "validRanges": list(data.valid_ranges),
    }


def info_fields(data: SymbolData) -> dict[str, Any]:
    """The symbol's ``.info``: defaults derived from its data, overridden by ``data.info``."""
    last = next((b.close for b in reversed(data.bars) if b.close), None)
    base = {
        "currency": data.currency,
        "quoteType": data.instrument_type,
        "exchange": data.exchange,
        "exchangeTimezoneName": data.timezone,
        "regularMarketPrice": last,
    }
    return base | data.info


def quote_summary(data: SymbolData, modules: Iterable[str]) -> dict[str, Any]:
    """``/v10/finance/quoteSummary`` body with the asked modules (``formatted=false``)."""
    info = info_fields(data)
    result = {
        m: {k: v for k, v in info.items() if k in _MODULE_FIELDS.get(m, ())} | {"maxAge": 1}
        for m in modules
    }
    return {"quoteSummary": {"result": [result], "error": None}}


def quote_response(symbol: str, data: SymbolData | None) -> dict[str, Any]:
    """``/v7/finance/quote`` body: the fields no quoteSummary module carries."""
    if data is None:
        return {"quoteResponse": {"result": [], "error": None}}
    fields = {k: v for k, v in info_fields(data).items() if k not in _IN_MODULES}
    return {"quoteResponse": {"result": [fields | {"symbol": symbol}], "error": None}}


def timeseries(symbol: str, data: SymbolData | None) -> dict[str, Any]:
    """Fundamentals-timeseries body; yfinance's ``.info`` only reads ``trailingPegRatio``."""
    peg = info_fields(data).get("trailingPegRatio") if data else None
    if peg is None:
        return {"timeseries": {"result": [], "error": None}}
    item = {
        "meta": {"symbol": [symbol], "type": ["trailingPegRatio"]},
        "trailingPegRatio": [{"reportedValue": {"raw": peg}}],
    }
    return {"timeseries": {"result": [item], "error": None}}
