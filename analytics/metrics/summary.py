"""The weekly summary's numbers: each basket's week and year to date, movers, spread, P/E.

Pure of Discord: the scheduler and ``/summary preview`` both call :func:`compute_summary`
and render the result (:mod:`commands.summary`), and tests check the numbers against the
CSV files directly.

Definitions (all built on :func:`analytics.metrics.returns.compute_returns`, so they are the very
numbers ``/returns`` gives for the same dates):

* **as of** — one date for the whole summary: the latest close of any member on or before
  today (or the date asked for). Every member is then measured to its own last close on or
  before that date, so a Hong Kong holiday never shifts New York's numbers.
* **week** — ``period:1w`` ending at the as-of date: from the last close on or before
  seven days earlier. **YTD** — ``period:ytd`` ending at the as-of date.
* **spread** — first basket minus second, in percentage points.
* **forward P/E** — :mod:`analytics.metrics.valuation`'s aggregate (total market cap over total
  forward earnings); "n/a" with the reason when fundamentals are missing.
* **stale** — a source failed and cached data was used, or (when no date was asked for)
  the latest close is more than :data:`STALE_AFTER` old.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from analytics.data.market import MarketData
from analytics.errors import MarketbotError, NoDataError
from analytics.metrics.chartdata import ChartData, build_chart_data
from analytics.metrics.loading import load_period, source_failed
from analytics.metrics.periods import Period
from analytics.metrics.returns import (
    MemberReturn,
    MemberSet,
    ReturnsResult,
    compute_returns,
    returns_of,
)
from analytics.metrics.returns import member_paths as _member_paths
from analytics.metrics.targets import Target
from analytics.metrics.valuation import compute_valuation

if TYPE_CHECKING:
    from analytics.data.fundamentals import FundamentalsStore

#: A summary whose latest close is older than this (weekend and a holiday included) is stale.
STALE_AFTER = timedelta(days=5)
WEEK = timedelta(days=7)


@dataclass(slots=True)
class BasketWeek:
    """One basket's lines in the summary; ``problem`` says why numbers are missing."""

    target: Target
    week: ReturnsResult | None = None
    ytd: ReturnsResult | None = None
    problem: str | None = None
    forward_pe: float | None = None
    #: Why there is no P/E ("no fundamentals ..."), or what it covers.
    valuation_note: str = "valuation n/a"
    ytd_paths: MemberSet | None = None

    @property
    def week_pct(self) -> float | None:
        return self.week.equal_weight_return_pct if self.week else None

    @property
    def ytd_pct(self) -> float | None:
        return self.ytd.equal_weight_return_pct if self.ytd else None

    @property
    def best(self) -> MemberReturn | None:
        return max(self.week.members, key=lambda m: m.return_pct) if self.week else None

    @property
    def worst(self) -> MemberReturn | None:
        return min(self.week.members, key=lambda m: m.return_pct) if self.week else None

    def to_json(self) -> dict[str, Any]:
        def mover(m: MemberReturn | None) -> dict[str, Any] | None:
            return {"symbol": m.symbol, "return_pct": m.return_pct} if m else None

        return {
            "basket": self.target.label,
            "symbols": list(self.target.symbols),
            "week_pct": self.week_pct,
            "ytd_pct": self.ytd_pct,
            "best": mover(self.best),
            "worst": mover(self.worst),
            "forward_pe": self.forward_pe,
            "valuation_note": self.valuation_note,
            "problem": self.problem,
            "week": self.week.to_json() if self.week else None,
            "ytd": self.ytd.to_json() if self.ytd else None,
        }


@dataclass(slots=True)
class WeeklySummary:
    baskets: list[BasketWeek]
    as_of: date
    week_start: date
    stale: bool
    stale_reasons: list[str]
    source: str
    chart: ChartData | None = None
    notes: list[str] = field(default_factory=list)

    def _spread(self, attr: str) -> float | None:
        if len(self.baskets) < 2:
            return None
        a, b = getattr(self.baskets[0], attr), getattr(self.baskets[1], attr)
        return a - b if a is not None and b is not None else None

    @property
    def week_spread(self) -> float | None:
        """First basket's week minus the second's, in percentage points."""
        return self._spread("week_pct")

    @property
    def ytd_spread(self) -> float | None:
        return self._spread("ytd_pct")

    @property
    def labels(self) -> list[str]:
        return [b.target.label for b in self.baskets]

    def to_json(self) -> dict[str, Any]:
        return {
            "command": "summary",
            "as_of": self.as_of.isoformat(),
            "week_start": self.week_start.isoformat(),
            "baskets": [b.to_json() for b in self.baskets],
            "week_spread_pts": self.week_spread,
            "ytd_spread_pts": self.ytd_spread,
            "stale": self.stale,
            "stale_reasons": list(self.stale_reasons),
            "source": self.source,
            "notes": list(self.notes),
        }


def summary_as_of(market: MarketData, targets: Sequence[Target]) -> tuple[date, bool]:
    """The latest close of any member on or before today (looking back for old files),
    and whether the source failed while looking (then the cache's latest close is used)."""
    symbols = tuple(dict.fromkeys(s for t in targets for s in t.symbols))
    history = load_period(market, symbols, Period(name="1w"))
    failed = source_failed(history)
    days = [s.last_day for s in history.series.values() if s.last_day is not None]
    if not days:  # the source failed: the latest close the cache holds will do (stale)
        today = market.today()
        days = [d for s in symbols if (d := market.last_day(s, today)) is not None]
    if not days:
        reasons = "; ".join(f"{k}: {p.text}" for k, p in history.problems.items()) or "no members"
        raise NoDataError(f"No prices for the summary. {reasons}"[:1500])
    return max(days), failed


def _valuation(market: MarketData, store: FundamentalsStore | None, basket: BasketWeek) -> None:
    """Fill the basket's forward P/E, or say why there is none (never fail the summary)."""
    if store is None:
        basket.valuation_note = "valuation n/a (no fundamentals source)"
        return
    try:
        result = compute_valuation(market, store, basket.target)
    except MarketbotError:
        basket.valuation_note = "valuation n/a (no fundamentals)"
        return
    pe = result.aggregate.forward_pe
    basket.forward_pe = pe
    if pe is None:
        basket.valuation_note = "valuation n/a (no forward earnings)"
    else:
        used = len(result.members) - sum(
            1 for g in result.aggregate.left_out if g.measure == "forward_pe"
        )
        basket.valuation_note = f"forward P/E over {used} of {len(basket.target.symbols)} members"


def compute_summary(
    market: MarketData,
    targets: Sequence[Target],
    *,
    as_of: date | None = None,
    fundamentals: FundamentalsStore | None = None,
    stale_after: timedelta = STALE_AFTER,
) -> WeeklySummary:
    """The week and year to date of up to four baskets as of one date (see the module doc).

    A basket without data is reported with the reason; only a summary where no basket
    has any number raises :class:`NoDataError`.
    """
    end, failed = (as_of, False) if as_of else summary_as_of(market, targets)
    week_p, ytd_p = Period(name="1w", end=end), Period(name="ytd", end=end)
    baskets: list[BasketWeek] = []
    for target in targets:
        basket = BasketWeek(target)
        try:
            basket.week = compute_returns(market, target, week_p)
        except MarketbotError as exc:
            basket.problem = f"week: {exc}"[:300]
        try:
            basket.ytd_paths = _member_paths(market, target, ytd_p)
            basket.ytd = returns_of(
                basket.ytd_paths, target, ytd_p, "price", "local", market.source_label
            )
        except MarketbotError as exc:
            basket.problem = (basket.problem or f"year to date: {exc}")[:300]
        _valuation(market, fundamentals, basket)
        baskets.append(basket)
    if all(b.week is None and b.ytd is None for b in baskets):
        reasons = "; ".join(f"{b.target.label}: {b.problem}" for b in baskets)
        raise NoDataError(f"No data for the weekly summary as of {end.isoformat()}. {reasons}")
    results = [r for b in baskets for r in (b.week, b.ytd) if r is not None]
    reasons: list[str] = []
    if failed or any(r.stale for r in results):
        reasons.append("the data source failed; cached prices used")
    if as_of is None and market.today() - end > stale_after:
        reasons.append(f"no new closes since {end.isoformat()}")
    notes = sorted({n for r in results for n in r.notes})
    summary = WeeklySummary(
        baskets=baskets,
        as_of=end,
        week_start=end - WEEK,
        stale=bool(reasons),
        stale_reasons=reasons,
        source=market.source_label,
        notes=notes,
    )
    summary.chart = race_chart(summary)
    return summary


def race_chart(summary: WeeklySummary) -> ChartData | None:
    """The year-to-date race: one equal-weighted line per basket, members left out.

    The chart module knows two groups (a warm ``target`` and a cool ``vs``); a third and
    fourth basket are drawn as thin lines of those families, labelled at the right edge.
    """
    ready = [b for b in summary.baskets if b.ytd_paths is not None]
    if not ready:
        return None
    names = ["target", "vs", "third", "fourth"]
    groups = [(names[i], b.target, b.ytd_paths) for i, b in enumerate(ready) if b.ytd_paths]
    data = build_chart_data(groups, style="rebased", source=summary.source)
    lines = []
    for i, (group, target, _members) in enumerate(groups):
        own = [s for s in data.series if s.group == group]
        line = next((s for s in own if s.kind == "basket"), own[0] if len(own) == 1 else None)
        if line is None:
            continue
        line.label = target.label
        line.kind = "basket" if i < 2 else "member"
        line.group = "target" if i % 2 == 0 else "vs"
        line.currency = ""
        lines.append(line)
    data.series = lines
    data.vs = ready[1].target if len(ready) > 1 else None
    data.stale = data.stale or summary.stale
    return data
