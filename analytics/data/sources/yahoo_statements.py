"""Quarterly and annual income statements from Yahoo through yfinance's fundamentals-timeseries.

yfinance's ``get_income_stmt(freq=...)`` gives a frame (rows such as ``DilutedEPS``, columns
the period ends) but drops each value's ``currencyCode``. That label is a claim worth
keeping (BEKE's ``DilutedEPS`` says USD and is CNY), so the labels are read from the raw
answer the session observed. Only the rows the valuation needs are kept, as plain JSON-able
dicts (see :mod:`analytics.data.statements`); :class:`~analytics.data.sources.yahoo.YahooSource`
calls it.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from analytics.data.sources.base import finite
from analytics.data.sources.yahoo_session import Observation

#: Statement rows kept: our name -> yfinance row names, first present wins.
ROWS: dict[str, tuple[str, ...]] = {
    "net_income": ("NetIncomeCommonStockholders", "NetIncome"),
    "diluted_eps": ("DilutedEPS",),
    "diluted_shares": ("DilutedAverageShares",),
    "revenue": ("TotalRevenue",),
}


def labels_of(observation: Observation | None, scale: str) -> dict[str, dict[str, str]]:
    """``{period end: {yfinance row: currencyCode}}`` from the observed timeseries answer."""
    if observation is None or observation.response is None:
        return {}
    try:
        body = json.loads(observation.response.content)
        result = body["timeseries"]["result"] or []
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}
    out: dict[str, dict[str, str]] = {}
    for item in result:
        if not isinstance(item, dict):
            continue
        names = (item.get("meta") or {}).get("type") or []
        name = str(names[0]) if names else ""
        for entry in item.get(name) or []:
            if isinstance(entry, dict) and entry.get("asOfDate") and entry.get("currencyCode"):
                row = name.removeprefix(scale)
                out.setdefault(str(entry["asOfDate"]), {})[row] = str(entry["currencyCode"])
    return out


def periods_of(
    frame: pd.DataFrame | None, months: int, labels: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    """One dict per period (oldest first) with the kept rows and their labels."""
    if frame is None or frame.empty:
        return []
    out = []
    for column in sorted(frame.columns):
        end = pd.Timestamp(column).date().isoformat()
        period: dict[str, Any] = {"end": end, "months": months, "labels": {}}
        for key, names in ROWS.items():
            row = next((n for n in names if n in frame.index), None)
            value = finite(frame.at[row, column]) if row is not None else None
            period[key] = value
            label = labels.get(end, {}).get(row or "")
            if value is not None and label:
                period["labels"][key] = label
        if period["net_income"] is not None:
            out.append(period)
    return out
