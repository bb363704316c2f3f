"""Chart rendering: the Figure's artists, the PNG's pixels, references, threads.

Structure tests inspect matplotlib objects (which line carries which series, labels,
titles); pixel tests decode the PNG with Pillow; reference tests compare renders with
stored images (``make references`` regenerates them, see make_references.py).
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from matplotlib import dates as mdates
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from PIL import Image

from analytics.charts.figures import (
    COOL_ON_DARK,
    HEIGHT_PX,
    THEMES,
    WARM_ON_DARK,
    WIDTH_PX,
    build_figure,
    render_png,
    spread_positions,
)
from analytics.metrics.chartdata import ChartData, chart_data
from analytics.metrics.periods import Period
from analytics.services import Services
from tests.analytics.charts.make_references import (
    CASES,
    MAX_MEAN_DIFF,
    REFERENCE_DIR,
    csv_services,
    mean_difference,
    render_case,
    synthetic_stale,
    to_array,
)

D = date.fromisoformat
YTD_2025 = Period(start=D("2024-12-31"), end=D("2025-03-07"))


@pytest.fixture(scope="module")
def services() -> Iterator[Services]:
    with csv_services() as s:
        yield s


def target(services: Services, text: str):
    return services.baskets.resolve_target(text, 0)


@pytest.fixture(scope="module")
def titans(services: Services) -> ChartData:
    return chart_data(
        services.market, target(services, "china-titans"), YTD_2025, vs=target(services, "mag7")
    )


@pytest.fixture(scope="module")
def figure(titans: ChartData) -> Figure:
    return build_figure(titans, "dark")


def lines_by_gid(fig: Figure) -> dict[str, Line2D]:
    ax = fig.axes[0]
    return {ln.get_gid(): ln for ln in ax.get_lines() if ln.get_gid()}


def texts_by_gid(fig: Figure) -> dict[str, Text]:
    found = [*fig.texts, *fig.axes[0].texts]
    return {t.get_gid(): t for t in found if t.get_gid()}


def rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


# -- structure ---------------------------------------------------------------------------
def test_every_series_is_a_line_with_its_dates_and_values(
    figure: Figure, titans: ChartData
) -> None:
    lines = lines_by_gid(figure)
    assert len(lines) == 16  # 7 + 7 members and two baskets
    for s in titans.series:
        line = lines[f"{s.group}:{s.kind}:{s.label}"]
        xs = [d.date() for d in mdates.num2date(line.get_xdata())]
        assert xs == s.dates
        assert np.asarray(line.get_ydata()).tolist() == pytest.approx(s.values)
    assert lines["target:basket:china-titans"].get_ydata()[-1] == pytest.approx(42.83, abs=0.005)
    assert lines["vs:basket:mag7"].get_ydata()[-1] == pytest.approx(-10.35, abs=0.005)


def test_baskets_are_thick_on_top_in_contrasting_families(figure: Figure) -> None:
    lines = lines_by_gid(figure)
    baskets = [ln for gid, ln in lines.items() if ":basket:" in gid]
    members = [ln for gid, ln in lines.items() if ":member:" in gid]
    assert min(b.get_linewidth() for b in baskets) > 2 * max(m.get_linewidth() for m in members)
    assert min(b.get_zorder() for b in baskets) > max(m.get_zorder() for m in members)
    for gid, ln in lines.items():
        if ":member:" in gid:
            family = WARM_ON_DARK if gid.startswith("target:") else COOL_ON_DARK
            assert ln.get_color() in family
    assert lines["target:basket:china-titans"].get_color() == THEMES["dark"].target_headline
    assert lines["vs:basket:mag7"].get_color() == THEMES["dark"].vs_headline


def test_warm_and_cool_families_really_differ() -> None:
    # Warm: red channel above blue; cool: blue channel above red, in both themes.
    for theme in THEMES.values():
        for colour in (*theme.target_members, theme.target_headline):
            r, _, b = rgb(colour)
            assert r > b, colour
        for colour in (*theme.vs_members, theme.vs_headline):
            r, _, b = rgb(colour)
            assert b > r, colour


def test_titles_say_what_is_compared_with_range_basis_currency_and_source(
    figure: Figure,
) -> None:
    texts = texts_by_gid(figure)
    title = texts["title"].get_text()
    assert "China tech titans (china-titans)" in title and "Magnificent Seven (mag7)" in title
    subtitle = texts["subtitle"].get_text()
    assert "2024-12-31 → 2025-03-07" in subtitle
    assert "price return (Close)" in subtitle and "local currencies (HKD, USD)" in subtitle
    footnote = texts["footnote"].get_text()
    assert "Data: CSV folder" in footnote and "as of 2025-03-07" in footnote
    assert "STALE" not in footnote and "stale" not in texts


def test_final_values_are_labelled_at_the_right_edge_without_overlap(figure: Figure) -> None:
    texts = texts_by_gid(figure)
    assert texts["label:target:basket:china-titans"].get_text() == "china-titans +42.83%"
    assert texts["label:vs:basket:mag7"].get_text() == "mag7 -10.35%"
    assert texts["label:vs:member:TSLA"].get_text() == "TSLA -35.0%"
    labels = [t for gid, t in texts.items() if gid.startswith("label:")]
    assert len(labels) == 16
    renderer = figure.canvas.get_renderer()
    figure.draw(renderer)
    axes_box = figure.axes[0].get_window_extent(renderer)
    boxes = [t.get_window_extent(renderer) for t in labels]
    for box in boxes:
        # outside the plotting area (no legend over the lines) and inside the image
        assert box.x0 > axes_box.x1 and box.x1 <= WIDTH_PX
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    # no legend anywhere
    assert figure.axes[0].get_legend() is None


def test_axes_are_percent_for_returns_and_currency_for_price(
    figure: Figure, services: Services
) -> None:
    ax = figure.axes[0]
    ticks = [ax.yaxis.get_major_formatter()(v, None) for v in ax.get_yticks()]
    assert all(t.endswith("%") for t in ticks) and "+20%" in ticks and "0%" in ticks
    price = chart_data(services.market, target(services, "0700.HK"), YTD_2025, style="price")
    fig = build_figure(price, "dark")
    pax = fig.axes[0]
    assert pax.get_ylabel() == "HKD"
    assert not any(pax.yaxis.get_major_formatter()(v, None).endswith("%") for v in pax.get_yticks())
    assert texts_by_gid(fig)["label:target:member:0700.HK"].get_text() == "0700.HK 528.88 HKD"


def test_drawdown_marks_the_worst_point_of_each_basket(services: Services) -> None:
    data = chart_data(
        services.market,
        target(services, "china-titans"),
        YTD_2025,
        vs=target(services, "mag7"),
        style="drawdown",
    )
    fig = build_figure(data, "light")
    lines = lines_by_gid(fig)
    texts = texts_by_gid(fig)
    for group in ("target", "vs"):
        basket = data.headline(group)
        ys = np.asarray(basket.values)
        marker = lines[f"worst-marker:{group}"]
        assert marker.get_ydata()[0] == pytest.approx(ys.min())
        worst_day = mdates.num2date(marker.get_xdata()[0]).date()
        assert worst_day == basket.dates[int(ys.argmin())]
        assert worst_day.isoformat() in texts[f"worst:{group}"].get_text()
    assert fig.axes[0].get_ylabel() == "Below running peak (%)"


def test_stale_data_is_said_on_the_image() -> None:
    fig = build_figure(synthetic_stale(), "dark")
    texts = texts_by_gid(fig)
    assert texts["stale"].get_text() == "STALE DATA"
    assert "STALE" in texts["footnote"].get_text()


def test_spread_positions_keeps_order_and_spacing() -> None:
    placed = spread_positions([5.0, 5.1, 5.2, 0.0], [1.0, 1.0, 1.0, 1.0], 0.0, 10.0)
    assert placed is not None
    upper = sorted(placed[:3])
    assert upper[1] - upper[0] >= 1.0 - 1e-9 and upper[2] - upper[1] >= 1.0 - 1e-9
    assert placed[3] == pytest.approx(0.5)  # pushed inside the bottom edge
    assert spread_positions([1.0] * 20, [1.0] * 20, 0.0, 10.0) is None


# -- pixels ------------------------------------------------------------------------------
@pytest.mark.parametrize("theme", ["dark", "light"])
def test_png_decodes_at_1600x900_with_the_theme_background(titans: ChartData, theme: str) -> None:
    png = render_png(titans, theme)
    assert png.startswith(b"\x89PNG") and len(png) < 1_000_000
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (WIDTH_PX, HEIGHT_PX) == (1600, 900)
        pixels = np.asarray(image.convert("RGB"))
    background = rgb(THEMES[theme].background)
    for corner in (pixels[0, 0], pixels[-1, -1], pixels[0, -1], pixels[-1, 0]):
        assert tuple(corner) == background
    # not blank: plenty of pixels differ from the background, in many colours
    differs = np.any(pixels != np.array(background, dtype=pixels.dtype), axis=2)
    assert differs.mean() > 0.03
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 200
    # the basket colours are really drawn
    for colour in (THEMES[theme].target_headline, THEMES[theme].vs_headline):
        assert np.all(pixels == np.array(rgb(colour), dtype=pixels.dtype), axis=2).sum() > 500


def test_png_has_no_software_or_time_metadata(titans: ChartData) -> None:
    png = render_png(titans)
    with Image.open(io.BytesIO(png)) as image:
        assert "Software" not in image.info
        assert not any("time" in key.lower() for key in image.info)


# -- references --------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_reference_image(services: Services, name: str) -> None:
    path = REFERENCE_DIR / f"{name}.png"
    assert path.stat().st_size < 300_000
    diff = mean_difference(to_array(render_case(services, name)), to_array(path.read_bytes()))
    assert diff < MAX_MEAN_DIFF, f"{name} differs from its reference by {diff:.2f}"


def test_reference_comparison_tells_charts_apart(services: Services) -> None:
    # One day less of data is a different chart and must fail the comparison.
    shorter = chart_data(
        services.market,
        target(services, "china-titans"),
        Period(start=D("2024-12-31"), end=D("2025-03-06")),
        vs=target(services, "mag7"),
    )
    reference = (REFERENCE_DIR / "rebased-titans-vs-mag7-dark.png").read_bytes()
    assert mean_difference(to_array(render_png(shorter)), to_array(reference)) > MAX_MEAN_DIFF


# -- threads -----------------------------------------------------------------------------
def test_eight_concurrent_renders_equal_serial_renders(
    services: Services, titans: ChartData
) -> None:
    drawdown = chart_data(
        services.market,
        target(services, "china-titans"),
        YTD_2025,
        vs=target(services, "mag7"),
        style="drawdown",
    )
    price = chart_data(services.market, target(services, "0700.HK"), YTD_2025, style="price")
    jobs = [
        (data, theme)
        for data in (titans, drawdown, price, synthetic_stale())
        for theme in ("dark", "light")
    ]
    assert len(jobs) == 8
    serial = [render_png(d, t) for d, t in jobs]
    assert serial[0] == render_png(*jobs[0])  # deterministic run to run
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(lambda job: render_png(*job), jobs))
    assert concurrent == serial
    assert len(set(serial)) == 8


def test_rendering_never_imports_pyplot() -> None:
    script = (
        "import sys\n"
        "from tests.analytics.charts.make_references import csv_services, render_case, CASES\n"
        "import commands.registry\n"
        "with csv_services() as s:\n"
        "    for name in CASES: render_case(s, name)\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
    )
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
