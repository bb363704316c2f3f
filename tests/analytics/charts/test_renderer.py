"""Chart reuse: the same request over the same data gets the same PNG without drawing it
again; any change to an input bar (a new close, a split re-fetch) gives a new key."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from analytics.charts import jobs
from analytics.charts.figures import render_png
from analytics.charts.renderer import ChartRenderer, PngCache, job_key
from analytics.data.cache import MarketCache
from analytics.data.market import MarketData
from analytics.metrics.chartdata import ChartData, chart_data
from analytics.metrics.periods import Period
from analytics.metrics.targets import Target
from tests.source_doubles import Clock, MemorySource, daily

D = date.fromisoformat
MONDAY = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)
START, FRIDAY, SPLIT = D("2024-12-30"), D("2025-01-03"), D("2025-01-06")
AAA = daily(
    ("2024-12-30", 400.0), ("2024-12-31", 404.0), ("2025-01-02", 408.0), ("2025-01-03", 412.0)
)
BBB = daily(("2024-12-30", 50.0), ("2024-12-31", 49.0), ("2025-01-02", 51.0), ("2025-01-03", 52.0))
TARGET = Target("AAA,BBB", ("AAA", "BBB"), "symbols")


def market(tmp_path: Path, memory: MemorySource) -> MarketData:
    return MarketData(MarketCache(tmp_path / "cache.sqlite3"), memory, clock=Clock(MONDAY))


def chart(m: MarketData, end: date, style: str = "rebased") -> ChartData:
    return chart_data(m, TARGET, Period(start=START, end=end), style=style)


def key(data: ChartData, theme: str = "dark") -> str:
    return job_key(jobs.draw_chart, data, theme)


def test_the_same_request_reuses_the_png_and_it_is_the_png_a_fresh_draw_gives(
    tmp_path: Path,
) -> None:
    m = market(tmp_path, MemorySource({"AAA": list(AAA), "BBB": list(BBB)}))
    renderer = ChartRenderer()
    first = renderer.chart_png(chart(m, FRIDAY))
    again = renderer.chart_png(chart(m, FRIDAY))  # computed anew from the cache: equal data
    assert (renderer.cache.misses, renderer.cache.hits) == (1, 1)
    assert again == first == render_png(chart(m, FRIDAY), "dark")
    assert key(chart(m, FRIDAY)) == key(chart(m, FRIDAY))
    # Another theme or style is another picture.
    assert key(chart(m, FRIDAY), "light") != key(chart(m, FRIDAY))
    assert renderer.chart_png(chart(m, FRIDAY), "light") == render_png(chart(m, FRIDAY), "light")
    assert renderer.cache.misses == 2


def test_a_new_close_changes_the_key(tmp_path: Path) -> None:
    memory = MemorySource({"AAA": list(AAA), "BBB": list(BBB)})
    m = market(tmp_path, memory)
    before = chart(m, SPLIT)  # Monday's bar is not there yet: the chart ends on Friday
    memory.bars["BBB"] = [*BBB, *daily(("2025-01-06", 53.0))]
    m.clock.advance(minutes=16)  # today's bar is trusted for 15 minutes, then asked again
    after = chart(m, SPLIT)
    assert after.as_of == SPLIT and before.as_of == FRIDAY
    assert key(after) != key(before) and after.data_version != before.data_version


def test_a_split_refetch_changes_the_key_even_where_the_lines_come_out_the_same(
    tmp_path: Path,
) -> None:
    memory = MemorySource({"AAA": list(AAA), "BBB": list(BBB)})
    m = market(tmp_path, memory)
    renderer = ChartRenderer()
    before = chart(m, FRIDAY)
    png_before = renderer.chart_png(before)
    # AAA splits 4:1 on Monday: Yahoo now serves every earlier close divided by 4 and
    # reports the split; asking for Monday makes the market service re-fetch AAA whole.
    memory.bars["AAA"] = [
        *(type(b)(b.day, b.close / 4) for b in AAA),
        *daily(("2025-01-06", 104.0)),
    ]
    memory.bars["BBB"] = [*BBB, *daily(("2025-01-06", 53.0))]
    memory.actions["AAA"] = [SPLIT]
    chart(m, SPLIT)
    after = chart(m, FRIDAY)  # the same question as before, over the re-fetched closes
    aaa = next(s for s in after.series if s.label == "AAA")
    assert aaa.values == next(s for s in before.series if s.label == "AAA").values  # same line
    assert key(after) != key(before)  # but new inputs: not served from the old entry
    assert renderer.chart_png(after) == render_png(after, "dark")
    assert renderer.cache.misses == 2 and renderer.chart_png(before) == png_before


def test_the_png_cache_drops_least_recently_used_past_its_size() -> None:
    cache = PngCache(limit=10)
    cache.put("a", b"1234")
    cache.put("b", b"5678")
    assert cache.get("a") == b"1234"  # "a" is now the most recent
    cache.put("c", b"90ab")
    assert cache.get("b") is None and cache.get("a") == b"1234" and cache.get("c") == b"90ab"
    cache.put("huge", b"x" * 11)  # larger than the whole cache: not kept
    assert cache.get("huge") is None and len(cache) == 2
