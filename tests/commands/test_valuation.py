"""/valuation, /marketcap and /levels as typed, through the registry and the console."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from analytics.data.sources.yahoo import YahooSource
from analytics.services import Services
from bot import cli
from commands.parse import parse_invocation
from commands.registry import COMMANDS, run_text
from commands.spec import Context
from tests.analytics.metrics.test_marketcap import SHARES, csv_rows, linked_services, on_or_before
from tests.analytics.metrics.test_valuation import csv_services, make_folder
from tests.real_data import MARKET_DATA
from tests.source_doubles import Clock
from tests.yahoo_double import YahooDouble, bars_from_shared_csv, symbol_data

MEMBER_KEYS = {
    "symbol",
    "currency",
    "financial_currency",
    "price",
    "market_cap_usd",
    "trailing_pe",
    "forward_pe",
    "price_to_sales",
    "price_to_book",
    "ev_to_ebitda",
}
AGGREGATE_KEYS = {
    "market_cap_usd",
    "trailing_pe",
    "forward_pe",
    "median_trailing_pe",
    "median_forward_pe",
}


@pytest.fixture
def services(tmp_path: Path):
    s = csv_services(make_folder(tmp_path), tmp_path / "c.sqlite3")
    yield s
    s.close()


@pytest.fixture
def marketcap_services(tmp_path: Path):
    s = linked_services(tmp_path)
    yield s
    s.close()


def ask(services: Services, text: str):
    return run_text(text, Context(services))


def test_valuation_vs_json_and_text(services: Services) -> None:
    reply = ask(services, "/valuation target:AAA,BBB.HK,CCC,DDD vs:EEE,FFF")
    assert reply.exit_code == 0, reply.description
    data = reply.data
    assert data["command"] == "valuation"
    for side in (data, data["vs"]):
        assert side["members"] and all(MEMBER_KEYS <= set(m) for m in side["members"])
        assert AGGREGATE_KEYS <= set(side["aggregate"])
    assert data["excluded"] == [{"symbol": "DDD", "reason": "the data source has no fundamentals"}]
    left_t = 120e9 / (100e9 / 20 + 20e9 / 25)
    left_f = 170e9 / (100e9 / 16 + 20e9 / 20 + 50e9 / 50)
    right_t = 200e9 / (100e9 / 20 + 100e9 / 40)
    right_f = 100e9 / (100e9 / 20)  # EEE has no forward EPS: Yahoo's forwardPE is not used
    assert data["aggregate"]["trailing_pe"] == pytest.approx(left_t)
    assert data["vs"]["aggregate"]["forward_pe"] == pytest.approx(right_f)
    assert data["trailing_pe_premium_pct"] == pytest.approx((left_t / right_t - 1) * 100)
    assert data["forward_pe_premium_pct"] == pytest.approx((left_f / right_f - 1) * 100)
    bbb = next(m for m in data["members"] if m["symbol"] == "BBB.HK")
    assert (bbb["currency"], bbb["financial_currency"]) == ("HKD", "CNY")
    assert bbb["trailing_pe"] == pytest.approx(25.0)
    ccc = next(m for m in data["members"] if m["symbol"] == "CCC")
    assert ccc["trailing_pe"] is None and ccc["ratio_basis"]["trailing_pe"] == "n/m"
    text = reply.to_text()
    assert "3.0% premium" in text and "22.4% discount" in text
    assert "25.0x" in text and "n/m" in text and "25.0x*" not in text  # no provider fwd P/E
    assert "CCC: loss-making (n/m) — not in P/E" in text
    assert "DDD: the data source has no fundamentals" in text
    assert "BBB.HK CNY→HKD" in text and "fundamentals as of 2024-12-31" in text


def test_valuation_single_basket(services: Services) -> None:
    reply = ask(services, "/valuation target:AAA,CCC")
    assert reply.exit_code == 0
    assert "vs" not in reply.data and "forward_pe_premium_pct" not in reply.data
    assert reply.title.startswith("AAA,CCC: P/E 20.0x")
    assert reply.data["aggregate"]["market_cap_usd"] == pytest.approx(150e9)


def test_valuation_errors_are_replies(services: Services) -> None:
    reply = ask(services, "/valuation target:DDD")
    assert reply.exit_code == 3 and "DDD: the data source has no fundamentals" in reply.description
    assert ask(services, "/valuation").exit_code == 2
    unknown = ask(services, "/valuation target:nosuchbasket")
    assert unknown.exit_code == 2 and "Unknown symbol NOSUCHBASKET" in unknown.description
    mixed = ask(services, "/valuation target:AAA,NOPE")
    assert mixed.data["excluded"] == [{"symbol": "NOPE", "reason": "unknown symbol"}]


def test_marketcap_command(marketcap_services: Services) -> None:
    reply = ask(
        marketcap_services, "/marketcap target:AAPL,TSLA,0700.HK start:2024-12-31 end:2025-03-07"
    )
    assert reply.exit_code == 0, reply.description
    data = reply.data
    assert data["excluded"][0]["symbol"] == "0700.HK"
    changes = {}
    for symbol in ("AAPL", "TSLA"):
        _, base = on_or_before(csv_rows(symbol), date(2024, 12, 31))
        _, last = on_or_before(csv_rows(symbol), date(2025, 3, 7))
        changes[symbol] = (last - base) * SHARES[symbol]
    expected = sum(changes.values())
    # Largest change in size first.
    assert [m["symbol"] for m in data["members"]] == sorted(
        changes, key=lambda s: abs(changes[s]), reverse=True
    )
    for m in data["members"]:
        assert m["change_usd"] == pytest.approx(changes[m["symbol"]])
    assert data["total_change_usd"] == pytest.approx(expected)
    text = reply.to_text()
    assert "held constant" in text and "no HKD=X rate" in text
    assert reply.title.startswith("AAPL,TSLA,0700.HK lost $")


def test_levels_command(services: Services, tmp_path: Path) -> None:
    folder = tmp_path / "real"
    folder.mkdir()
    (folder / "0700.HK.csv").symlink_to((MARKET_DATA / "0700.HK.csv").resolve())
    real = csv_services(folder, tmp_path / "real.sqlite3")
    try:
        reply = ask(real, "/levels symbol:0700.hk end:2025-03-07")
        assert reply.exit_code == 0, reply.description
        data = reply.data
        assert set(data) >= {
            "symbol",
            "as_of",
            "last_close",
            "peak_close",
            "peak_date",
            "drawdown_pct",
            "highest_since",
            "week_change_pct",
            "high_52w",
            "low_52w",
        }
        assert data["symbol"] == "0700.HK" and data["as_of"] == "2025-03-07"
        assert data["lookback"] == "max" and data["highest_since"] == "2025-03-06"
        assert "highest since 2025-03-06" in reply.to_text()
        high = ask(real, "/levels symbol:0700.HK end:2025-03-06 period:1y")
        assert high.data["highest_since"] is None
        assert "a high of the 1y lookback" in high.to_text()
        assert ask(real, "/levels symbol:0700.HK period:2w").exit_code == 2
        assert ask(real, "/levels symbol:NOPE").exit_code == 2
    finally:
        real.close()


def test_specs_are_registered_with_examples_that_parse() -> None:
    names = [getattr(s, "name", "") for s in COMMANDS]
    for name in ("valuation", "marketcap", "levels"):
        assert name in names and names.index(name) < names.index("basket")
        spec = COMMANDS[names.index(name)]
        parsed, full, options = parse_invocation(spec.example, COMMANDS)
        assert parsed is spec and full == name and options


def test_console_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    folder = make_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MARKETBOT_SOURCE", f"csv:{folder}")
    monkeypatch.setenv("MARKETBOT_DB", str(tmp_path / "console.sqlite3"))
    monkeypatch.setenv("MARKETBOT_CACHE", str(tmp_path / "console-cache.sqlite3"))
    # The real clock: today is long after the files end, so each last close is the price.
    code = cli.main(["ask", "/valuation target:BBB.HK,CCC vs:EEE,FFF", "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["aggregate"]["trailing_pe"] == pytest.approx(25.0)  # CCC loses money
    assert data["aggregate"]["forward_pe"] == pytest.approx(70e9 / (20e9 / 20 + 50e9 / 50))
    assert data["vs"]["aggregate"]["trailing_pe"] == pytest.approx(200e9 / 7.5e9)


def test_valuation_through_yahoo_info_with_a_stale_fallback(
    yahoo_double: YahooDouble, tmp_path: Path
) -> None:
    """BABA is quoted in USD and reports in CNY: EPS is converted at CNY=X on the price date."""
    end = date(2025, 3, 7)
    start = end - timedelta(days=40)
    info = {
        "currency": "USD",
        "financialCurrency": "CNY",
        "sharesOutstanding": 2.3e9,
        "trailingEps": 60.0,  # CNY per ADS here: the totals say so
        "netIncomeToCommon": 60.0 * 2.3e9,  # CNY
        "forwardEps": -1.0,  # a loss: no forward P/E
        "longName": "Alibaba Group Holding Limited",
    }
    yahoo_double.serve(
        {
            "BABA": symbol_data(
                "BABA", bars_from_shared_csv(MARKET_DATA / "BABA.csv", start, end), info=info
            ),
            "CNY=X": symbol_data(
                "CNY=X", bars_from_shared_csv(MARKET_DATA / "CNY=X.csv", start, end)
            ),
        }
    )
    clock = Clock(datetime(2025, 3, 8, 12, tzinfo=UTC))
    services = Services.open(
        tmp_path / "y.sqlite3",
        tmp_path / "marketbot.sqlite3",
        YahooSource(base_url=yahoo_double.base_url),
        clock=clock,
    )
    try:
        reply = ask(services, "/valuation target:BABA")
        assert reply.exit_code == 0, reply.description
        (m,) = reply.data["members"]
        price = csv_rows("BABA")[end]
        _, cny = on_or_before(csv_rows("CNY=X"), end)
        assert m["price"] == pytest.approx(price) and m["price_date"] == end.isoformat()
        assert m["trailing_pe"] == pytest.approx(price / (60.0 / cny))
        assert m["forward_pe"] is None and m["ratio_basis"]["forward_pe"] == "n/m"
        assert m["market_cap_usd"] == pytest.approx(price * 2.3e9)
        assert not reply.stale
        asked = [r for r in yahoo_double.requests() if "quoteSummary/BABA" in r.path]
        assert [r.status for r in asked] == [200]
        # Two days on, Yahoo rate-limits: the cached fundamentals are served, marked stale.
        clock.advance(days=2)
        yahoo_double.rate_limit()
        stale = ask(services, "/valuation target:BABA")
        assert stale.exit_code == 0, stale.description
        assert stale.stale and stale.data["members"][0]["stale"]
        assert stale.data["members"][0]["trailing_pe"] == pytest.approx(m["trailing_pe"])
        assert "STALE" in stale.footer and "rate limited" in stale.to_text()
        again = [r.status for r in yahoo_double.requests() if "quoteSummary/BABA" in r.path]
        assert again[0] == 200 and 429 in again[1:]
    finally:
        services.close()
