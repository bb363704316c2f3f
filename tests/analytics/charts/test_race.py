"""The weekly summary's picture (:mod:`analytics.charts.race`): the year-to-date race of the
baskets with the summary's week shaded, drawn from real prices (the shared CSVs)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from matplotlib import dates as mdates
from PIL import Image

from analytics.charts.race import summary_figure, summary_png
from analytics.errors import SourceError
from analytics.metrics.summary import compute_summary
from analytics.metrics.targets import PRESETS, Target
from analytics.services import Services

TITANS = Target("china-titans", PRESETS["china-titans"], "preset", "china-titans")
MAG7 = Target("mag7", PRESETS["mag7"], "preset", "mag7")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_the_week_is_shaded_and_the_title_names_the_baskets(services: Services) -> None:
    summary = compute_summary(services.market, [TITANS, MAG7], as_of=date(2025, 3, 7))
    fig = summary_figure(summary)
    assert fig is not None
    (shade,) = [p for p in fig.axes[0].patches if p.get_gid() == "week"]
    x0, x1 = float(shade.get_x()), float(shade.get_x() + shade.get_width())
    assert x0 == pytest.approx(float(mdates.date2num(datetime(2025, 2, 28))))
    assert x1 == pytest.approx(float(mdates.date2num(datetime(2025, 3, 7))))
    texts = {t.get_gid(): t.get_text() for t in fig.texts}
    assert texts["title"] == "Weekly summary: china-titans vs mag7"
    assert texts["subtitle"].startswith(
        "Year to date as of 2025-03-07, equal-weighted, rebased to 0%"
        " · shaded: the week from 2025-02-28"
    )
    assert texts["footnote"].startswith("Data: CSV") and "STALE" not in texts["footnote"]
    png = summary_png(summary)
    assert png is not None and png.startswith(PNG_SIGNATURE)
    assert Image.open(io.BytesIO(png)).size == (1600, 900)


def test_a_stale_summary_says_so_under_the_chart(services: Services) -> None:
    services.clock.now = datetime(2026, 3, 27, 12, tzinfo=UTC)  # just after the last close
    compute_summary(services.market, [MAG7])  # warm the cache
    services.clock.advance(hours=2)  # past the latest-bar TTL: the source is asked again
    services.market.source.failure = SourceError("Yahoo is down")
    fig = summary_figure(compute_summary(services.market, [MAG7]))
    assert fig is not None
    footnote = next(t.get_text() for t in fig.texts if t.get_gid() == "footnote")
    assert "STALE: the data source failed; cached prices used" in footnote


def test_four_baskets_are_all_drawn_and_a_long_title_is_cut(services: Services) -> None:
    big = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA")
    evs = Target("electric-vehicles-of-the-world-1", ("TSLA",), "server")  # 32: the longest
    four = [TITANS, MAG7, Target(",".join(big), big, "symbols"), evs]
    summary = compute_summary(services.market, four, as_of=date(2025, 3, 7))
    fig = summary_figure(summary)
    assert fig is not None
    title = next(t.get_text() for t in fig.texts if t.get_gid() == "title")
    full = "Weekly summary: china-titans vs mag7 vs " + ",".join(big) + " vs " + evs.label
    assert len(full) > 95 and title == full[:94] + "…"
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    for target in four:
        assert any(target.label in label for label in labels), labels


def test_no_chart_without_year_to_date_numbers(services: Services) -> None:
    summary = compute_summary(services.market, [TITANS, MAG7], as_of=date(2025, 3, 7))
    summary.chart = None
    assert summary_figure(summary) is None and summary_png(summary) is None
