"""Upstream faults: the real yfinance against the local Yahoo double, through the commands.

Every fault Yahoo shows in practice — 429 on every request, 500s, an answer slower than our
timeout, a refused connection, a body that is not JSON, an empty frame, NaN closes, one
symbol of ten failing — must end in one of two replies: an answer from the cache marked
stale, or a clear "no data could be had". The bad answer is never cached (the bars and
fetch records are fingerprinted before and after), and once Yahoo is well again the next
question gets the real prices (checked against the shared CSVs, read independently).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from analytics.data.sources.yahoo import YahooSource
from analytics.services import Services
from commands.registry import run_text
from commands.reply import Reply
from commands.spec import Context
from tests.real_data import close_on_or_before
from tests.reliability import figures
from tests.reliability.helpers import check_reply, fingerprint
from tests.source_doubles import Clock
from tests.yahoo_double import YahooDouble, closed_port_url, running_double, shared_symbols

pytestmark = pytest.mark.timeout(90)
TEN = ["0700.HK", "0981.HK", "1211.HK", "1810.HK", "9618.HK", "9988.HK", "9999.HK"]
TEN += ["AAPL", "MSFT", "NVDA"]
SERVED = (date(2024, 11, 1), date(2025, 3, 14))
NOW = datetime(2025, 3, 17, 12, 0, tzinfo=UTC)  # the Monday after the last served bar
PRICE_TABLES = ("bars", "fetches")


@dataclass
class Upstream:
    double: YahooDouble
    services: Services
    clock: Clock
    tmp: Path

    def ask(self, text: str) -> Reply:
        reply = run_text(text, Context(self.services, guild_id=1, user_id=1, want_image=False))
        check_reply(reply)
        return reply

    def prices(self) -> dict[str, tuple[int, str]]:
        """Fingerprint of the cached prices and fetch records (not the error diagnostics)."""
        full = fingerprint(self.services.cache.path)
        return {t: full[t] for t in PRICE_TABLES}

    def use_source(self, base_url: str) -> None:
        self.services.market.source = YahooSource(
            base_url=base_url, timeout=1.0, cache_dir=self.tmp / "yf"
        )


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[Upstream]:
    with running_double(shared_symbols(TEN, *SERVED)) as double:
        clock = Clock(NOW)
        source = YahooSource(base_url=double.base_url, timeout=1.0, cache_dir=tmp_path / "yf")
        services = Services.open(
            tmp_path / "cache.sqlite3", tmp_path / "marketbot.sqlite3", source, clock=clock
        )
        try:
            yield Upstream(double, services, clock, tmp_path)
        finally:
            services.close()


def expected_return(symbols: list[str], start: str, end: str) -> str:
    """The equal-weighted return from the CSVs, computed here, as the reply formats it."""
    total = 0.0
    for symbol in symbols:
        base = close_on_or_before(symbol, start)[1]
        last = close_on_or_before(symbol, end)[1]
        total += last / base - 1
    return f"{total / len(symbols) * 100:+.2f}%"


def field(reply: Reply, name: str) -> str:
    return next(f.value for f in reply.fields if f.name == name)


def _rate_limit(u: Upstream) -> None:
    u.double.rate_limit()


def _server_error(u: Upstream) -> None:
    u.double.server_error()


def _hang(u: Upstream) -> None:
    u.double.hang(5.0, symbols=TEN)  # our timeout is 1 s


def _malformed(u: Upstream) -> None:
    u.double.malformed()


def _refused(u: Upstream) -> None:
    u.use_source(closed_port_url())


FAULTS: dict[str, Callable[[Upstream], None]] = {
    "429 on every request": _rate_limit,
    "500 on every request": _server_error,
    "slower than the timeout": _hang,
    "connection refused": _refused,
    "malformed JSON": _malformed,
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_failing_yahoo_gives_stale_answers_or_clear_refusals_and_caches_nothing(
    upstream: Upstream, fault: str
) -> None:
    u = upstream
    warm = u.ask("/returns target:AAPL,MSFT start:2025-01-02 end:2025-02-28")
    assert warm.exit_code == 0 and not warm.stale
    before = u.prices()
    u.double.clear_requests()

    FAULTS[fault](u)
    figures.add("upstream.faults_injected")
    # Needs 1-14 March, which Yahoo will not give: the cached part answers, marked stale.
    stale = u.ask("/returns target:AAPL,MSFT start:2025-01-02 end:2025-03-14")
    assert stale.exit_code == 0, stale.description
    assert stale.stale and "STALE" in stale.footer
    assert stale.data["as_of"] == "2025-02-28"
    assert field(stale, "Equal-weighted") == expected_return(
        ["AAPL", "MSFT"], "2025-01-02", "2025-02-28"
    )
    # Nothing cached at all: a clear "no data", not an invented number.
    cold = u.ask("/returns target:NVDA start:2025-01-02 end:2025-02-28")
    assert cold.exit_code == 3
    assert "no data could be had" in cold.description
    assert u.prices() == before, "a failed fetch changed the cached prices"
    if fault == "slower than the timeout":
        hung = [r for r in u.double.chart_requests() if r.symbol in ("AAPL", "MSFT", "NVDA")]
        assert hung and all(r.status == 0 for r in hung)  # we gave up; Yahoo never answered

    # Yahoo recovers; after the breaker's back-off the next question is answered fresh.
    u.double.clear_faults()
    u.use_source(u.double.base_url)
    u.clock.advance(hours=1)
    fresh = u.ask("/returns target:AAPL,MSFT,NVDA start:2025-01-02 end:2025-03-14")
    assert fresh.exit_code == 0 and not fresh.stale, fresh.description
    assert fresh.data["as_of"] == "2025-03-14"
    assert field(fresh, "Equal-weighted") == expected_return(
        ["AAPL", "MSFT", "NVDA"], "2025-01-02", "2025-03-14"
    )


def test_the_breaker_stops_hammering_yahoo_and_retries_with_backoff(upstream: Upstream) -> None:
    """Request counts at the double, with the injected clock: no request while open, one
    trial after 30 s, then 60 s after a failed trial; a good trial closes it."""
    u = upstream
    u.double.rate_limit()
    counts = []
    for _ in range(3):  # three failures in a row open the breaker
        u.double.clear_requests()
        assert u.ask("/quote symbol:AAPL").exit_code == 3
        counts.append(len(u.double.requests()))
    assert all(c > 0 for c in counts)
    assert u.services.market.breaker.open_until == NOW + u.services.market.breaker.base_delay

    u.double.clear_requests()
    for _ in range(5):  # open: Yahoo is left alone, and the reply says why
        reply = u.ask("/quote symbol:AAPL")
        assert reply.exit_code == 3 and "paused after repeated rate limits" in reply.description
    assert u.double.requests() == []
    figures.add("upstream.calls_held_back_by_breaker", 5)

    u.clock.advance(seconds=31)  # one trial, which fails: the delay doubles to 60 s
    u.ask("/quote symbol:AAPL")
    trial = len(u.double.requests())
    assert trial > 0
    u.ask("/quote symbol:AAPL")
    u.clock.advance(seconds=31)
    u.ask("/quote symbol:AAPL")
    assert len(u.double.requests()) == trial  # still waiting: 31 s < 60 s

    u.double.clear_faults()
    u.clock.advance(seconds=30)  # 61 s after the failed trial: a good trial closes it
    reply = u.ask("/quote symbol:AAPL")
    assert reply.exit_code == 0 and not reply.stale
    assert reply.data["close"] == close_on_or_before("AAPL", "2025-03-14")[1]
    assert u.services.market.breaker.open_until is None


@pytest.mark.parametrize("how", ["server_error", "rate_limit"])
def test_one_symbol_of_ten_failing(upstream: Upstream, how: str) -> None:
    u = upstream
    getattr(u.double, how)(symbols=["0981.HK"])
    figures.add("upstream.faults_injected")
    target = ",".join(TEN)
    reply = u.ask(f"/returns target:{target} start:2024-12-31 end:2025-03-07")
    assert reply.exit_code == 0
    assert field(reply, "Members") == "9 of 10"
    assert "0981.HK: no data could be had" in field(reply, "Left out")
    nine = [s for s in TEN if s != "0981.HK"]
    assert field(reply, "Equal-weighted") == expected_return(nine, "2024-12-31", "2025-03-07")
    cache = u.services.cache
    assert cache.fetches("0981.HK") == [] and cache.count_bars("0981.HK", *SERVED) == 0
    assert all(cache.fetches(s) for s in nine)

    u.double.clear_faults()
    u.double.clear_requests()
    reply = u.ask(f"/returns target:{target} start:2024-12-31 end:2025-03-07")
    assert field(reply, "Members") == "10 of 10"
    assert {r.symbol for r in u.double.chart_requests()} == {"0981.HK"}  # only what was missing
    assert field(reply, "Equal-weighted") == expected_return(TEN, "2024-12-31", "2025-03-07")


def test_an_empty_frame_is_not_cached(upstream: Upstream) -> None:
    u = upstream
    u.double.empty(["AAPL"])
    figures.add("upstream.faults_injected")
    reply = u.ask("/returns target:AAPL start:2025-01-02 end:2025-02-28")
    assert reply.exit_code == 3 and "no prices between" in reply.description
    assert u.services.cache.fetches("AAPL") == []  # the empty answer was not recorded
    u.double.clear_faults()
    reply = u.ask("/returns target:AAPL start:2025-01-02 end:2025-02-28")
    assert reply.exit_code == 0
    assert field(reply, "Return") == expected_return(["AAPL"], "2025-01-02", "2025-02-28")


def test_an_empty_frame_over_cached_rows_keeps_them_and_says_stale(upstream: Upstream) -> None:
    u = upstream
    u.clock.now = datetime(2025, 3, 14, 20, 0, tzinfo=UTC)  # 14 March's bar is still live
    first = u.ask("/returns target:MSFT start:2025-01-02 end:2025-03-14")
    before = u.prices()
    u.double.empty(["MSFT"])
    figures.add("upstream.faults_injected")
    u.clock.advance(hours=1)  # past the TTL of the live bar: 14 March is asked again
    reply = u.ask("/returns target:MSFT start:2025-01-02 end:2025-03-14")
    assert reply.stale and reply.data["members"] == first.data["members"]
    assert u.prices() == before


def test_nan_closes_never_reach_the_cache_or_the_numbers(upstream: Upstream) -> None:
    u = upstream
    holes = {date(2025, 3, 7), date(2025, 2, 3)}
    u.double.nan_closes(["NVDA"], days=holes)
    u.double.nan_closes(["TSLA"])  # every close null (TSLA is not served otherwise)
    u.double.serve(shared_symbols(["TSLA"], *SERVED))
    figures.add("upstream.faults_injected", 2)
    reply = u.ask("/returns target:NVDA start:2025-01-31 end:2025-03-07")
    assert reply.exit_code == 0
    # The null closes are skipped: the end close is the last real one before 7 March.
    member = reply.data["members"][0]
    assert member["end_date"] == "2025-03-06" and member["base_date"] == "2025-01-31"
    assert member["end_close"] == close_on_or_before("NVDA", "2025-03-06")[1]
    conn = u.services.cache.connection()
    bad = conn.execute(
        "SELECT count(*) FROM bars WHERE close IS NULL OR close != close OR close <= 0"
    ).fetchone()[0]
    assert bad == 0
    stored = {r[0] for r in conn.execute("SELECT day FROM bars WHERE symbol = 'NVDA'")}
    assert not {d.isoformat() for d in holes} & stored

    all_nan = u.ask("/returns target:TSLA start:2025-01-02 end:2025-02-28")
    assert all_nan.exit_code == 3 and "no prices between" in all_nan.description
    assert u.services.cache.fetches("TSLA") == []
    u.double.clear_faults()
    healed = u.ask("/returns target:TSLA start:2025-01-02 end:2025-02-28")
    assert healed.exit_code == 0
    assert field(healed, "Return") == expected_return(["TSLA"], "2025-01-02", "2025-02-28")
