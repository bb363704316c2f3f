"""The listing store in the market cache: names, search answers for a week, display names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analytics.data.cache import MarketCache
from analytics.data.listings import (
    ListingStore,
    company_key,
    display_name,
    exchange_name,
    short_name,
)
from analytics.data.sources.base import Listing

NOW = datetime(2025, 3, 7, 12, tzinfo=UTC)
TENCENT = Listing("0700.HK", "Tencent Holdings Limited", "TENCENT", "HKG", "Hong Kong", "EQUITY")


@pytest.fixture
def store(tmp_path: Path) -> ListingStore:
    return ListingStore(MarketCache(tmp_path / "c.sqlite3"))


def test_remember_keeps_known_values(store: ListingStore) -> None:
    store.remember([TENCENT], NOW)
    store.remember([Listing("0700.HK", None, "TENCENT HLDGS", None, None, None)], NOW)
    got = store.get("0700.HK")
    assert got is not None
    assert (got.long_name, got.short_name, got.exchange_name) == (
        "Tencent Holdings Limited",
        "TENCENT HLDGS",
        "Hong Kong",
    )


def test_a_name_that_is_the_symbol_is_no_name(store: ListingStore) -> None:
    store.remember([Listing("0700.HK", "0700.HK", "0700.HK", "HKG")], NOW)
    got = store.get("0700.HK")
    assert got is not None and got.long_name is None and got.short_name is None


def test_matching_by_ticker_and_name_words(store: ListingStore) -> None:
    store.remember(
        [TENCENT, Listing("TME", "Tencent Music Entertainment Group"), Listing("AAPL", "Apple")],
        NOW,
    )
    assert [x.symbol for x, _ in store.matching("tenc")] == ["0700.HK", "TME"]
    assert [x.symbol for x, _ in store.matching("tencent mu")] == ["TME"]
    assert [x.symbol for x, _ in store.matching("07")] == ["0700.HK"]
    assert store.matching("100%") == [] and store.matching("") == []


def test_search_answers_last_a_week(store: ListingStore) -> None:
    store.save_search("Tencent  Holdings", [TENCENT], NOW)
    assert store.cached_search("tencent holdings", NOW + timedelta(days=6, hours=23)) == [TENCENT]
    assert store.cached_search("tencent holdings", NOW + timedelta(days=7)) is None
    store.save_search("nothing", [], NOW)
    assert store.cached_search("nothing", NOW) == []  # "nothing matches" is an answer
    assert store.get("0700.HK") == Listing(
        "0700.HK", "Tencent Holdings Limited", "TENCENT", "HKG", "Hong Kong", "EQUITY"
    )


@pytest.mark.parametrize(
    ("name", "shown", "key"),
    [
        ("Tencent Holdings Limited", "Tencent Holdings", "tencent"),
        ("Alibaba Group Holding Limited", "Alibaba Group Holding", "alibaba"),
        ("Amazon.com, Inc.", "Amazon.com", "amazon"),
        ("Evolution AB (publ)", "Evolution", "evolution"),
        ("Great Wall Motor Company Limited", "Great Wall Motor", "great wall motor"),
    ],
)
def test_display_names_and_company_keys(name: str, shown: str, key: str) -> None:
    assert display_name(name) == shown
    assert company_key(name) == key


def test_short_names_and_exchanges() -> None:
    assert short_name(TENCENT) == "Tencent"
    assert short_name(Listing("AMZN", "Amazon.com, Inc.")) == "Amazon"
    assert short_name(Listing("X", None)) is None
    assert exchange_name(Listing("BABA", exchange="NYQ")) == "NYSE"
    assert exchange_name(TENCENT) == "Hong Kong"
