"""The weekly summary's numbers on the shared real CSVs, checked against the files directly.

Expected values come from ``tests/real_data.py`` (a separate, tiny CSV reader): the week is
the close on or before the as-of date over the close on or before seven days earlier,
year to date over the close on or before 31 December, equal-weighted as the mean.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from analytics.data.sources.csvdir import CsvFolderSource
from analytics.errors import NoDataError, SourceError
from analytics.metrics.summary import compute_summary
from analytics.metrics.targets import PRESETS, Target
from analytics.metrics.valuation import compute_valuation
from analytics.services import Services
from commands.summary import summary_reply
from tests.analytics.metrics.test_valuation import FUNDAMENTALS, write_prices
from tests.real_data import close_on_or_before

AS_OF = "2025-03-07"
WEEK_BASE = "2025-02-28"
YEAR_BASE = "2024-12-31"
TITANS = Target("china-titans", PRESETS["china-titans"], "preset", "china-titans")
MAG7 = Target("mag7", PRESETS["mag7"], "preset", "mag7")


def growth(symbol: str, base: str, end: str = AS_OF) -> float:
    return (close_on_or_before(symbol, end)[1] / close_on_or_before(symbol, base)[1] - 1) * 100


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def test_week_ytd_movers_and_spread_match_the_files(services: Services) -> None:
    summary = compute_summary(services.market, [TITANS, MAG7], as_of=date(2025, 3, 7))
    assert summary.as_of == date(2025, 3, 7) and summary.week_start == date(2025, 2, 28)
    for basket, target in zip(summary.baskets, (TITANS, MAG7), strict=True):
        weeks = {s: growth(s, WEEK_BASE) for s in target.symbols}
        ytds = {s: growth(s, YEAR_BASE) for s in target.symbols}
        assert basket.week_pct == pytest.approx(mean(list(weeks.values())), rel=1e-12)
        assert basket.ytd_pct == pytest.approx(mean(list(ytds.values())), rel=1e-12)
        assert basket.best is not None and basket.worst is not None
        assert basket.best.symbol == max(weeks, key=weeks.__getitem__)
        assert basket.worst.symbol == min(weeks, key=weeks.__getitem__)
        assert basket.best.return_pct == pytest.approx(max(weeks.values()), rel=1e-12)
        # No fundamentals in the shared folder: the summary says so instead of failing.
        assert basket.forward_pe is None and "valuation n/a" in basket.valuation_note
    titans, mag7 = summary.baskets
    assert round(titans.ytd_pct, 1) == 42.8 and round(mag7.ytd_pct, 1) == -10.3  # README
    assert summary.week_spread == pytest.approx(titans.week_pct - mag7.week_pct)
    assert summary.ytd_spread == pytest.approx(titans.ytd_pct - mag7.ytd_pct)
    assert not summary.stale  # a date asked for is not stale for being old

    reply = summary_reply(summary)
    assert f"As of the close of **{AS_OF}**" in reply.description
    assert f"{titans.week_pct:+.2f}%" in reply.description
    assert f"{titans.ytd_pct:+.2f}%" in reply.description
    assert f"YTD {summary.ytd_spread:+.2f} pts" in reply.description
    best = next(f.value for f in reply.fields if f.name.startswith("China tech titans"))
    assert f"Best {titans.best.symbol} {titans.best.return_pct:+.2f}%" in best
    assert "valuation n/a" in best
    assert json.loads(json.dumps(reply.data))["baskets"][0]["basket"] == "china-titans"


def test_race_chart_has_one_line_per_basket_ending_at_its_ytd(services: Services) -> None:
    summary = compute_summary(services.market, [TITANS, MAG7], as_of=date(2025, 3, 7))
    chart = summary.chart
    assert chart is not None
    assert [(s.label, s.kind, s.group) for s in chart.series] == [
        ("china-titans", "basket", "target"),
        ("mag7", "basket", "vs"),
    ]
    for line, target in zip(chart.series, (TITANS, MAG7), strict=True):
        expected = mean([growth(s, YEAR_BASE) for s in target.symbols])
        assert line.final == pytest.approx(expected, rel=1e-9)
        assert line.dates[0] == date(2024, 12, 31) and line.dates[-1] == date(2025, 3, 7)


def test_live_summary_uses_the_latest_close_and_says_stale(services: Services) -> None:
    """Today is 2026-11-24 in the fixture; the US files end in March 2026, Hong Kong's in
    May 2025: the titans have no 2026 week, which is said, and the summary is stale."""
    summary = compute_summary(services.market, [TITANS, MAG7])
    assert summary.as_of == date(2026, 3, 26)
    titans, mag7 = summary.baskets
    assert titans.week is None and titans.problem and "no prices" in titans.problem
    expected = mean([growth(s, "2026-03-19", "2026-03-26") for s in MAG7.symbols])
    assert mag7.week_pct == pytest.approx(expected, rel=1e-12)
    assert summary.stale and summary.stale_reasons == ["no new closes since 2026-03-26"]
    assert summary_reply(summary).stale


def test_a_failing_source_makes_the_summary_stale(services: Services) -> None:
    services.clock.now = datetime(2026, 3, 27, 12, tzinfo=UTC)  # just after the last close
    compute_summary(services.market, [MAG7])  # warm the cache
    services.clock.advance(hours=2)  # past the latest-bar TTL: the source is asked again
    services.market.source.failure = SourceError("Yahoo is down")
    summary = compute_summary(services.market, [MAG7])
    assert summary.as_of == date(2026, 3, 26)
    assert summary.stale_reasons == ["the data source failed; cached prices used"]


def test_no_data_at_all_is_an_error_but_one_empty_basket_is_not(services: Services) -> None:
    with pytest.raises(NoDataError):
        compute_summary(services.market, [TITANS], as_of=date(2026, 3, 26))
    four = [TITANS, MAG7, Target("AAPL", ("AAPL",), "symbols"), Target("ev", ("TSLA",), "server")]
    summary = compute_summary(services.market, four, as_of=date(2025, 3, 7))
    assert [s.label for s in summary.chart.series] == ["china-titans", "mag7", "AAPL", "ev"]
    assert [s.group for s in summary.chart.series] == ["target", "vs", "target", "vs"]
    assert summary.baskets[2].week_pct == pytest.approx(growth("AAPL", WEEK_BASE), rel=1e-12)


def test_forward_pe_comes_from_the_valuation_module(tmp_path: Path) -> None:
    """A folder with fundamentals: AAA forward P/E 16 (cap 100e9), CCC 50 (cap 50e9)."""
    folder = tmp_path / "data"
    folder.mkdir()
    write_prices(
        folder,
        {
            "AAA": {"2024-12-31": 80.0, "2025-02-28": 90.0, "2025-03-07": 100.0},
            "CCC": {"2024-12-31": 40.0, "2025-02-28": 55.0, "2025-03-07": 50.0},
            "DDD": {"2024-12-31": 10.0, "2025-02-28": 12.0, "2025-03-07": 11.0},
        },
    )
    (folder / "fundamentals.json").write_text(
        json.dumps({k: FUNDAMENTALS[k] for k in ("AAA", "CCC")}), encoding="utf-8"
    )
    clock = lambda: datetime(2025, 3, 10, 12, tzinfo=UTC)  # noqa: E731
    services = Services.open(
        tmp_path / "c.sqlite3", tmp_path / "marketbot.sqlite3", CsvFolderSource(folder), clock=clock
    )
    try:
        pair = Target("AAA,CCC", ("AAA", "CCC"), "symbols")
        alone = Target("DDD", ("DDD",), "symbols")
        store = services.fundamentals
        summary = compute_summary(services.market, [pair, alone], fundamentals=store)
        assert summary.as_of == date(2025, 3, 7) and not summary.stale
        by_hand = (100e9 + 50e9) / (100e9 / 16 + 50e9 / 50)
        assert summary.baskets[0].forward_pe == pytest.approx(by_hand, rel=1e-9)
        expected = compute_valuation(services.market, store, pair).aggregate.forward_pe
        assert summary.baskets[0].forward_pe == pytest.approx(expected, rel=1e-12)
        assert summary.baskets[0].valuation_note == "forward P/E over 2 of 2 members"
        assert summary.baskets[1].forward_pe is None
        assert summary.baskets[1].valuation_note == "valuation n/a (no fundamentals)"
        assert summary.baskets[0].week_pct == pytest.approx((100 / 90 + 50 / 55 - 2) / 2 * 100)
        assert "20.7" in summary_reply(summary).description
    finally:
        services.close()
