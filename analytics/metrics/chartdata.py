"""The numbers behind a chart: aligned, rebased member paths, equal-weighted lines, drawdowns.

Why it is separate from rendering: ``--json`` prints exactly these numbers, tests check them
against ``/returns`` without looking at pixels, and the console skips rendering entirely
when nobody will look at an image.

Everything builds on :func:`analytics.metrics.returns.member_paths`, so each member's first and
last points are the very closes ``/returns`` uses. Rules:

* Dates are the union of every member's trading days (both baskets share one x axis). A
  member carries its last close over days its market was closed (Hong Kong holidays on a
  New York day and vice versa) and sits at its base close before its own base date, so a
  holiday never shows as a gap or a fake drop.
* The equal-weighted basket line is buy-and-hold: equal amounts invested in each member at
  its base close, so its value is the mean of members' growth factors and its last point is
  the mean of member returns — the number ``/returns`` reports.
* Drawdown is the percent below the running peak of each line's value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np

from analytics.data.market import MarketData
from analytics.metrics.chartlines import (
    align,
    drawdown,
    equal_weighted,
    growth,
    inputs_digest,
    worst,
)
from analytics.metrics.loading import Excluded, load_question
from analytics.metrics.periods import Period
from analytics.metrics.returns import MemberSet, member_paths
from analytics.metrics.targets import Target
from analytics.metrics.text import pct

STYLES = ("rebased", "price", "drawdown")
GROUPS = ("target", "vs")
Kind = Literal["member", "basket"]


@dataclass(slots=True)
class ChartSeries:
    """One line: a member or a basket, with a value for every chart date."""

    label: str
    kind: Kind
    group: str
    dates: list[date]
    values: list[float]
    currency: str = ""
    #: Drawdown style only: the worst point (date, percent below the peak).
    worst: tuple[date, float] | None = None

    @property
    def final(self) -> float:
        return self.values[-1]

    def to_json(self, dates: list[str] | None = None) -> dict[str, Any]:
        """``dates``: :attr:`dates` already as text (a chart's lines share their dates)."""
        out: dict[str, Any] = {
            "label": self.label,
            "kind": self.kind,
            "group": self.group,
            "dates": [d.isoformat() for d in self.dates] if dates is None else dates,
            "values": list(map(float, self.values)),
        }
        if self.currency:
            out["currency"] = self.currency
        if self.worst is not None:
            out["worst"] = {"date": self.worst[0].isoformat(), "value": float(self.worst[1])}
        return out


@dataclass(slots=True)
class ChartData:
    """Everything a chart shows, in data terms; the renderer only decides how it looks."""

    style: str
    requested_style: str
    target: Target
    vs: Target | None
    basis: str
    currency: str
    currencies: list[str]
    start: date
    end: date
    series: list[ChartSeries]
    as_of: date
    stale: bool
    source: str
    notes: list[str] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)
    #: A digest of every input close (symbol, day, value, currency, staleness): changes
    #: whenever an input bar does (a new close, a split re-fetch), even where the drawn
    #: lines come out the same, so a reused PNG is keyed on the data as well as the
    #: picture. Not part of ``to_json``.
    data_version: str = ""

    # -- lookups ----------------------------------------------------------------------
    def group_series(self, group: str) -> list[ChartSeries]:
        return [s for s in self.series if s.group == group]

    def headline(self, group: str) -> ChartSeries | None:
        """The line that speaks for a group: its basket, or its only member."""
        lines = self.group_series(group)
        basket = next((s for s in lines if s.kind == "basket"), None)
        if basket is not None:
            return basket
        return lines[0] if len(lines) == 1 else None

    @property
    def groups(self) -> list[str]:
        return [g for g in GROUPS if self.group_series(g)]

    def group_target(self, group: str) -> Target:
        return self.target if group == "target" or self.vs is None else self.vs

    # -- words ------------------------------------------------------------------------
    @property
    def fell_back(self) -> bool:
        return self.requested_style != self.style

    @property
    def range_text(self) -> str:
        return f"{self.start.isoformat()} → {self.end.isoformat()}"

    @property
    def basis_text(self) -> str:
        if self.style == "price":
            return "adjusted closes" if self.basis == "total" else "closes"
        return "total return (Adj Close)" if self.basis == "total" else "price return (Close)"

    @property
    def currency_text(self) -> str:
        if self.currency == "usd":
            return "in USD"
        if len(self.currencies) == 1:
            return f"in {self.currencies[0]}"
        return "local currencies (" + ", ".join(self.currencies) + ")"

    @property
    def title(self) -> str:
        names = self.target.title + (f" vs {self.vs.title}" if self.vs else "")
        if self.style == "drawdown":
            return f"Drawdown: {names}"
        if self.style == "price":
            return f"{self.target.label} close"
        return names

    @property
    def subtitle(self) -> str:
        lead = {
            "rebased": f"Return since {self.start.isoformat()}, rebased to 0%",
            "drawdown": "Percent below the running peak",
            "price": "Daily adjusted closes" if self.basis == "total" else "Daily closes",
        }[self.style]
        if self.style == "price":
            return " · ".join((lead, self.range_text, self.currency_text))
        return " · ".join((lead, self.range_text, self.basis_text, self.currency_text))

    @property
    def footnote(self) -> str:
        parts = [f"Data: {self.source}", f"as of {self.as_of.isoformat()}"]
        if self.stale:
            parts.append("STALE: source unavailable, cached data")
        if self.style != "price" and any(s.kind == "basket" for s in self.series):
            parts.append("thin: members · thick: equal-weighted basket (equal amounts, held)")
        if self.fell_back:
            parts.append("price style needs one symbol: shown rebased")
        if self.excluded:
            left = ", ".join(e.symbol for e in self.excluded)
            parts.append(f"left out: {left[:80]}")
        return " · ".join(parts)

    @property
    def caption(self) -> str:
        """One line for the message the image is attached to."""
        heads = [(g, self.headline(g)) for g in self.groups]
        if self.style == "price":
            s = self.series[0]
            first = s.values[0]
            text = (
                f"{s.label} {s.final:,.2f} {s.currency} on {self.end.isoformat()} "
                f"({pct((s.final / first - 1) * 100)} since {self.start.isoformat()})"
            )
        elif self.style == "drawdown":
            worst = [
                f"{self.group_target(g).label} worst {pct(h.worst[1], 1)} "
                f"on {h.worst[0].isoformat()}"
                for g, h in heads
                if h is not None and h.worst is not None
            ]
            text = f"Drawdown {self.range_text}: " + ", ".join(worst)
        else:
            finals = [
                f"{self.group_target(g).label} {pct(h.final)}" for g, h in heads if h is not None
            ]
            weighted = any(s.kind == "basket" for s in self.series)
            text = (
                " vs ".join(finals)
                + f", {self.range_text}"
                + (" (equal-weighted)" if weighted else "")
            )
        if self.fell_back:
            text += " · price style needs one symbol, shown rebased"
        if self.stale:
            text += " · stale data"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "command": "chart",
            "target": self.target.label,
            "vs": self.vs.label if self.vs else None,
            "style": self.style,
            "requested_style": self.requested_style,
            "basis": self.basis,
            "currency": self.currency,
            "currencies": list(self.currencies),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "as_of": self.as_of.isoformat(),
            "stale": self.stale,
            "source": self.source,
            "title": self.title,
            "caption": self.caption,
            "notes": list(self.notes),
            "excluded": [e.to_json() for e in self.excluded],
            "series": _series_json(self.series),
        }


def _series_json(series: Sequence[ChartSeries]) -> list[dict[str, Any]]:
    """Each line's JSON, every distinct list of dates written as text once: the lines of a
    chart have equal dates, and 26 lines of 20 years were 135,000 ``isoformat`` calls."""
    texts: list[tuple[list[date], list[str]]] = []
    out = []
    for s in series:
        text = next((t for d, t in texts if d is s.dates or d == s.dates), None)
        if text is None:
            text = [d.isoformat() for d in s.dates]
            texts.append((s.dates, text))
        out.append(s.to_json(list(text)))
    return out


# -- numbers ---------------------------------------------------------------------------
def build_chart_data(
    groups: Sequence[tuple[str, Target, MemberSet]],
    *,
    style: str = "rebased",
    basis: str = "price",
    currency: str = "local",
    source: str = "",
) -> ChartData:
    """Turn member paths of one or two groups (``target``, ``vs``) into chart lines.

    ``price`` needs exactly one symbol in all; with more it falls back to ``rebased`` and
    the chart and caption say so.
    """
    if style not in STYLES:
        raise ValueError(f"unknown chart style {style!r}")
    requested = style
    n_symbols = sum(len(t.symbols) for _, t, _ in groups)
    if style == "price" and n_symbols != 1:
        style = "rebased"
    all_paths = [p for _, _, ms in groups for p in ms.paths]
    days, matrix = align(all_paths)
    grow = growth(all_paths, matrix)
    series: list[ChartSeries] = []
    row = 0
    for group, _target, members in groups:
        count = len(members.paths)
        rows = slice(row, row + count)
        row += count
        if style == "price":
            p = members.paths[0]
            series.append(
                ChartSeries(p.symbol, "member", group, list(p.days), list(p.values), p.currency)
            )
            continue
        for p, g in zip(members.paths, grow[rows], strict=True):
            series.append(_line(p.symbol, "member", group, days, g, style, p.currency))
        if count > 1:
            basket = equal_weighted(grow[rows])
            series.append(_line(_target.label, "basket", group, days, basket, style))
    excluded = [e for _, _, ms in groups for e in ms.excluded]
    notes = list(dict.fromkeys(n for _, _, ms in groups for n in ms.notes))
    chart_days = series[0].dates if style == "price" else days
    vs = groups[1][1] if len(groups) > 1 else None
    return ChartData(
        style=style,
        requested_style=requested,
        target=groups[0][1],
        vs=vs,
        basis=basis,
        currency=currency,
        currencies=sorted({p.currency for p in all_paths}),
        start=chart_days[0],
        end=chart_days[-1],
        series=series,
        as_of=max(p.days[-1] for p in all_paths),
        stale=any(p.stale for p in all_paths),
        source=source,
        notes=notes,
        excluded=excluded,
        data_version=inputs_digest(all_paths),
    )


def _line(
    label: str,
    kind: Kind,
    group: str,
    days: list[date],
    growth_row: np.ndarray,
    style: str,
    currency: str = "",
) -> ChartSeries:
    if style == "drawdown":
        dd = drawdown(growth_row)
        return ChartSeries(label, kind, group, list(days), dd.tolist(), currency, worst(days, dd))
    return ChartSeries(
        label, kind, group, list(days), ((growth_row - 1.0) * 100.0).tolist(), currency
    )


def chart_data(
    market: MarketData,
    target: Target,
    period: Period,
    *,
    vs: Target | None = None,
    style: str = "rebased",
    basis: str = "price",
    currency: str = "local",
) -> ChartData:
    """Load ``target`` (and ``vs``) over ``period`` and build the chart's lines."""
    symbols = [*target.symbols, *(vs.symbols if vs else ())]
    # Sampled, then each path read column-wise (member_paths closes=True): 20 years of 25
    # symbols were 130,000 Bar objects, most of the whole /chart.
    loaded = load_question(market, symbols, period, sampled=not period.counts_sessions)
    period = loaded[0]

    def paths(t: Target) -> MemberSet:
        return member_paths(market, t, period, basis, currency, loaded, closes=True)

    groups = [("target", target, paths(target))]
    if vs is not None:
        groups.append(("vs", vs, paths(vs)))
    return build_chart_data(
        groups, style=style, basis=basis, currency=currency, source=market.source_label
    )
