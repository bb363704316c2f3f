"""The numbers behind ``/chart style:pe``: a basket's aggregate trailing P/E on every trading day.

Each point is :func:`analytics.metrics.valuation_history.valuation_at` for that date, on inputs
loaded once for the whole period, so a point equals ``/valuation target: on:<date>``: the
same closes, FX, statements and rule (Σ market cap / Σ earnings reported by then). Earnings
step at each report (45 days after a quarter's end); prices move daily. A day on which no
member can be valued has no point (the line has a gap there, never an invented value).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from analytics.data.fundamentals import FundamentalsStore
from analytics.data.market import MarketData
from analytics.data.statements import StatementStore
from analytics.errors import NoDataError
from analytics.metrics.loading import Excluded
from analytics.metrics.periods import Period
from analytics.metrics.targets import Target
from analytics.metrics.valuation_history import HistoryInputs, load_inputs, valuation_at
from analytics.metrics.valuation_result import premium_pct


@dataclass(slots=True)
class PeLine:
    """One basket's aggregate trailing P/E through time."""

    label: str
    group: str  # "target" | "vs"
    dates: list[date]
    values: list[float]
    #: Per point: ``ttm-quarters`` / ``annual`` / ``annual+ttm-quarters``.
    bases: list[str]

    @property
    def final(self) -> float:
        return self.values[-1]

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "group": self.group,
            "dates": [d.isoformat() for d in self.dates],
            "values": list(self.values),
            "earnings_basis": list(self.bases),
        }


@dataclass(slots=True)
class PeChartData:
    target: Target
    vs: Target | None
    start: date
    end: date
    lines: list[PeLine]
    source: str
    stale: bool
    excluded: list[Excluded] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def line(self, group: str) -> PeLine | None:
        return next((ln for ln in self.lines if ln.group == group), None)

    @property
    def as_of(self) -> date:
        return max(ln.dates[-1] for ln in self.lines)

    @property
    def premium_pct(self) -> float | None:
        """Target vs ``vs`` on the last date both have a point (negative: a discount)."""
        left, right = self.line("target"), self.line("vs")
        if left is None or right is None:
            return None
        common = sorted(set(left.dates) & set(right.dates))
        if not common:
            return None
        day = common[-1]
        return premium_pct(left.values[left.dates.index(day)], right.values[right.dates.index(day)])

    @property
    def premium_text(self) -> str | None:
        value = self.premium_pct
        if value is None or self.vs is None:
            return None
        word = "premium" if value >= 0 else "discount"
        return f"{self.target.label} at a {abs(value):.0f}% {word} to {self.vs.label}"

    @property
    def title(self) -> str:
        head = f"{self.target.label} vs {self.vs.label}" if self.vs else self.target.label
        return f"{head}: trailing P/E"

    @property
    def subtitle(self) -> str:
        return (
            f"{self.start.isoformat()} → {self.end.isoformat()} · Σ market cap / Σ trailing "
            "earnings reported by each date, USD"
        )

    @property
    def footnote(self) -> str:
        return (
            f"{self.source} · earnings: four latest quarters reported 45+ days earlier "
            "(or the latest annual) · constant shares · loss-makers left out"
        )

    @property
    def caption(self) -> str:
        parts = [f"{ln.label} {ln.final:.1f}x" for ln in self.lines]
        text = f"Trailing P/E on {self.as_of.isoformat()}: " + ", ".join(parts)
        premium = self.premium_text
        return text + (f" ({premium})" if premium else "") + "."

    def to_json(self) -> dict[str, Any]:
        return {
            "style": "pe",
            "target": self.target.label,
            "vs": self.vs.label if self.vs else None,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "series": [ln.to_json() for ln in self.lines],
            "premium_pct": self.premium_pct,
            "excluded": [e.to_json() for e in self.excluded],
            "notes": list(self.notes),
            "stale": self.stale,
        }


def pe_line(inputs: HistoryInputs, group: str, start: date, end: date) -> PeLine:
    """The aggregate P/E on each trading day of the basket's members in ``[start, end]``."""
    days = sorted({d for s in inputs.listings for d in inputs.series[s].days if start <= d <= end})
    dates: list[date] = []
    values: list[float] = []
    bases: list[str] = []
    for day in days:
        try:
            agg = valuation_at(inputs, day).aggregate
        except NoDataError:
            continue
        if agg.trailing_pe is not None:
            dates.append(day)
            values.append(agg.trailing_pe)
            bases.append(agg.earnings_basis)
    return PeLine(inputs.target.label, group, dates, values, bases)


def pe_chart_data(
    market: MarketData,
    funds: FundamentalsStore,
    statements: StatementStore,
    target: Target,
    period: Period,
    vs: Target | None = None,
) -> PeChartData:
    """Both baskets' P/E lines over ``period`` (NoDataError when neither has a point)."""
    lines: list[PeLine] = []
    excluded: list[Excluded] = []
    stale = False
    for group, basket in (("target", target), ("vs", vs)):
        if basket is None:
            continue
        inputs = load_inputs(market, funds, statements, basket, period.start, period.end)
        excluded += inputs.excluded
        line = pe_line(inputs, group, period.start, period.end)
        stale = stale or any(
            inputs.series[s].stale or ln.statements.stale for s, ln in inputs.listings.items()
        )
        if line.dates:
            lines.append(line)
        else:
            excluded.append(Excluded(basket.label, _why_empty(inputs, period.end)))
    if not lines:
        why = "; ".join(f"{e.symbol}: {e.reason}" for e in excluded) or "no members"
        raise NoDataError(
            f"No P/E history for {period.start.isoformat()} → {period.end.isoformat()}. {why}"
        )
    notes = ["Forward P/E has no history: only trailing P/E is charted."]
    return PeChartData(
        target, vs, period.start, period.end, lines, market.source_label, stale, excluded, notes
    )


def _why_empty(inputs: HistoryInputs, end: date) -> str:
    """Why a basket has no point: what its valuation on the period's last day says."""
    try:
        valuation_at(inputs, end)
    except NoDataError as exc:
        return f"no date in the period could be valued; on {end.isoformat()}: {exc}"
    return "no date in the period could be valued"
