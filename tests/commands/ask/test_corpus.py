"""The interpreter on the question corpus: at least 95% must give exactly the expected
command (name and every option, defaults left out), and every refusal must be refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from analytics.data.cache import MarketCache
from analytics.data.names import NameResolver
from commands.ask.lookup import NameFinder, finder
from tests.commands.ask.corpus import describe, got, load
from tests.conftest import FIXED_NOW
from tests.yahoo_search_payloads import PayloadSearch

#: Filled by the test, printed by conftest's terminal summary.
REPORT: list[str] = []


@pytest.fixture(scope="module")
def find(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NameFinder]:
    """Names through a real NameResolver (its market cache in a temp file) on the offline
    search source."""
    cache = MarketCache(tmp_path_factory.mktemp("corpus") / "cache.sqlite3")
    resolver = NameResolver(cache, PayloadSearch(), lambda: FIXED_NOW)  # type: ignore[arg-type]
    yield finder(resolver)
    resolver.close()
    cache.close()


def test_corpus_size() -> None:
    cases = load()
    assert sum(c.kind != "refuse" for c in cases) >= 200
    assert sum(c.kind == "refuse" for c in cases) >= 30


def test_corpus_at_least_95_percent(find: NameFinder) -> None:
    cases = load()
    misses = []
    for case in cases:
        kind, commands = got(case, find)
        if (kind, commands) != (case.kind, case.commands):
            misses.append(
                f"  line {case.line}: {case.question!r}\n"
                f"    expected {describe(case.kind, case.commands)}\n"
                f"    got      {describe(kind, commands)}"
            )
    share = 100 * (len(cases) - len(misses)) / len(cases)
    REPORT[:] = [f"ask corpus: {len(cases) - len(misses)}/{len(cases)} = {share:.1f}%", *misses]
    print("\n".join(REPORT))
    assert share >= 95, "\n".join(REPORT)


def test_every_refusal_is_refused(find: NameFinder) -> None:
    wrong = [c.question for c in load() if c.kind == "refuse" and got(c, find)[0] != "refuse"]
    assert not wrong
