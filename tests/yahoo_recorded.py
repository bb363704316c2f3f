"""Real recorded Yahoo answers for the double, read in place from ``../shared/recorded-yahoo``.

The files there are Yahoo's own bodies (see that folder's README), so yfinance parses Yahoo's
real shapes and its real data traps, not our idea of them. Nothing is copied into the
repository: every function reads the file it needs when asked (and keeps it in memory).

* :func:`recorded` gives a :class:`Recorded` for a symbol: its ``quoteSummary`` result (all
  modules), its ``/v7/finance/quote`` result and its fundamentals-timeseries result, whichever
  of the three were recorded.
* The double answers from it with :func:`summary_body` (the modules yfinance asked for),
  :func:`quote_body` and :func:`timeseries_body` (the asked ``type``\\ s in the asked window).
* :func:`timeseries_items` writes statements *in the same shape* (``asOfDate``, ``periodType``,
  ``currencyCode``, ``reportedValue``) for cases the recordings lack, e.g. four quarters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

#: ``<repo>/../shared/recorded-yahoo``: real Yahoo answers, read in place.
RECORDED_YAHOO = Path(__file__).resolve().parents[1] / ".." / "shared" / "recorded-yahoo"


@dataclass(frozen=True, slots=True)
class Recorded:
    """What Yahoo answered for one symbol (``None``: not recorded, not served this way)."""

    summary: dict[str, Any] | None = None  # quoteSummary.result[0]: module -> fields
    quote: dict[str, Any] | None = None  # quoteResponse.result[0]
    timeseries: tuple[dict[str, Any], ...] | None = None  # timeseries.result


@cache
def _body(name: str) -> dict[str, Any] | None:
    path = RECORDED_YAHOO / name
    if not path.exists():
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)["response"]["bodyJson"]


def recorded(symbol: str) -> Recorded:
    """Every recorded answer for ``symbol`` (each part ``None`` when not recorded)."""
    summary = _body(f"quoteSummary-all-{symbol}.json")
    quote = _body(f"quote-{symbol}.json")
    series = _body(f"fundamentalsTimeSeries-{symbol}-financials-quarterly.json")
    return Recorded(
        summary=summary["quoteSummary"]["result"][0] if summary else None,
        quote=quote["quoteResponse"]["result"][0] if quote else None,
        timeseries=tuple(series["timeseries"]["result"]) if series else None,
    )


def summary_body(rec: Recorded, modules: list[str]) -> dict[str, Any]:
    """``/v10/finance/quoteSummary`` with the asked modules, as recorded."""
    result = {m: rec.summary[m] for m in modules if rec.summary and m in rec.summary}
    return {"quoteSummary": {"result": [result], "error": None}}


def quote_body(rec: Recorded) -> dict[str, Any]:
    result = [rec.quote] if rec.quote else []
    return {"quoteResponse": {"result": result, "error": None}}


def _type_of(item: dict[str, Any]) -> str:
    return str(item["meta"]["type"][0])


def timeseries_body(rec: Recorded, query: dict[str, str]) -> dict[str, Any]:
    """The asked ``type``\\ s, keeping only entries whose ``asOfDate`` is in
    ``[period1, period2)`` as Yahoo does; a type with nothing left is omitted."""
    asked = set((query.get("type") or "").split(","))
    lo, hi = int(query.get("period1", 0)), int(query.get("period2", 2**40))
    out = []
    for item in rec.timeseries or ():
        name = _type_of(item)
        if name not in asked:
            continue
        entries = [
            e
            for e in item.get(name) or []
            if e and lo <= _stamp(date.fromisoformat(e["asOfDate"])) < hi
        ]
        if entries:
            stamps = [_stamp(date.fromisoformat(e["asOfDate"])) for e in entries]
            out.append({"meta": item["meta"], "timestamp": stamps, name: entries})
    return {"timeseries": {"result": out, "error": None}}


def _stamp(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _fmt(value: float) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.2f}{suffix}"
    return f"{value:.2f}"


def timeseries_items(
    symbol: str, rows: dict[str, dict[str, tuple[float, str]]], period: str = "quarterly"
) -> tuple[dict[str, Any], ...]:
    """Statements written in Yahoo's shape: ``rows[type][asOfDate] = (value, currencyCode)``,
    e.g. ``{"NetIncomeCommonStockholders": {"2024-03-31": (1.2e9, "CNY")}}``."""
    items = []
    for name, values in rows.items():
        key = period + name
        days = sorted(values)
        entries = [
            {
                "dataId": 20000,
                "asOfDate": day,
                "periodType": "3M" if period == "quarterly" else "12M",
                "currencyCode": values[day][1],
                "reportedValue": {"raw": values[day][0], "fmt": _fmt(values[day][0])},
            }
            for day in days
        ]
        stamps = [_stamp(date.fromisoformat(d)) for d in days]
        items.append(
            {"meta": {"symbol": [symbol], "type": [key]}, "timestamp": stamps, key: entries}
        )
    return tuple(items)


def with_timeseries(rec: Recorded, items: tuple[dict[str, Any], ...]) -> Recorded:
    """``rec`` serving ``items`` as its statements instead of the recorded ones."""
    return replace(rec, timeseries=items)


def recorded_rows(symbol: str, name: str) -> dict[str, tuple[float, str]]:
    """One recorded quarterly type as ``{asOfDate: (value, currencyCode)}`` (for tests that
    extend the recorded quarters with written ones)."""
    for item in recorded(symbol).timeseries or ():
        if _type_of(item) == "quarterly" + name:
            return {
                e["asOfDate"]: (e["reportedValue"]["raw"], e["currencyCode"])
                for e in item["quarterly" + name]
                if e
            }
    return {}


#: FX rates written by us (no EUR=X or TRY=X was recorded): units per USD, close to the
#: market on 2025-02-21..24 (EUR/USD 1.046, USD/TRY 36.4). CNY=X comes from the shared CSV.
WRITTEN_FX = {"EUR=X": 0.956, "TRY=X": 36.45}


def recorded_price(symbol: str) -> tuple[date, float, str, str]:
    """The recorded ``price`` module's last price: (local date, price, currency, zone)."""
    summary = recorded(symbol).summary or {}
    price = summary["price"]
    zone = summary["quoteType"]["timeZoneFullName"]
    day = datetime.fromtimestamp(price["regularMarketTime"], ZoneInfo(zone)).date()
    return day, float(price["regularMarketPrice"]), str(price["currency"]), str(zone)


def recorded_field(symbol: str, module: str, name: str) -> Any:
    """One field of a recorded quoteSummary module, as Yahoo sent it."""
    return ((recorded(symbol).summary or {}).get(module) or {}).get(name)
