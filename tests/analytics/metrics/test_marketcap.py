"""/marketcap's analytics on real prices from ../shared/market-data, with stated share counts.

The CSV source reads one folder, so each test builds one in tmp_path: symlinks to the
shared files (read in place, never copied) plus a ``fundamentals.json`` with the share
counts below. Expected values are computed here independently with the csv module.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from analytics.data.sources.csvdir import CsvFolderSource
from analytics.errors import NoDataError
from analytics.metrics.marketcap import SHARES_NOTE, compute_marketcap
from analytics.metrics.periods import Period
from analytics.metrics.targets import Target
from analytics.services import Services
from tests.real_data import MARKET_DATA

CLOCK = datetime(2026, 4, 1, tzinfo=UTC)

#: Stated share counts (round numbers of the right size; the point is the arithmetic).
SHARES = {
    "AAPL": 15_000_000_000,
    "TSLA": 3_200_000_000,
    "0700.HK": 9_200_000_000,
    "9988.HK": 19_000_000_000,
}
LINKED = ("AAPL", "TSLA", "NVDA", "QQQ", "0700.HK", "9988.HK", "HKD=X", "CNY=X")


def csv_rows(symbol: str) -> dict[date, float]:
    """Closes by date straight from the shared file; FX weekend rows are artefacts, dropped."""
    out: dict[date, float] = {}
    with (MARKET_DATA / f"{symbol}.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if not row["Date"] or not row["Close"].strip():
                continue
            day = date.fromisoformat(row["Date"][:10])
            if symbol.endswith("=X") and day.weekday() >= 5:
                continue
            out[day] = float(row["Close"])
    return out


def on_or_before(rows: dict[date, float], day: date) -> tuple[date, float]:
    best = max(d for d in rows if d <= day)
    return best, rows[best]


def usd(symbol: str, value: float, day: date) -> float:
    if not symbol.endswith(".HK"):
        return value
    rate_day, rate = on_or_before(csv_rows("HKD=X"), day)
    assert day - rate_day <= timedelta(days=5)
    return value / rate


def linked_services(tmp_path: Path) -> Services:
    """Services over a tmp folder: symlinks to the shared files plus the share counts."""
    folder = tmp_path / "data"
    folder.mkdir()
    for symbol in LINKED:
        (folder / f"{symbol}.csv").symlink_to((MARKET_DATA / f"{symbol}.csv").resolve())
    fundamentals = {s: {"sharesOutstanding": n} for s, n in SHARES.items()}
    fundamentals["0700.HK"] |= {"currency": "HKD", "financialCurrency": "CNY"}
    fundamentals["NVDA"] = {"currency": "USD", "marketCap": 3e12}  # no share count
    (folder / "fundamentals.json").write_text(json.dumps(fundamentals), encoding="utf-8")
    return Services.open(
        tmp_path / "c.sqlite3",
        tmp_path / "marketbot.sqlite3",
        CsvFolderSource(folder),
        clock=lambda: CLOCK,
    )


@pytest.fixture
def services(tmp_path: Path):
    s = linked_services(tmp_path)
    yield s
    s.close()


def run(services: Services, symbols: tuple[str, ...], period: Period):
    target = Target(",".join(symbols), symbols, "symbols")
    return compute_marketcap(services.market, services.fundamentals, target, period)


def test_change_in_usd_matches_an_independent_computation(services: Services) -> None:
    start, end = date(2024, 6, 28), date(2024, 11, 29)
    symbols = ("AAPL", "TSLA", "0700.HK", "9988.HK")
    result = run(services, symbols, Period(start=start, end=end))
    assert result.excluded == []
    expected: dict[str, float] = {}
    for symbol in symbols:
        rows = csv_rows(symbol)
        base_day, base = on_or_before(rows, start)
        end_day, last = on_or_before(rows, end)
        base_usd = usd(symbol, base * SHARES[symbol], base_day)
        end_usd = usd(symbol, last * SHARES[symbol], end_day)
        expected[symbol] = end_usd - base_usd
        m = next(m for m in result.members if m.symbol == symbol)
        assert (m.base_date, m.end_date) == (base_day, end_day)
        assert m.base_price == pytest.approx(base) and m.end_price == pytest.approx(last)
        assert m.shares == SHARES[symbol]
        assert m.base_cap_usd == pytest.approx(base_usd)
        assert m.end_cap_usd == pytest.approx(end_usd)
        assert m.change_usd == pytest.approx(expected[symbol])
    assert result.total_change_usd == pytest.approx(sum(expected.values()))
    # Largest change (in size) first, and the shares of the total add up to 100%.
    sizes = [abs(m.change_usd) for m in result.members]
    assert sizes == sorted(sizes, reverse=True)
    data = result.to_json()
    assert sum(m["share_of_total_pct"] for m in data["members"]) == pytest.approx(100.0)
    assert data["total_change_usd"] == pytest.approx(sum(expected.values()))
    assert set(data["members"][0]) >= {
        "symbol",
        "shares",
        "base_date",
        "base_price",
        "end_date",
        "end_price",
        "base_cap_usd",
        "end_cap_usd",
        "change_usd",
    }
    assert SHARES_NOTE in result.notes


def test_hk_member_without_a_2025_hkd_rate_is_excluded_with_the_reason(
    services: Services,
) -> None:
    # The shared HKD=X stops in December 2024: no rate for 2025-03-07.
    period = Period(start=date(2024, 12, 31), end=date(2025, 3, 7))
    result = run(services, ("AAPL", "0700.HK"), period)
    assert [m.symbol for m in result.members] == ["AAPL"]
    (gone,) = result.excluded
    assert gone.symbol == "0700.HK"
    assert gone.reason.startswith("not converted to USD: no HKD=X rate")
    rows = csv_rows("AAPL")
    base_day, base = on_or_before(rows, date(2024, 12, 31))
    _, last = on_or_before(rows, date(2025, 3, 7))
    assert result.total_change_usd == pytest.approx((last - base) * SHARES["AAPL"])


def test_members_without_shares_or_fundamentals_are_listed(services: Services) -> None:
    period = Period(start=date(2024, 6, 28), end=date(2024, 11, 29))
    result = run(services, ("AAPL", "NVDA", "QQQ", "NOPE"), period)
    assert [m.symbol for m in result.members] == ["AAPL"]
    reasons = {e.symbol: e.reason for e in result.excluded}
    assert reasons == {
        "NVDA": "no sharesOutstanding in the fundamentals",
        "QQQ": "the data source has no fundamentals",
        "NOPE": "unknown symbol",
    }


def test_nothing_left_is_no_data_with_every_reason(services: Services) -> None:
    period = Period(start=date(2024, 12, 31), end=date(2025, 3, 7))
    with pytest.raises(NoDataError) as caught:
        run(services, ("0700.HK", "NVDA"), period)
    text = str(caught.value)
    assert "0700.HK: not converted to USD: no HKD=X rate" in text
    assert "NVDA: no sharesOutstanding" in text
