"""The P/E-history chart: its points equal /valuation on:, its artists, its pixels.

Data: BEKE (recorded statements + one written quarter, written prices) against SPOT (the
same), served by the Yahoo double through the real yfinance path.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from analytics.charts.figures import HEIGHT_PX, THEMES, WIDTH_PX
from analytics.charts.pe import build_pe_figure, render_pe_png
from analytics.metrics.pe_history import PeChartData, pe_chart_data
from analytics.metrics.periods import Period
from analytics.services import Services
from commands.registry import run_text
from commands.spec import Context
from tests.analytics.metrics.recorded_setup import (
    daily_bars,
    fx_data,
    listing,
    recorded_services,
)
from tests.analytics.metrics.test_valuation_history import beke_bars, four_quarters
from tests.yahoo_double import DailyBar, YahooDouble
from tests.yahoo_recorded import recorded, recorded_rows, timeseries_items, with_timeseries

PERIOD = Period(start=date(2024, 5, 1), end=date(2024, 8, 30))


def spot_bars() -> list[DailyBar]:
    return daily_bars(date(2023, 6, 1), date(2024, 12, 31), 300.0, 0.5)


def spot_quarters() -> tuple[dict, ...]:
    rows = {n: recorded_rows("SPOT", n) for n in ("NetIncomeCommonStockholders", "DilutedEPS")}
    rows["NetIncomeCommonStockholders"]["2024-03-31"] = (500_000_000.0, "EUR")
    rows["DilutedEPS"]["2024-03-31"] = (2.5, "USD")
    return timeseries_items("SPOT", rows)


@pytest.fixture
def services(yahoo_double: YahooDouble, tmp_path: Path) -> Iterator[Services]:
    yahoo_double.serve(
        {
            "BEKE": listing(
                "BEKE", with_timeseries(recorded("BEKE"), four_quarters()), beke_bars()
            ),
            "SPOT": listing(
                "SPOT", with_timeseries(recorded("SPOT"), spot_quarters()), spot_bars()
            ),
        }
    )
    yahoo_double.serve(fx_data(date(2023, 5, 1), date(2025, 2, 28)))
    built = recorded_services(yahoo_double, tmp_path)
    yield built
    built.close()


@pytest.fixture
def data(services: Services) -> PeChartData:
    def t(text: str):
        return services.baskets.resolve_target(text, 0)

    return pe_chart_data(
        services.market,
        services.fundamentals,
        services.statements,
        t("BEKE"),
        PERIOD,
        vs=t("SPOT"),
    )


def test_points_equal_valuation_on_for_three_dates(services: Services, data: PeChartData) -> None:
    beke, spot = data.line("target"), data.line("vs")
    assert beke is not None and spot is not None
    # No point before 2024-05-15: the fourth quarter counts from then (three quarters before).
    assert beke.dates[0] == date(2024, 5, 15) and spot.dates[0] == date(2024, 5, 15)
    for day in (date(2024, 5, 15), date(2024, 6, 28), date(2024, 8, 30)):
        reply = run_text(f"/valuation target:BEKE vs:SPOT on:{day.isoformat()}", Context(services))
        assert reply.exit_code == 0, reply.description
        assert beke.values[beke.dates.index(day)] == reply.data["aggregate"]["trailing_pe"]
        assert spot.values[spot.dates.index(day)] == reply.data["vs"]["aggregate"]["trailing_pe"]


def test_one_point_per_trading_day_and_earnings_basis(data: PeChartData) -> None:
    beke = data.line("target")
    assert beke is not None
    written = [b.day for b in beke_bars() if date(2024, 5, 15) <= b.day <= PERIOD.end]
    assert beke.dates == written
    assert set(beke.bases) == {"ttm-quarters"}
    # BEKE's multiple is far lower than SPOT's: a discount, said in the legend.
    assert data.premium_pct is not None and data.premium_pct < -50


def test_structure_lines_legend_and_titles(data: PeChartData) -> None:
    fig = build_pe_figure(data, "dark")
    ax = fig.axes[0]
    lines = {ln.get_gid(): ln for ln in ax.get_lines() if ln.get_gid()}
    assert set(lines) == {"target:pe:BEKE", "vs:pe:SPOT"}
    for line in data.lines:
        drawn = lines[f"{line.group}:pe:{line.label}"]
        assert np.asarray(drawn.get_ydata()).tolist() == pytest.approx(line.values)
        assert drawn.get_drawstyle() == "steps-post"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == f"BEKE {data.line('target').final:.1f}x"  # type: ignore[union-attr]
    assert legend[-1] == data.premium_text and "discount to SPOT" in legend[-1]
    texts = {t.get_gid(): t.get_text() for t in fig.texts}
    assert texts["title"] == "BEKE vs SPOT: trailing P/E"
    assert "2024-05-01 → 2024-08-30" in texts["subtitle"]
    assert ax.get_ylim()[0] == 0.0
    assert ax.yaxis.get_major_formatter()(25.0) == "25x"


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_png_pixels(data: PeChartData, theme: str) -> None:
    png = render_pe_png(data, theme)
    assert png.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (WIDTH_PX, HEIGHT_PX)
        assert "Software" not in image.info
        pixels = np.asarray(image.convert("RGB"))

    def rgb(colour: str) -> tuple[int, ...]:
        return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))

    background = rgb(THEMES[theme].background)
    for corner in (pixels[0, 0], pixels[-1, -1], pixels[0, -1], pixels[-1, 0]):
        assert tuple(corner) == background
    for colour in (THEMES[theme].target_headline, THEMES[theme].vs_headline):
        assert np.all(pixels == np.array(rgb(colour), dtype=pixels.dtype), axis=2).sum() > 500


def test_chart_command_style_pe(services: Services) -> None:
    text = "/chart target:BEKE vs:SPOT style:pe start:2024-05-01 end:2024-08-30"
    reply = run_text(text, Context(services))
    assert reply.exit_code == 0, reply.description
    assert reply.data["style"] == "pe" and reply.image and reply.image.startswith(b"\x89PNG")
    assert "discount to SPOT" in reply.caption
    console = run_text(text, Context(services, want_image=False))
    assert console.image is None and console.data == reply.data


def test_chart_pe_before_any_statement_is_exit_3(services: Services) -> None:
    reply = run_text(
        "/chart target:BEKE style:pe start:2023-06-01 end:2023-07-31", Context(services)
    )
    assert reply.exit_code == 3 and "no statement reported by" in reply.description
