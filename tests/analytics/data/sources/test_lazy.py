"""LazySource: built on first use, and passing on every call a source answers, the name
search included (NameResolver finds it by name: a missing one silently finds nothing)."""

from __future__ import annotations

from analytics.data.sources.base import Listing
from analytics.data.sources.lazy import LazySource
from tests.source_doubles import MemorySource
from tests.yahoo_search_payloads import PayloadSearch


def test_search_is_passed_on_and_builds_the_source_once() -> None:
    inner = PayloadSearch()
    built: list[int] = []

    def build() -> PayloadSearch:
        built.append(1)
        return inner

    lazy = LazySource(build, label="test")  # type: ignore[arg-type]
    assert built == []
    found = lazy.search("tencent", limit=2, timeout=1.5)
    assert [x.symbol for x in found] == ["0700.HK", "TCEHY"]
    assert isinstance(found[0], Listing) and found[0].long_name == "Tencent Holdings Limited"
    assert lazy.search("alibaba")[0].symbol == "BABA"
    assert inner.queries == ["tencent", "alibaba"] and built == [1]


def test_a_source_without_search_finds_nothing() -> None:
    lazy = LazySource(lambda: MemorySource({}), label="memory")
    assert lazy.search("tencent") == []


def test_every_method_yahoo_answers_is_passed_on() -> None:
    """Callers find optional methods by name (``getattr(source, "fetch_statements")``): a
    method YahooSource has and LazySource lacks is silently never called on the bot."""
    from analytics.data.sources.yahoo import YahooSource

    public = {
        n for n in vars(YahooSource) if not n.startswith("_") and callable(getattr(YahooSource, n))
    }
    assert {"fetch_history", "fetch_info", "fetch_statements", "search"} <= public
    missing = {n for n in public if not callable(getattr(LazySource, n, None))}
    assert missing == set()


def test_statements_are_passed_on_and_none_without_them() -> None:
    class WithStatements(MemorySource):
        def fetch_statements(self, symbol: str) -> dict[str, object] | None:
            return {"symbol": symbol, "quarterly": []}

    lazy = LazySource(lambda: WithStatements({}), label="memory")
    assert lazy.fetch_statements("BEKE") == {"symbol": "BEKE", "quarterly": []}
    assert LazySource(lambda: MemorySource({}), label="memory").fetch_statements("BEKE") is None
