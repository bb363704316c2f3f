"""Name resolution through the real yfinance path: YahooSource against the Yahoo double
(recorded real search answers, and written ones for Tencent, Alibaba, "great wall"),
the SQLite market cache, and the double's request log to see what was asked."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from analytics.data.cache import MarketCache
from analytics.data.market import MarketData
from analytics.data.names import Ambiguity, NameMatch, NameResolver, check_name, pick
from analytics.data.sources.base import Listing
from analytics.data.sources.yahoo import YahooSource
from analytics.errors import NoDataError, UserInputError
from tests.source_doubles import Clock
from tests.yahoo_double import SEARCH, YahooDouble, shared_symbols
from tests.yahoo_search_payloads import NAMES


@pytest.fixture
def cache(tmp_path: Path) -> MarketCache:
    return MarketCache(tmp_path / "cache.sqlite3")


@pytest.fixture
def source(yahoo_double: YahooDouble, tmp_path: Path) -> YahooSource:
    return YahooSource(base_url=yahoo_double.base_url, timeout=2.0, cache_dir=tmp_path / "yf")


@pytest.fixture
def names(cache: MarketCache, source: YahooSource, clock: Clock) -> NameResolver:
    return NameResolver(cache, source, clock)


def searches_in_db(cache: MarketCache) -> list[str]:
    return [r[0] for r in cache.connection().execute("SELECT query FROM searches")]


def test_tencent_is_the_hong_kong_line_with_its_adr(
    names: NameResolver, yahoo_double: YahooDouble
) -> None:
    match = names.resolve("Tencent")
    assert match.symbol == "0700.HK"
    assert [a.symbol for a in match.also] == ["TCEHY", "NNND.F"]  # not TME, not the ETF
    assert match.line() == (
        "Tencent → 0700.HK Tencent Holdings (also TCEHY on OTC Markets, NNND.F on Frankfurt)"
    )
    assert len(yahoo_double.search_requests()) == 1
    assert names.resolve("tencent").symbol == "0700.HK"
    assert names.resolve("TENCENT ").symbol == "0700.HK"
    assert len(yahoo_double.search_requests()) == 1  # then from the cache


def test_alibaba_is_the_top_ranked_listing(names: NameResolver) -> None:
    match = names.resolve("alibaba")
    assert match.symbol == "BABA"
    assert [(a.symbol, a.exchange_name) for a in match.also] == [("9988.HK", "Hong Kong")]
    assert "also 9988.HK on Hong Kong" in match.line()


def test_two_companies_without_a_leader_are_refused(names: NameResolver) -> None:
    found = names.find("great wall")
    assert isinstance(found, Ambiguity)
    assert [c.symbol for c in found.candidates] == ["2333.HK", "002939.SZ"]
    with pytest.raises(UserInputError, match="'great wall' matches several companies: 2333.HK"):
        names.resolve("great wall")


def test_a_prefix_with_a_clear_leader_resolves(names: NameResolver) -> None:
    assert names.resolve("tenc").symbol == "0700.HK"


def test_recorded_answers(names: NameResolver) -> None:
    assert names.resolve("AMZN").symbol == "AMZN"
    assert [a.symbol for a in names.resolve("AMZN").also] == ["AMZN.MX"]
    assert names.resolve("QQQ").symbol == "QQQ"  # an ETF, by its own ticker
    evolution = names.resolve("Evolution Gaming Group")
    assert (evolution.symbol, [a.symbol for a in evolution.also]) == ("0RQ6.IL", ["E3G1.SG"])
    with pytest.raises(UserInputError, match="No company or symbol matches 'NO0010123060'"):
        names.resolve("NO0010123060")


def test_funds_crypto_and_indices_only_by_their_own_names() -> None:
    answer = [
        Listing("CRON", "Cronos Group Inc.", None, "NGM", "NASDAQ", "EQUITY", 2013600),
        Listing("CRO-USD", "Cronos USD", None, "CCC", "CCC", "CRYPTOCURRENCY", 3013600),
        Listing("CIF.SW", "Cronos Immo Fund", None, "EBS", "Swiss", "INDEX", 20003),
    ]
    assert isinstance(found := pick("cronos", answer), NameMatch) and found.symbol == "CRON"
    assert isinstance(found := pick("cronos usd", answer), NameMatch)
    assert found.symbol == "CRO-USD"
    only_funds = [answer[1], answer[2]]
    assert pick("cronos", only_funds) is not None  # a fund's own name, word by word
    assert pick("cronos", only_funds).symbol == "CRO-USD"  # type: ignore[union-attr]
    assert pick("bitcoin", only_funds) is None


@pytest.mark.parametrize("fault", ["rate_limit", "server_error", "malformed"])
def test_a_failed_search_says_so_and_caches_nothing(
    names: NameResolver, cache: MarketCache, yahoo_double: YahooDouble, fault: str
) -> None:
    getattr(yahoo_double, fault)(symbols=[SEARCH])
    with pytest.raises(NoDataError, match="Could not look up the name 'xiaomi'"):
        names.resolve("xiaomi")
    assert searches_in_db(cache) == []
    yahoo_double.clear_faults()
    assert names.resolve("xiaomi").symbol == "1810.HK"
    assert searches_in_db(cache) == ["xiaomi"]


def test_a_timed_out_search_caches_nothing(
    names: NameResolver, cache: MarketCache, yahoo_double: YahooDouble
) -> None:
    yahoo_double.hang(5, symbols=[SEARCH])
    with pytest.raises(NoDataError, match="Timeout"):
        names.resolve("xiaomi", timeout=0.3)
    assert searches_in_db(cache) == []


def test_cached_symbols_names_resolve_with_the_source_down(
    cache: MarketCache, source: YahooSource, clock: Clock, yahoo_double: YahooDouble
) -> None:
    served = shared_symbols(["0700.HK"], date(2025, 2, 3), date(2025, 3, 7))
    served["0700.HK"].info = dict(NAMES["0700.HK"])
    yahoo_double.serve(served)
    market = MarketData(cache, source, clock=clock)
    assert market.history(["0700.HK"], date(2025, 3, 3), date(2025, 3, 7)).series
    listing = market.listings.get("0700.HK")
    assert listing is not None and listing.long_name == "Tencent Holdings Limited"
    yahoo_double.rate_limit()  # everything, search included
    yahoo_double.clear_requests()
    match = NameResolver(cache, source, clock).resolve("tencent holdings")
    assert match.symbol == "0700.HK"
    assert yahoo_double.requests() == []  # instant: no search was needed


def test_resolve_names_reports_each_outcome(names: NameResolver) -> None:
    result = names.resolve_names("tencent, great wall,nosuchco ,alibaba")
    assert result.symbols == ["0700.HK", "BABA"]
    assert [a.typed for a in result.ambiguous] == ["great wall"]
    assert result.unmatched == ["nosuchco"]
    assert not result.ok


@pytest.mark.parametrize("text", ["tencent;drop", "<@123>", "a" * 61, "ten/cent", "  "])
def test_names_with_other_characters_are_refused_before_any_search(
    names: NameResolver, yahoo_double: YahooDouble, text: str
) -> None:
    with pytest.raises(UserInputError):
        names.resolve(text)
    assert yahoo_double.search_requests() == []


def test_allowed_characters() -> None:
    assert check_name("  AT&T ") == "AT&T"
    assert check_name("Moody's  corp.") == "Moody's corp."
    assert check_name("Nestlé") == "Nestlé"
    assert check_name("coca-cola") == "coca-cola"


def test_suggest_is_cache_first_then_the_search(
    names: NameResolver, yahoo_double: YahooDouble
) -> None:
    found = names.suggest("tenc", wait=2.0)
    assert [x.symbol for x in found] == ["0700.HK", "TCEHY", "TME", "NNND.F", "KTEC"]
    yahoo_double.hang(30, symbols=[SEARCH])
    assert [x.symbol for x in names.suggest("tenc", wait=0.2)][:2] == ["0700.HK", "TCEHY"]
    started = time.monotonic()
    assert names.suggest("alib", wait=0.2) == []  # nothing known, the search hangs
    assert time.monotonic() - started < 1.0
    assert names.suggest("ten;c") == [] and names.suggest("") == []


def test_suggest_never_offers_options(names: NameResolver) -> None:
    found = names.suggest("alibaba", wait=2.0)
    assert "BABA250321C00130000" not in [x.symbol for x in found]
    assert [x.symbol for x in found][:2] == ["BABA", "9988.HK"]
