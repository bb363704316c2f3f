"""A company name the bot has not seen: one bounded search, then the command with the
listing's symbol (issue 14 through the names issue).

The names go the real way: NameResolver on a fresh market cache and YahooSource talking to
the Yahoo double, which serves the written Tencent, Alibaba and "great wall" answers and the
recorded real ones; the double's request log says how many searches a question cost.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from analytics.data.cache import MarketCache
from analytics.data.names import Ambiguity, NameResolver
from analytics.data.sources.base import Listing
from analytics.data.sources.yahoo import YahooSource
from commands.ask import Ambiguous, NeedsName, Outcome, Refusal, Understood, interpret
from commands.ask.lookup import NameFinder, finder, interpret_searching
from tests.source_doubles import Clock
from tests.yahoo_double import SEARCH, YahooDouble

TODAY = date(2025, 3, 10)


@pytest.fixture
def resolver(yahoo_double: YahooDouble, tmp_path: Path, clock: Clock) -> Iterator[NameResolver]:
    cache = MarketCache(tmp_path / "cache.sqlite3")
    source = YahooSource(base_url=yahoo_double.base_url, timeout=5.0, cache_dir=tmp_path / "yf")
    names = NameResolver(cache, source, clock)
    yield names
    names.close()
    cache.close()


def ask(question: str, resolver: NameResolver, find: NameFinder | None = None) -> Outcome:
    return interpret_searching(
        question,
        today=TODAY,
        names=resolver.cached_symbol,
        find=find or finder(resolver),
    )


def searches(double: YahooDouble) -> list[str]:
    """The queries of the requests to Yahoo's search endpoint (not its lookup fallback)."""
    return [r.query["q"] for r in double.search_requests() if r.path.endswith("/search")]


def test_an_unseen_name_costs_one_search_and_gives_its_symbol(
    resolver: NameResolver, yahoo_double: YahooDouble
) -> None:
    outcome = ask("how did tencent do vs the mag7 this year", resolver)
    assert isinstance(outcome, Understood)
    assert outcome.to_json() == {
        "command": "compare",
        "options": {"left": "0700.HK", "right": "mag7", "period": "ytd"},
    }
    assert outcome.line == (
        "Understood as `/compare left:0700.HK right:mag7 period:ytd` (tencent → 0700.HK "
        "Tencent Holdings (also TCEHY on OTC Markets, NNND.F on Frankfurt))"
    )
    assert searches(yahoo_double) == ["tencent"]
    assert len(yahoo_double.search_requests()) == 1  # found: no lookup fallback either
    # Asked again: the answer was cached in the market cache, so nothing more is asked.
    again = ask("is tencent at its highest since 2021?", resolver)
    assert isinstance(again, Understood) and again.command.line == "/levels symbol:0700.HK"
    assert len(yahoo_double.search_requests()) == 1


def test_levels_of_a_name_and_the_top_ranked_listing(
    resolver: NameResolver, yahoo_double: YahooDouble
) -> None:
    outcome = ask("is alibaba at its highest since 2021", resolver)
    assert isinstance(outcome, Understood)
    assert outcome.to_json() == {"command": "levels", "options": {"symbol": "BABA"}}
    assert "alibaba → BABA Alibaba Group Holding (also 9988.HK on Hong Kong)" in outcome.line
    assert searches(yahoo_double) == ["alibaba"]


def test_a_name_of_two_companies_is_two_readings_naming_them(
    resolver: NameResolver, yahoo_double: YahooDouble
) -> None:
    outcome = ask("how did great wall do this year", resolver)
    assert isinstance(outcome, Ambiguous)
    assert [r.command.line for r in outcome.readings] == [
        "/returns target:2333.HK period:ytd",
        "/returns target:002939.SZ period:ytd",
    ]
    assert outcome.message.startswith(
        "'great wall' matches 2333.HK Great Wall Motor (Hong Kong) and 002939.SZ "
        "China Great Wall Securities (Shenzhen). Did you mean"
    )
    assert searches(yahoo_double) == ["great wall"]


def test_more_than_two_companies_are_refused_with_their_names() -> None:
    listings = tuple(
        Listing(s, f"{n} Limited", None, "HKG", "Hong Kong", "EQUITY", 20000.0 - i)
        for i, (s, n) in enumerate([("0001.HK", "CK Hutch"), ("0002.HK", "CK Power"),
                                    ("0003.HK", "CK Gas")])
    )  # fmt: skip
    asked: list[str] = []

    def find(phrase: str) -> Ambiguity:
        asked.append(phrase)
        return Ambiguity(phrase, listings)

    outcome = interpret_searching("how did ckh do vs the mag 7 ytd", today=TODAY, find=find)
    assert isinstance(outcome, Refusal)
    assert outcome.message.startswith("'ckh' matches several companies: 0001.HK CK Hutch")
    assert "0003.HK CK Gas (Hong Kong)" in outcome.message
    assert asked == ["ckh"]


@pytest.mark.parametrize("fault", ["rate_limit", "server_error"])
def test_a_failed_search_is_one_clear_line_never_a_guess(
    resolver: NameResolver, yahoo_double: YahooDouble, fault: str
) -> None:
    getattr(yahoo_double, fault)(symbols=[SEARCH])
    asked: list[str] = []
    find = finder(resolver)

    def counted(phrase: str):  # type: ignore[no-untyped-def]
        asked.append(phrase)
        return find(phrase)

    outcome = ask("how did xiaomi do this year", resolver, find=counted)
    assert isinstance(outcome, Refusal)
    assert outcome.message.startswith("Could not look up the name 'xiaomi': the search failed (")
    assert outcome.message.endswith("Try again shortly, or give its ticker.")
    assert asked == ["xiaomi"]  # one search; yfinance itself retries an error status once
    assert set(searches(yahoo_double)) == {"xiaomi"} and len(searches(yahoo_double)) <= 2
    yahoo_double.clear_faults()  # nothing was cached: the next question searches again
    later = ask("how did xiaomi do this year", resolver)
    assert isinstance(later, Understood) and later.command.line == (
        "/returns target:1810.HK period:ytd"
    )


def test_a_hanging_search_is_given_up_after_its_timeout(
    resolver: NameResolver, yahoo_double: YahooDouble
) -> None:
    yahoo_double.hang(5, symbols=[SEARCH])
    started = time.monotonic()
    outcome = ask("how did xiaomi do this year", resolver, find=finder(resolver, timeout=0.3))
    assert time.monotonic() - started < 2.5
    assert isinstance(outcome, Refusal) and "the search failed" in outcome.message


def test_no_company_of_that_name_is_said(resolver: NameResolver, yahoo_double: YahooDouble) -> None:
    outcome = ask("how did flurbco do vs the mag 7 this year", resolver)
    assert isinstance(outcome, Refusal)
    assert outcome.message.startswith("No company or symbol matches 'flurbco'.")
    assert "/quote" not in outcome.message  # a question's line, not an option's hint
    assert "ticker" in outcome.message
    assert searches(yahoo_double) == ["flurbco"]


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("how did the titans do vs the mag 7 this year", None),  # nothing to look up
        ("how did AAPL do this year", None),
        ("what's the weather like", "doesn't look like a market question"),
        ("buy tencent", "advice"),
        ("how did tencent do in 2031", "2031"),  # the rest is refused: no search for it
        ("tencent vs alibaba ytd", "one new company name per question"),
    ],
)
def test_no_search_unless_the_name_is_all_that_is_missing(
    resolver: NameResolver, yahoo_double: YahooDouble, question: str, says: str | None
) -> None:
    outcome = ask(question, resolver)
    if says is None:
        assert isinstance(outcome, Understood)
    else:
        assert isinstance(outcome, Refusal) and says in outcome.message
    assert yahoo_double.search_requests() == []


def test_the_interpreter_itself_never_searches() -> None:
    called: list[str] = []

    def names(text: str) -> str | None:
        called.append(text)
        return None

    outcome = interpret(
        "how did evolution gaming group do this year", today=TODAY, names=names, may_search=True
    )
    assert outcome == NeedsName("evolution gaming group", outcome.message)  # type: ignore[union-attr]
    assert "evolution gaming group" in called  # the whole phrase was asked offline, once
    refused = interpret("how did evolution gaming group do this year", today=TODAY)
    assert isinstance(refused, Refusal) and "'evolution gaming group'" in refused.message


def test_a_recorded_real_answer_resolves_a_three_word_name(
    resolver: NameResolver, yahoo_double: YahooDouble
) -> None:
    # ../shared/recorded-yahoo/search-Evolution Gaming Group.json: Yahoo's real answer.
    outcome = ask("how did Evolution Gaming Group do this year?", resolver)
    assert isinstance(outcome, Understood)
    assert outcome.command.line == "/returns target:0RQ6.IL period:ytd"
    assert "(also E3G1.SG" in outcome.line
    assert searches(yahoo_double) == ["Evolution Gaming Group"]


def test_a_follow_up_can_name_a_new_company(
    resolver: NameResolver, yahoo_double: YahooDouble
) -> None:
    first = ask("how did the titans do vs the mag 7 this year", resolver)
    assert isinstance(first, Understood)
    outcome = interpret_searching(
        "what about alibaba?",
        today=TODAY,
        names=resolver.cached_symbol,
        previous=first.frame,
        find=finder(resolver),
    )
    assert isinstance(outcome, Understood)
    assert outcome.command.line == "/compare left:BABA right:mag7 period:ytd"
    assert searches(yahoo_double) == ["alibaba"]
