"""bot.wiring: the services ``marketbot run`` builds from its settings.

On Yahoo, the source is a LazySource (yfinance loads on the first question, not on the way
to READY). Every store must still reach what the Yahoo source answers: here the statements
through the real yfinance path against the double (before the fix, StatementStore found no
``fetch_statements`` on the LazySource and every symbol had no statements on the bot).
"""

from __future__ import annotations

from pathlib import Path

from analytics.data.sources.csvdir import CsvFolderSource
from analytics.data.sources.lazy import LazySource
from bot.settings import Settings
from bot.wiring import build_services, make_source
from tests.analytics.metrics.recorded_setup import listing
from tests.analytics.metrics.test_valuation_history import Q4_END, beke_bars, four_quarters
from tests.real_data import MARKET_DATA
from tests.yahoo_double import YahooDouble
from tests.yahoo_recorded import recorded, with_timeseries


def test_yahoo_is_lazy_and_a_folder_is_read_directly() -> None:
    lazy = make_source(Settings(source="yahoo", yahoo_base_url="http://127.0.0.1:9"))
    assert isinstance(lazy, LazySource) and lazy.label == "Yahoo Finance"
    assert lazy._source is None  # nothing built (yfinance not loaded) until a call needs it
    folder = make_source(Settings(source=f"csv:{MARKET_DATA}"))
    assert isinstance(folder, CsvFolderSource)


def test_the_bots_services_fetch_statements_from_yahoo(
    yahoo_double: YahooDouble, tmp_path: Path
) -> None:
    rec = with_timeseries(recorded("BEKE"), four_quarters())
    yahoo_double.serve({"BEKE": listing("BEKE", rec, beke_bars())})
    settings = Settings(
        source="yahoo",
        yahoo_base_url=yahoo_double.base_url,
        cache_path=tmp_path / "cache.sqlite3",
        db_path=tmp_path / "marketbot.sqlite3",
    )
    services = build_services(settings)
    try:
        got = services.statements.get_many(["BEKE"])["BEKE"]
    finally:
        services.close()
    assert got.error is None
    assert got.quarterly and got.quarterly[-1].end.isoformat() == Q4_END
    asked = [r for r in yahoo_double.requests() if "timeseries/BEKE" in r.path]
    assert asked, "the statements were never asked of Yahoo"
