"""Company names in every option that takes a symbol or a target, through the real yfinance
path: YahooSource against the Yahoo double (real shared prices, written search answers in
Yahoo's recorded shape), a real SQLite cache, and the double's request log.

Expected returns are computed here from the shared CSVs with the csv module."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.data.sources.yahoo import YahooSource
from analytics.metrics.chartdata import chart_data
from analytics.metrics.periods import parse_period
from analytics.metrics.targets import Target
from analytics.services import Services
from commands.ask.command import understand
from commands.ask.interpret import Understood
from commands.chart import _named
from commands.registry import run_text
from commands.reply import Reply
from commands.spec import Context
from tests.real_data import closes_on
from tests.source_doubles import Clock
from tests.yahoo_double import SEARCH, YahooDouble, shared_symbols
from tests.yahoo_search_payloads import NAMES

SERVED = ["0700.HK", "9988.HK", "BABA", "1810.HK", "AMZN", "AAPL"]
SPAN = "start:2024-12-31 end:2025-03-07"


@pytest.fixture
def services(yahoo_double: YahooDouble, tmp_path: Path, clock: Clock) -> Iterator[Services]:
    served = shared_symbols(SERVED)
    for symbol, data in served.items():
        data.info = dict(NAMES.get(symbol, {}))
    yahoo_double.serve(served)
    source = YahooSource(base_url=yahoo_double.base_url, timeout=2.0, cache_dir=tmp_path / "yf")
    built = Services.open(
        tmp_path / "cache.sqlite3", tmp_path / "marketbot.sqlite3", source, clock=clock
    )
    yield built
    built.close()


def ask(services: Services, text: str, guild: int = 7) -> Reply:
    return run_text(text, Context(services, guild_id=guild, want_image=False))


def ret(symbol: str) -> float:
    return (closes_on(symbol, "2025-03-07") / closes_on(symbol, "2024-12-31") - 1) * 100


def test_names_become_the_right_listings_with_the_right_numbers(
    services: Services, yahoo_double: YahooDouble
) -> None:
    reply = ask(services, f"/returns target:tencent, alibaba {SPAN}")
    assert reply.exit_code == 0, reply.description
    got = {m["symbol"]: m["return_pct"] for m in reply.data["members"]}
    assert got.keys() == {"0700.HK", "BABA"}
    for symbol, value in got.items():
        assert value == pytest.approx(ret(symbol), abs=1e-9)
    first_line = reply.description.splitlines()[0]
    assert first_line == (
        "tencent → 0700.HK Tencent Holdings (also TCEHY on OTC Markets, NNND.F on Frankfurt); "
        "alibaba → BABA Alibaba Group Holding (also 9988.HK on Hong Kong)"
    )
    assert [n["symbol"] for n in reply.data["names"]] == ["0700.HK", "BABA"]
    assert len(yahoo_double.search_requests()) == 2
    yahoo_double.clear_requests()
    again = ask(services, f"/returns target:tencent,alibaba {SPAN}")
    assert again.data["members"] == reply.data["members"]
    assert yahoo_double.requests() == []  # the names and the prices: all from the cache


def test_tickers_cost_no_search(services: Services, yahoo_double: YahooDouble) -> None:
    reply = ask(services, f"/returns target:AAPL,0700.HK {SPAN}")
    assert reply.exit_code == 0 and "→" not in reply.description
    assert yahoo_double.search_requests() == []
    assert {r.symbol for r in yahoo_double.chart_requests()} == {"AAPL", "0700.HK"}


def test_quote_levels_and_compare_take_names(services: Services) -> None:
    quote = ask(services, "/quote symbol:tencent holdings")
    assert quote.exit_code == 0, quote.description
    assert quote.data["symbol"] == "0700.HK"
    assert quote.description.startswith("tencent holdings → 0700.HK Tencent Holdings")
    levels = ask(services, "/levels symbol:xiaomi end:2025-03-07")
    assert levels.exit_code == 0, levels.description
    assert levels.data["symbol"] == "1810.HK"
    compare = ask(services, f"/compare left:alibaba right:amazon {SPAN}")
    assert compare.exit_code == 0, compare.description
    assert compare.data["left"]["members"][0]["symbol"] == "BABA"
    assert compare.data["right"]["members"][0]["symbol"] == "AMZN"
    assert compare.data["spread_pct"] == pytest.approx(ret("BABA") - ret("AMZN"), abs=1e-9)


def test_an_ambiguous_name_lists_candidates(services: Services) -> None:
    reply = ask(services, f"/returns target:great wall {SPAN}")
    assert reply.exit_code == 2
    assert reply.description == (
        "'great wall' matches several companies: 2333.HK Great Wall Motor (Hong Kong), "
        "002939.SZ China Great Wall Securities (Shenzhen). Give the symbol you mean."
    )


def test_a_name_matching_nothing_is_exit_2_with_how_to_search(services: Services) -> None:
    reply = ask(services, "/quote symbol:nosuch company")
    assert reply.exit_code == 2
    assert reply.description == (
        "No company or symbol matches 'nosuch company'. "
        "/quote symbol: accepts names and tickers (tencent, 0700.HK, AAPL)."
    )
    shaped = ask(services, "/quote symbol:NOSUCHCO")
    assert shaped.exit_code == 2 and shaped.description.startswith("Unknown symbol NOSUCHCO")
    assert "/quote symbol: accepts names and tickers" in shaped.description


@pytest.mark.parametrize("text", ["xiaomi", "xiaomi corp"])
def test_a_failed_search_is_a_clear_line_and_caches_nothing(
    services: Services, yahoo_double: YahooDouble, text: str
) -> None:
    yahoo_double.rate_limit(symbols=[SEARCH])
    reply = ask(services, f"/quote symbol:{text}")
    assert reply.exit_code == 3
    assert "\n" not in reply.description
    assert f"Could not look up the name '{text}'" in reply.description
    rows = services.cache.connection().execute("SELECT count(*) FROM searches").fetchone()
    assert rows[0] == 0
    yahoo_double.clear_faults()
    if text == "xiaomi":
        assert ask(services, f"/quote symbol:{text}").data["symbol"] == "1810.HK"


def test_a_resolved_name_answers_with_the_source_down(
    services: Services, yahoo_double: YahooDouble
) -> None:
    assert ask(services, f"/returns target:tencent {SPAN}").exit_code == 0
    yahoo_double.rate_limit()
    reply = ask(services, f"/returns target:tencent {SPAN}")
    assert reply.exit_code == 0, reply.description
    assert reply.data["members"][0]["symbol"] == "0700.HK"
    assert reply.data["members"][0]["return_pct"] == pytest.approx(ret("0700.HK"), abs=1e-9)


def test_basket_stores_symbols_and_shows_names(
    services: Services, yahoo_double: YahooDouble
) -> None:
    made = ask(services, "/basket create name:china-internet members:tencent, alibaba,1810.HK")
    assert made.exit_code == 0, made.description
    assert made.description.splitlines()[0].startswith("tencent → 0700.HK Tencent Holdings")
    # The row itself, read from the server store's file with a connection of its own.
    with sqlite3.connect(services.store.path) as conn:
        row = conn.execute(
            "SELECT members FROM baskets WHERE guild_id = 7 AND name = 'china-internet'"
        ).fetchone()
    assert row[0] == '["0700.HK", "BABA", "1810.HK"]'
    shown = ask(services, "/basket show name:china-internet")
    assert shown.description == (
        "0700.HK (Tencent Holdings), BABA (Alibaba Group Holding), 1810.HK (Xiaomi)"
    )
    removed = ask(services, "/basket remove name:china-internet members:alibaba")
    assert removed.exit_code == 0, removed.description
    assert removed.data["members"] == ["0700.HK", "1810.HK"]


def test_more_than_25_members_are_refused(services: Services, yahoo_double: YahooDouble) -> None:
    many = ",".join(f"name{i}" for i in range(26))
    reply = ask(services, f"/returns target:{many}")
    assert reply.exit_code == 2 and "at most 25" in reply.description
    symbols = ",".join(f"S{i}" for i in range(24))
    services.baskets.create(7, "big", [f"S{i}" for i in range(24)], 1, services.clock())
    added = ask(services, "/basket add name:big members:tencent,alibaba")
    assert added.exit_code == 2 and "at most 25" in added.description, symbols
    assert services.baskets.get(7, "big").members == tuple(f"S{i}" for i in range(24))


@pytest.mark.parametrize("text", ["tencent;drop", "tencent <@1>", "ten\\cent", "a/b"])
def test_characters_no_name_has_are_refused_before_any_search(
    services: Services, yahoo_double: YahooDouble, text: str
) -> None:
    reply = ask(services, f"/returns target:{text} {SPAN}")
    assert reply.exit_code == 2 and "is not a valid symbol or company name" in reply.description
    assert yahoo_double.search_requests() == []


def test_member_tables_show_short_names(services: Services) -> None:
    reply = ask(services, f"/returns target:tencent,alibaba,AAPL {SPAN}")
    assert reply.exit_code == 0, reply.description
    rows = {line.split()[0]: line for line in reply.description.splitlines() if "%" in line}
    assert rows["0700.HK"].startswith("0700.HK Tencent ")
    assert rows["BABA"].startswith("BABA Alibaba ")
    assert rows["AAPL"].startswith("AAPL Apple ")
    compare = ask(services, f"/compare left:tencent right:amazon {SPAN}")
    fields = {f.name: f.value for f in compare.fields}
    assert "0700.HK Tencent" in fields["0700.HK members"]
    assert "AMZN Amazon" in fields["AMZN members"]
    assert all(len(f.value) <= 1024 for f in compare.fields)


def test_chart_legends_name_the_members(services: Services) -> None:
    assert ask(services, f"/returns target:tencent,alibaba {SPAN}").exit_code == 0
    period = parse_period(None, "2024-12-31", "2025-03-07", today=services.market.today())
    target = Target("mine", ("0700.HK", "BABA"), "symbols")
    data = chart_data(services.market, target, period)
    drawn = _named(Context(services), data)
    members = [s.label for s in drawn.series if s.kind == "member"]
    assert members == ["0700.HK Tencent", "BABA Alibaba"]
    assert [s.label for s in data.series if s.kind == "member"] == ["0700.HK", "BABA"]


def test_questions_in_words_use_names_the_cache_already_knows(
    services: Services, yahoo_double: YahooDouble
) -> None:
    """The interpreter (issue 14) reads a company name it can resolve offline, and never
    searches for one: every short run of words is a candidate name."""
    ctx = Context(services, guild_id=7, want_image=False)
    before = understand(ctx, "how did tencent do vs alibaba this year?")
    assert not isinstance(before, Understood)  # never looked up: nothing cached yet
    assert yahoo_double.search_requests() == []
    assert ask(services, f"/returns target:tencent,alibaba {SPAN}").exit_code == 0
    searched = len(yahoo_double.search_requests())
    after = understand(ctx, "how did tencent do vs alibaba this year?")
    assert isinstance(after, Understood), after
    assert after.to_json() == {
        "command": "compare",
        "options": {"left": "0700.HK", "right": "BABA", "period": "ytd"},
    }
    assert len(yahoo_double.search_requests()) == searched
