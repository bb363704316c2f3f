"""The fundamentals store: yfinance ``.info`` through the local Yahoo double, and
fundamentals.json from a CSV folder, cached in SQLite with a TTL and a stale fallback."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from analytics.data.cache import MarketCache
from analytics.data.fundamentals import DEFAULT_TTL, FundamentalsStore
from analytics.data.sources.csvdir import CsvFolderSource
from analytics.data.sources.yahoo import YahooSource
from analytics.services import Services
from tests.source_doubles import Clock
from tests.yahoo_double import DailyBar, YahooDouble, symbol_data

START = datetime(2025, 3, 10, 12, tzinfo=UTC)
BABA_INFO = {
    "currency": "USD",
    "financialCurrency": "CNY",
    "sharesOutstanding": 2.3e9,
    "trailingEps": 60.0,
    "forwardEps": 70.0,
    "longName": "Alibaba Group Holding Limited",
    "mostRecentQuarter": 1735603200,  # 2024-12-31 00:00 UTC
}
BARS = [
    DailyBar(date(2025, 3, 6), 130.0, 131.0, 129.0, 130.0, 130.0, 1e6),
    DailyBar(date(2025, 3, 7), 131.0, 133.0, 130.0, 132.0, 132.0, 1e6),
]


def info_requests(double: YahooDouble, symbol: str) -> list[int]:
    """Statuses of the quoteSummary requests the double received for ``symbol``."""
    return [
        r.status
        for r in double.requests()
        if "/v10/finance/quoteSummary/" in r.path and r.symbol == symbol
    ]


@pytest.fixture
def cache(tmp_path: Path):
    c = MarketCache(tmp_path / "c.sqlite3")
    yield c
    c.close()


def test_yahoo_info_is_fetched_once_then_cached_for_a_day(
    yahoo_double: YahooDouble, cache: MarketCache
) -> None:
    yahoo_double.serve({"BABA": symbol_data("BABA", BARS, info=BABA_INFO)})
    clock = Clock(START)
    store = FundamentalsStore(cache, YahooSource(base_url=yahoo_double.base_url), clock=clock)
    first = store.get("BABA")
    assert not first.stale and first.fetched_at == START
    assert first.text("financialCurrency") == "CNY" and first.number("trailingEps") == 60.0
    assert first.reported_as_of == date(2024, 12, 31)
    assert info_requests(yahoo_double, "BABA") == [200]
    # Within the TTL: answered from SQLite, Yahoo is not asked again.
    clock.now = START + DEFAULT_TTL - timedelta(minutes=1)
    again = store.get("BABA")
    assert again.info == first.info and not again.stale
    assert info_requests(yahoo_double, "BABA") == [200]
    # A second store on the same file (a restart) also reads the cache.
    other = FundamentalsStore(cache, YahooSource(base_url=yahoo_double.base_url), clock=clock)
    assert other.get("BABA").number("sharesOutstanding") == 2.3e9
    assert info_requests(yahoo_double, "BABA") == [200]
    # After the TTL: fetched again.
    clock.now = START + DEFAULT_TTL + timedelta(minutes=1)
    assert store.get("BABA").fetched_at == clock.now
    assert info_requests(yahoo_double, "BABA") == [200, 200]


def test_rate_limit_serves_the_stale_cache_and_says_so(
    yahoo_double: YahooDouble, cache: MarketCache
) -> None:
    yahoo_double.serve({"BABA": symbol_data("BABA", BARS, info=BABA_INFO)})
    clock = Clock(START)
    store = FundamentalsStore(cache, YahooSource(base_url=yahoo_double.base_url), clock=clock)
    fresh = store.get("BABA")
    clock.now = START + timedelta(days=2)
    yahoo_double.rate_limit()
    stale = store.get("BABA")
    assert stale.stale and stale.stale_reason == "rate limited by the data source"
    assert stale.info == fresh.info and stale.fetched_at == START
    statuses = info_requests(yahoo_double, "BABA")
    assert statuses[0] == 200 and statuses[1:] and set(statuses[1:]) == {429}
    # Nothing cached and rate limited: no fundamentals, with the reason, nothing invented.
    yahoo_double.serve({"JD": symbol_data("JD", BARS, info={"currency": "USD"})})
    missing = store.get("JD")
    assert missing.info is None and not missing.stale
    assert missing.error == "no fundamentals could be had (rate limited by the data source)"


def test_rate_limit_stops_asking_for_the_rest_of_the_batch(
    yahoo_double: YahooDouble, cache: MarketCache
) -> None:
    served = {
        s: symbol_data(s, BARS, info={"currency": "USD", "trailingEps": 1.0})
        for s in ("AAA", "BBB", "CCC")
    }
    yahoo_double.serve(served)
    yahoo_double.rate_limit()
    store = FundamentalsStore(
        cache, YahooSource(base_url=yahoo_double.base_url), clock=Clock(START)
    )
    got = store.get_many(["AAA", "BBB", "CCC"])
    assert all(f.info is None and "rate limited" in (f.error or "") for f in got.values())
    assert info_requests(yahoo_double, "BBB") == [] and info_requests(yahoo_double, "CCC") == []


def test_unknown_symbol_is_cached_as_none(yahoo_double: YahooDouble, cache: MarketCache) -> None:
    clock = Clock(START)
    store = FundamentalsStore(cache, YahooSource(base_url=yahoo_double.base_url), clock=clock)
    nope = store.get("NOPE")
    assert nope.info is None and nope.error is None and nope.fetched_at == START
    asked = len(info_requests(yahoo_double, "NOPE"))
    assert asked >= 1
    assert store.get("NOPE").info is None
    assert len(info_requests(yahoo_double, "NOPE")) == asked


def write_json(folder: Path, data: object) -> None:
    (folder / "fundamentals.json").write_text(json.dumps(data), encoding="utf-8")


def test_csv_folder_is_read_on_every_question(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "AAA.csv").write_text("Date,Close\n2025-03-07,10\n", encoding="utf-8")
    write_json(folder, {"AAA": {"currency": "USD", "trailingEps": 1.0, "asOf": "2024-12-31"}})
    clock = Clock(START)
    services = Services.open(
        tmp_path / "c.sqlite3", tmp_path / "marketbot.sqlite3", CsvFolderSource(folder), clock=clock
    )
    try:
        store = services.fundamentals
        assert store.ttl == timedelta(0)
        first = store.get("AAA")
        assert first.number("trailingEps") == 1.0 and first.as_of == date(2024, 12, 31)
        write_json(folder, {"AAA": {"currency": "USD", "trailingEps": 2.0, "extra": "x" * 10}})
        clock.now += timedelta(seconds=1)
        edited = store.get("AAA")
        assert edited.number("trailingEps") == 2.0 and edited.as_of == clock.now.date()
        # A broken file: the last good answer is served, marked stale, with the reason.
        (folder / "fundamentals.json").write_text("{not json", encoding="utf-8")
        broken = store.get("AAA")
        assert broken.stale and broken.number("trailingEps") == 2.0
        assert "not valid JSON" in (broken.stale_reason or "")
        assert store.get("ZZZ").error is not None  # never cached, file broken
    finally:
        services.close()


def test_ttl_applies_to_any_source(tmp_path: Path, cache: MarketCache) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    write_json(folder, {"AAA": {"trailingEps": 1.0}})
    clock = Clock(START)
    store = FundamentalsStore(cache, CsvFolderSource(folder), clock=clock)
    assert store.get("AAA").number("trailingEps") == 1.0
    write_json(folder, {"AAA": {"trailingEps": 3.0}})
    clock.now = START + timedelta(hours=23)
    assert store.get("AAA").number("trailingEps") == 1.0  # cached
    clock.now = START + timedelta(hours=25)
    assert store.get("AAA").number("trailingEps") == 3.0


def test_non_numbers_are_not_numbers(cache: MarketCache, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    write_json(folder, {"AAA": {"trailingEps": "Infinity", "forwardEps": None, "bookValue": True}})
    f = FundamentalsStore(cache, CsvFolderSource(folder), clock=Clock(START)).get("AAA")
    assert f.number("trailingEps") is None and f.number("forwardEps") is None
    assert f.number("bookValue") is None and f.number("missing") is None
