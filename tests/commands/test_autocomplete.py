"""Autocomplete suggestions (commands.autocomplete) on real stores: a CSV folder of real
prices with a ``fundamentals.json`` naming two listings (so the folder's own search finds
them by name), SQLite files in a tmp dir, baskets made through the basket store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from analytics.data.sources.csvdir import CsvFolderSource
from analytics.services import Services
from commands.autocomplete import MAX_SUGGESTIONS, Suggestion, split_last, suggest
from tests.conftest import FIXED_NOW
from tests.real_data import MARKET_DATA
from tests.source_doubles import Clock

GUILD, OTHER = 1001, 2002
SYMBOLS = ["0700.HK", "AAPL", "BABA", "META", "MSFT"]
NAMES = {
    "0700.HK": {"longName": "Tencent Holdings Limited", "fullExchangeName": "HKSE"},
    "BABA": {"longName": "Alibaba Group Holding Limited", "fullExchangeName": "NYSE"},
}


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    folder = tmp_path / "prices"
    folder.mkdir()
    for symbol in SYMBOLS:
        (folder / f"{symbol}.csv").symlink_to((MARKET_DATA / f"{symbol}.csv").resolve())
    (folder / "fundamentals.json").write_text(json.dumps(NAMES))
    built = Services.open(
        tmp_path / "cache.sqlite3",
        tmp_path / "marketbot.sqlite3",
        CsvFolderSource(folder),
        clock=Clock(FIXED_NOW),
    )
    yield built
    built.close()


def values(found: list[Suggestion]) -> list[str]:
    return [s.value for s in found]


def test_split_last_keeps_the_items_before_the_last_comma() -> None:
    assert split_last("AAPL, tenc") == ("AAPL,", "tenc")
    assert split_last("AAPL,,MSFT , ") == ("AAPL,MSFT,", "")
    assert split_last("  mag ") == ("", "mag")
    assert split_last("") == ("", "")


def test_a_first_item_offers_presets_and_this_servers_baskets(services: Services) -> None:
    services.baskets.create(GUILD, "magnificent", ["AAPL"], 7, FIXED_NOW)
    services.baskets.create(OTHER, "mag-other", ["MSFT"], 7, FIXED_NOW)
    target = suggest(services, GUILD, "target", "MAG")
    assert target == [Suggestion("mag7", "mag7"), Suggestion("magnificent", "magnificent")]
    # /basket options put the server's own baskets first; other servers' are never offered.
    assert values(suggest(services, GUILD, "basket", "mag")) == ["magnificent", "mag7"]
    assert "mag-other" not in values(suggest(services, OTHER, "basket", "magn"))


def test_a_name_is_offered_as_its_listing_labelled_with_name_and_exchange(
    services: Services,
) -> None:
    found = suggest(services, GUILD, "target", "tenc")
    assert found == [Suggestion("0700.HK · Tencent Holdings · HKSE", "0700.HK")]
    assert suggest(services, GUILD, "symbol", "alibaba") == [
        Suggestion("BABA · Alibaba Group Holding · NYSE", "BABA")
    ]


def test_a_comma_list_is_continued_and_offers_no_preset_after_a_comma(
    services: Services,
) -> None:
    found = suggest(services, GUILD, "target", "AAPL,, msft, tenc")
    assert found == [
        Suggestion("AAPL, msft, 0700.HK · Tencent Holdings · HKSE", "AAPL,msft,0700.HK")
    ]
    assert "mag7" not in values(suggest(services, GUILD, "target", "AAPL, mag"))


def test_cached_symbols_come_first_each_value_once(services: Services) -> None:
    services.market.history(["MSFT", "META"], date(2025, 1, 2), date(2025, 3, 7))
    # cached (META, MSFT), preset members (the same two) and the search's ticker matches:
    # each offered once, in that order.
    assert values(suggest(services, GUILD, "symbol", "m")) == ["META", "MSFT"]
    assert values(suggest(services, GUILD, "symbol", "ms")) == ["MSFT"]


def test_labels_and_values_are_cut_at_discords_100_characters(services: Services) -> None:
    head = ",".join(f"SYM{i:02d}" for i in range(16))  # 95 characters
    found = suggest(services, GUILD, "target", head + ",tenc")
    assert found, "the head alone still suggests"
    for item in found:
        assert len(item.value) <= 100 and len(item.label) <= 100
        assert item.value.startswith(head + ",") and item.label.startswith("SYM00, SYM01")
    assert found[0].value == (head + ",0700.HK")[:100]


def test_at_most_25_suggestions(services: Services) -> None:
    for i in range(30):
        services.baskets.create(GUILD, f"b{i:02d}", ["AAPL"], 7, FIXED_NOW)
    baskets = suggest(services, GUILD, "basket", "b")
    assert values(baskets) == [f"b{i:02d}" for i in range(MAX_SUGGESTIONS)]
    assert len(suggest(services, GUILD, "timezone", "a")) == MAX_SUGGESTIONS


def test_time_zones_match_any_part_of_the_name_in_any_case(services: Services) -> None:
    assert suggest(services, GUILD, "timezone", "new_y") == [
        Suggestion("America/New_York", "America/New_York")
    ]
    assert "Asia/Hong_Kong" in values(suggest(services, GUILD, "timezone", "KONG"))
    assert suggest(services, GUILD, "timezone", "no such zone") == []
