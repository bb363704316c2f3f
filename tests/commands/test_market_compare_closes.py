"""/compare over long periods reads its paths as /chart does (sampled, then closes as arrays;
endpoints only without a chart): the reply, its JSON and its PNG are those of the
every-bar read it replaced, on the real shared CSVs."""

from __future__ import annotations

import pytest

from analytics.charts.figures import render_png
from analytics.data.cache import MarketCache
from analytics.metrics.chartdata import build_chart_data
from analytics.metrics.loading import load_question
from analytics.metrics.returns import member_paths, returns_of
from analytics.services import Services
from commands.options import period_from
from commands.registry import run_text
from commands.spec import Context

QUESTIONS = [
    "/compare left:china-titans right:mag7 period:max end:2025-05-22",
    "/compare left:mag7 right:QQQ,SPY period:5y basis:total",
    "/compare left:AAPL,0700.HK right:SPY period:3y end:2024-06-28 currency:usd",
    "/compare left:china-titans right:mag7 period:5d end:2025-05-22",
]


def every_bar_answer(services: Services, text: str) -> tuple[dict, dict, bytes]:
    """Both sides' returns JSON and the chart's JSON and PNG, from every bar as before."""
    options = dict(part.split(":", 1) for part in text.split()[1:])
    ctx = Context(services, want_image=True)
    period = period_from(ctx, options)
    market, baskets = services.market, services.baskets
    left, right = (baskets.resolve_target(options[k], 0) for k in ("left", "right"))
    basis, currency = options.get("basis", "price"), options.get("currency", "local")
    loaded = load_question(market, [*left.symbols, *right.symbols], period)
    period = loaded[0]
    sides = [
        (name, t, member_paths(market, t, period, basis, currency, loaded))
        for name, t in (("target", left), ("vs", right))
    ]
    returns = [
        returns_of(m, t, period, basis, currency, market.source_label).to_json()
        for _, t, m in sides
    ]
    chart = build_chart_data(sides, basis=basis, currency=currency, source=market.source_label)
    return returns[0], returns[1], render_png(chart, "dark")


@pytest.mark.parametrize("text", QUESTIONS)
def test_compare_same_answer_and_png_both_ways(services: Services, text: str) -> None:
    drawn = run_text(text, Context(services, want_image=True))
    assert drawn.exit_code == 0, drawn.description
    left, right, png = every_bar_answer(services, text)
    assert (drawn.data["left"], drawn.data["right"]) == (left, right)
    assert drawn.image == png
    # Without a chart (the console without --chart-out) the endpoints suffice: same text.
    plain = run_text(text, Context(services, want_image=False))
    assert plain.data == drawn.data
    assert (plain.title, plain.description, plain.fields, plain.footer) == (
        drawn.title, drawn.description, drawn.fields, drawn.footer,
    )  # fmt: skip
    assert plain.image is None and drawn.caption


def test_a_long_compare_reads_no_bars(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    text = QUESTIONS[0]
    run_text(text, Context(services, want_image=False))  # the cache is filled

    def no_bars(*_args: object) -> None:
        raise AssertionError("/compare read every bar")

    monkeypatch.setattr(MarketCache, "bars", no_bars)
    reply = run_text(text, Context(services, want_image=True))
    assert reply.exit_code == 0 and reply.image
    assert len(reply.data["left"]["members"]) == 7
