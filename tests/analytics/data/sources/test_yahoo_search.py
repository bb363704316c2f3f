"""YahooSource.search through the real yfinance (``yf.Search``, ``yf.Lookup``) against the
Yahoo double, which serves the recorded real search answers for their own queries.

Expected listings are read from the recorded files here, independently of the double."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from analytics.data.sources.yahoo import YahooSource
from analytics.errors import RateLimitedError, SourceError
from tests.yahoo_double import SEARCH, YahooDouble
from tests.yahoo_search_payloads import RECORDED_YAHOO


@pytest.fixture
def source(yahoo_double: YahooDouble, tmp_path: Path) -> YahooSource:
    return YahooSource(base_url=yahoo_double.base_url, timeout=2.0, cache_dir=tmp_path / "yf")


def recorded_quotes(query: str) -> list[dict]:
    body = json.loads((RECORDED_YAHOO / f"search-{query}.json").read_text())
    return body["response"]["bodyJson"]["quotes"]


@pytest.mark.parametrize("query", ["AMZN", "BEKE", "CRON", "Evolution Gaming Group"])
def test_recorded_answers_become_listings(source: YahooSource, query: str) -> None:
    quotes = [q for q in recorded_quotes(query) if q.get("symbol")]
    found = source.search(query)
    assert [(x.symbol, x.quote_type, x.score) for x in found] == [
        (q["symbol"], q["quoteType"], float(q["score"])) for q in quotes
    ]
    assert [(x.long_name, x.short_name, x.exchange, x.exchange_name) for x in found] == [
        (q.get("longname"), q.get("shortname"), q["exchange"], q["exchDisp"]) for q in quotes
    ]


def test_beke_drops_entries_without_a_ticker(source: YahooSource) -> None:
    raw = recorded_quotes("BEKE")
    assert any("symbol" not in q for q in raw)  # Yahoo's crunchbase companies
    assert len(source.search("BEKE")) == sum(1 for q in raw if "symbol" in q) == 5


def test_the_request_is_yfinance_search(source: YahooSource, yahoo_double: YahooDouble) -> None:
    source.search("tencent", limit=7)
    (request,) = yahoo_double.search_requests("tencent")
    assert request.host == "query2.finance.yahoo.com"
    assert request.query["quotesCount"] == "7"
    assert request.query["newsCount"] == "0"


def test_no_result_asks_lookup_too(source: YahooSource, yahoo_double: YahooDouble) -> None:
    assert recorded_quotes("NO0010123060") == []
    assert source.search("NO0010123060") == []
    paths = [(r.host, r.path) for r in yahoo_double.search_requests("NO0010123060")]
    assert paths == [
        ("query2.finance.yahoo.com", "/v1/finance/search"),
        ("query1.finance.yahoo.com", "/v1/finance/lookup"),
    ]


def test_lookup_finds_what_search_does_not(source: YahooSource) -> None:
    (found,) = source.search("TCEHY")
    assert (found.symbol, found.quote_type, found.score) == ("TCEHY", "EQUITY", 20047.0)
    assert found.short_name == "Tencent Holdings Ltd."


def test_malformed_recorded_answer_is_a_failure(source: YahooSource) -> None:
    with pytest.raises(SourceError, match="malformed"):
        source.search("badResult.fake")


@pytest.mark.parametrize(
    ("fault", "error"), [("server_error", SourceError), ("rate_limit", RateLimitedError)]
)
def test_http_failures_raise(
    source: YahooSource, yahoo_double: YahooDouble, fault: str, error: type
) -> None:
    getattr(yahoo_double, fault)(symbols=[SEARCH])
    with pytest.raises(error):
        source.search("alibaba")
    yahoo_double.clear_faults()
    assert source.search("alibaba")[0].symbol == "BABA"  # yfinance kept no failed answer


def test_a_hanging_search_gives_up_at_the_timeout(
    source: YahooSource, yahoo_double: YahooDouble
) -> None:
    yahoo_double.hang(5, symbols=[SEARCH])
    started = time.monotonic()
    with pytest.raises(SourceError):
        source.search("alibaba", timeout=0.5)
    assert time.monotonic() - started < 2.0
