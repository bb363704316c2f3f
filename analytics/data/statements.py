"""Income-statement history (quarterly and annual periods) per symbol, cached as settled data.

Why: a valuation at a past date needs the earnings *reported by then*, which ``.info`` (today's
trailing figures) cannot give. Yahoo's fundamentals-timeseries gives about five quarters and
four years, through yfinance (``analytics.data.sources.yahoo_statements``).

Statements are settled data: a quarter, once reported, does not change. So a symbol's periods
are fetched once and kept until the next report is due — :data:`NEXT_REPORT` after the latest
period end held (the next quarter's end plus the reporting lag) — then asked again at most
once per :data:`RETRY` until a newer period appears. A source's ``info_ttl`` of zero (a local
folder, edited by hand) makes every question read it again. When the source fails, what the
cache holds is served, marked stale; with nothing cached the symbol gets the reason.

Labels are kept as Yahoo sent them (``labels``: field -> ``currencyCode``) but never trusted:
:mod:`analytics.metrics.valuation_history` reconciles each figure before using it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from analytics.data.market import MarketData
from analytics.data.per_symbol import PerSymbolStore

#: A quarter is reported within this long of its end (the issue's rule: 45 days).
REPORT_LAG = timedelta(days=45)
#: The next report is due one quarter plus the lag after the latest period end held.
NEXT_REPORT = timedelta(days=92) + REPORT_LAG
#: Once due, ask again at most this often until a newer period appears.
RETRY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Period:
    """One reported period, in the units Yahoo sent (see ``labels`` — claims, not facts)."""

    end: date
    months: int  # 3: a quarter, 12: a fiscal year
    net_income: float
    diluted_eps: float | None = None
    diluted_shares: float | None = None
    revenue: float | None = None
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def reported_by(self) -> date:
        """The first day it counts as reported (its end plus :data:`REPORT_LAG`)."""
        return self.end + REPORT_LAG

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Period | None:
        try:
            end = date.fromisoformat(str(raw["end"])[:10])
            income = float(raw["net_income"])
        except (KeyError, TypeError, ValueError):
            return None

        def num(key: str) -> float | None:
            value = raw.get(key)
            return float(value) if isinstance(value, int | float) and value == value else None

        labels = raw.get("labels") if isinstance(raw.get("labels"), dict) else {}
        return cls(
            end,
            int(raw.get("months") or 3),
            income,
            num("diluted_eps"),
            num("diluted_shares"),
            num("revenue"),
            {str(k): str(v) for k, v in (labels or {}).items()},
        )


@dataclass(frozen=True, slots=True)
class StoredStatements:
    """A symbol's row in the market cache's ``statements`` table, decoded."""

    payload: dict[str, Any] | None
    fetched_at: datetime
    latest_end: date | None


@dataclass(slots=True)
class Statements:
    """A symbol's periods, oldest first, and how fresh they are."""

    symbol: str
    quarterly: list[Period]
    annual: list[Period]
    fetched_at: datetime | None
    stale: bool = False
    stale_reason: str | None = None
    error: str | None = None

    @property
    def latest_end(self) -> date | None:
        ends = [p.end for p in self.quarterly + self.annual]
        return max(ends) if ends else None

    def quarters_reported_by(self, day: date) -> list[Period]:
        return [p for p in self.quarterly if p.reported_by <= day]

    def annual_reported_by(self, day: date) -> list[Period]:
        return [p for p in self.annual if p.reported_by <= day]


def parse_periods(payload: dict[str, Any] | None) -> tuple[list[Period], list[Period]]:
    """(quarterly, annual) periods from a source's JSON, oldest first, unreadable ones dropped."""
    out: list[list[Period]] = []
    for key in ("quarterly", "annual"):
        raws = (payload or {}).get(key) or []
        periods = [p for p in (Period.from_json(r) for r in raws if isinstance(r, dict)) if p]
        out.append(sorted({p.end: p for p in periods}.values(), key=lambda p: p.end))
    return out[0], out[1]


class StatementStore(PerSymbolStore[StoredStatements, Statements]):
    """Statements of symbols from one source, through the market cache (module docstring);
    the fetch loop is :class:`~analytics.data.per_symbol.PerSymbolStore`'s."""

    what = "statements"
    cannot_fetch = "the data source has no statement history"

    @property
    def always_fetch(self) -> bool:
        """A source whose answers keep for no time (``info_ttl`` zero: a folder edited by
        hand) is read on every question."""
        ttl = getattr(self.source, "info_ttl", None)
        return isinstance(ttl, timedelta) and ttl <= timedelta(0)

    @classmethod
    def beside(cls, market: MarketData) -> StatementStore:
        """The store that shares the market's cache, source, clock and circuit breaker."""
        return cls(market.cache, market.source, clock=market.clock, breaker=market.breaker)

    def cached(self, symbol: str) -> StoredStatements | None:
        row = (
            self.cache.connection()
            .execute(
                "SELECT periods, fetched_at, latest_end FROM statements WHERE symbol = ?",
                (symbol,),
            )
            .fetchone()
        )
        if row is None:
            return None
        payload = json.loads(row["periods"]) if row["periods"] is not None else None
        latest = date.fromisoformat(row["latest_end"]) if row["latest_end"] else None
        return StoredStatements(payload, datetime.fromisoformat(row["fetched_at"]), latest)

    def _save(self, symbol: str, payload: dict[str, Any] | None, now: datetime) -> None:
        quarterly, annual = parse_periods(payload)
        ends = [p.end for p in quarterly + annual]
        with self.cache.transaction():
            self.cache.db["statements"].upsert(
                {
                    "symbol": symbol,
                    "periods": None if payload is None else json.dumps(payload, allow_nan=False),
                    "latest_end": max(ends).isoformat() if ends else None,
                    "fetched_at": now.isoformat(),
                    "source": getattr(self.source, "label", ""),
                },
                pk="symbol",
            )

    # -- what the fetch loop needs ----------------------------------------------------------
    def _fresh(self, row: StoredStatements, now: datetime) -> bool:
        if self.always_fetch:
            return False
        if now - row.fetched_at < RETRY:
            return True
        return row.latest_end is not None and now.date() < row.latest_end + NEXT_REPORT

    def _fetcher(self) -> Callable[[str], dict[str, Any] | None] | None:
        return getattr(self.source, "fetch_statements", None)

    def _from_cache(self, symbol: str, row: StoredStatements) -> Statements:
        return _statements(symbol, row.payload, row.fetched_at)

    def _keep(self, symbol: str, fetched: dict[str, Any] | None, now: datetime) -> Statements:
        self._save(symbol, fetched, now)
        return _statements(symbol, fetched, now)

    def _fallback(self, symbol: str, row: StoredStatements | None, reason: str) -> Statements:
        if row is None:
            return Statements(symbol, [], [], None, error=f"no statements could be had ({reason})")
        stale = _statements(symbol, row.payload, row.fetched_at)
        stale.stale, stale.stale_reason = True, reason
        return stale


def _statements(symbol: str, payload: dict[str, Any] | None, fetched: datetime) -> Statements:
    quarterly, annual = parse_periods(payload)
    return Statements(symbol, quarterly, annual, fetched)
