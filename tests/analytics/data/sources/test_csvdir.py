"""CsvFolderSource against the real shared CSVs and against synthetic exports.

Expected values on the real files are read here independently with the csv module, so a
parser bug cannot hide behind itself.
"""

from __future__ import annotations

import csv
import json
import logging
import os
from datetime import date
from pathlib import Path

import pytest

from analytics.data.sources.base import Source
from analytics.data.sources.csvdir import CsvFolderSource
from analytics.errors import SourceError
from tests.real_data import MARKET_DATA

MARKET_FILES = sorted(p.name for p in MARKET_DATA.glob("*.csv"))
EVER = (date(1990, 1, 1), date(2100, 1, 1))


def expected_rows(path: Path) -> dict[date, dict[str, str]]:
    """Rows of a shared file with a close, keyed by the date as written (first 10 chars)."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [row for row in reader if row["Date"]]
    return {date.fromisoformat(row["Date"][:10]): row for row in rows if row["Close"]}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def one(source: CsvFolderSource, symbol: str, start: date = EVER[0], end: date = EVER[1]):
    return source.fetch_history([symbol], start, end)[symbol]


@pytest.fixture(scope="module")
def market() -> CsvFolderSource:
    return CsvFolderSource(MARKET_DATA)


def test_is_a_source_with_label() -> None:
    source: Source = CsvFolderSource(MARKET_DATA)
    assert source.label == "CSV folder"


def test_shared_folder_has_every_layout() -> None:
    # The README lists 25 files in three layouts; if they move, these tests must fail.
    assert len(MARKET_FILES) == 25
    assert {"0700.HK.csv", "AAPL.csv", "CNY=X.csv", "HKD=X.csv", "AMZN.csv"} <= set(MARKET_FILES)


@pytest.mark.parametrize("name", MARKET_FILES)
def test_every_shared_file_matches_an_independent_read(market: CsvFolderSource, name: str) -> None:
    symbol = name.removesuffix(".csv")
    expected = expected_rows(MARKET_DATA / name)
    if symbol.endswith("=X"):  # the documented policy: weekend FX bars are artefacts
        expected = {day: row for day, row in expected.items() if day.weekday() < 5}
    history = one(market, symbol)
    assert history.ok and history.error_kind is None
    assert [bar.day for bar in history.bars] == sorted(expected)
    days = sorted(expected)
    by_day = {bar.day: bar for bar in history.bars}
    for day in (days[0], days[len(days) // 2], days[-1]):
        row, bar = expected[day], by_day[day]
        assert bar.close == float(row["Close"])
        assert bar.open == float(row["Open"])
        assert bar.high == float(row["High"])
        assert bar.low == float(row["Low"])
        assert bar.volume == float(row["Volume"])
        assert bar.adj_close is None  # auto-adjusted exports have no Adj Close
    assert all(bar.is_valid() for bar in history.bars)


def test_hong_kong_local_dates_holidays_and_half_day(market: CsvFolderSource) -> None:
    bars = one(market, "0700.HK").bars
    by_day = {bar.day: bar for bar in bars}
    # "2020-01-02 00:00:00+08:00" is 2 January in Hong Kong (1 January in UTC).
    assert bars[0].day == date(2020, 1, 2)
    assert bars[0].close == 340.2901916503906
    assert date(2020, 1, 1) not in by_day
    # Lunar New Year: no rows 29-31 January 2025 in Hong Kong, but New York traded.
    assert {date(2025, 1, 29), date(2025, 1, 30), date(2025, 1, 31)}.isdisjoint(by_day)
    assert date(2025, 1, 28) in by_day and date(2025, 2, 3) in by_day
    ny_days = {bar.day for bar in one(market, "AAPL", date(2025, 1, 29), date(2025, 1, 31)).bars}
    assert ny_days == {date(2025, 1, 29), date(2025, 1, 30), date(2025, 1, 31)}
    # The 2024-12-31 half day: one price, zero volume, kept.
    half = by_day[date(2024, 12, 31)]
    assert half.close == half.open == half.high == half.low == 416.1671142578125
    assert half.volume == 0.0


def test_range_is_inclusive(market: CsvFolderSource) -> None:
    start, end = date(2025, 1, 2), date(2025, 1, 10)
    expected = sorted(d for d in expected_rows(MARKET_DATA / "0700.HK.csv") if start <= d <= end)
    bars = one(market, "0700.HK", start, end).bars
    assert [bar.day for bar in bars] == expected
    assert bars[0].day == start and bars[-1].day == end
    single = one(market, "AAPL", date(2021, 1, 5), date(2021, 1, 5)).bars
    assert [(bar.day, bar.close) for bar in single] == [(date(2021, 1, 5), 127.41272735595703)]


@pytest.mark.parametrize("symbol", ["AMZN", "MSFT"])
def test_trailing_row_without_prices_is_skipped(market: CsvFolderSource, symbol: str) -> None:
    with (MARKET_DATA / f"{symbol}.csv").open(newline="") as handle:
        last = list(csv.reader(handle))[-1]
    assert last[0] == "2026-03-26" and last[1] == ""  # the row really is there, empty
    history = one(market, symbol)
    assert history.bars[-1].day == date(2026, 3, 25)
    empty = one(market, symbol, date(2026, 3, 26), date(2026, 3, 26))
    assert empty.ok and empty.bars == []


def test_fx_weekend_bars_are_dropped(market: CsvFolderSource) -> None:
    raw = expected_rows(MARKET_DATA / "HKD=X.csv")
    assert date(2024, 12, 7) in raw  # the Saturday bad tick is in the file...
    bars = one(market, "HKD=X").bars
    assert bars[-1].day == date(2024, 12, 6)  # ...but is not a trading day
    assert bars[-1].close == float(raw[date(2024, 12, 6)]["Close"])
    # "+01:00" (London summer) dates keep their own date too.
    assert bars[0].day == date(2001, 7, 16)
    cny = {bar.day: bar for bar in one(market, "CNY=X").bars}
    assert date(2025, 7, 13) not in cny and date(2025, 8, 16) not in cny
    assert round(cny[date(2024, 12, 31)].close, 4) == 7.2981  # README's checked figure
    assert all(day.weekday() < 5 for day in cny)


def test_published_basket_figures(market: CsvFolderSource) -> None:
    """Cross-check with the README's Bloomberg figures (close 2025-03-07 / 2024-12-31)."""

    def basket(symbols: list[str]) -> float:
        got = market.fetch_history(symbols, date(2024, 12, 31), date(2025, 3, 7))
        changes = [got[s].bars[-1].close / got[s].bars[0].close - 1 for s in symbols]
        assert all(got[s].bars[0].day == date(2024, 12, 31) for s in symbols)
        return sum(changes) / len(changes)

    titans = ["9988.HK", "0700.HK", "1810.HK", "1211.HK", "0981.HK", "9618.HK", "9999.HK"]
    assert basket(titans) == pytest.approx(0.428, abs=0.001)
    mag7 = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA"]
    assert basket(mag7) == pytest.approx(-0.103, abs=0.001)


# -- synthetic exports --------------------------------------------------------------------


def test_web_export_with_adj_close_and_thousands(tmp_path: Path) -> None:
    write(
        tmp_path,
        "^HSI.csv",
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        '2025-01-03,"19,700.5","19,800.0","19,600.0","19,760.3","19,760.3","1,234,000"\n'
        "2025-01-02,19600,19700,19500,19623.3,19600.1,1000\n",
    )
    bars = one(CsvFolderSource(tmp_path), "^HSI").bars
    assert [bar.day for bar in bars] == [date(2025, 1, 2), date(2025, 1, 3)]  # sorted
    assert bars[0].adj_close == 19600.1 and bars[0].close == 19623.3
    assert bars[1].close == 19760.3 and bars[1].open == 19700.5 and bars[1].volume == 1234000.0


def test_decimal_comma_is_not_read_as_thousands(tmp_path: Path) -> None:
    write(tmp_path, "X.csv", 'Date,Close\n2025-01-02,"7,26"\n2025-01-03,7.25\n')
    bars = one(CsvFolderSource(tmp_path), "X").bars
    assert [(bar.day, bar.close) for bar in bars] == [(date(2025, 1, 3), 7.25)]


def test_close_only(tmp_path: Path) -> None:
    write(tmp_path, "ABC.csv", "Date,Close\n2024-05-02,10.5\n2024-05-03,11\n")
    bars = one(CsvFolderSource(tmp_path), "ABC").bars
    assert [(b.day, b.close, b.open, b.volume) for b in bars] == [
        (date(2024, 5, 2), 10.5, None, None),
        (date(2024, 5, 3), 11.0, None, None),
    ]


@pytest.mark.parametrize("adj", ["adj close", "Adj_Close", "adjclose", "ADJ CLOSE"])
def test_columns_in_any_order_and_case(tmp_path: Path, adj: str) -> None:
    write(
        tmp_path, "ZZ.csv", f"VOLUME,{adj},low,date,CLOSE,High,open\n5,9.5,8,2024-02-01,10,11,9\n"
    )
    (bar,) = one(CsvFolderSource(tmp_path), "ZZ").bars
    assert (bar.day, bar.close, bar.adj_close, bar.open, bar.high, bar.low, bar.volume) == (
        date(2024, 2, 1),
        10.0,
        9.5,
        9.0,
        11.0,
        8.0,
        5.0,
    )


def test_multi_row_header_download(tmp_path: Path) -> None:
    write(
        tmp_path,
        "AAPL.csv",
        "Price,Close,High,Low,Open,Volume\n"
        "Ticker,AAPL,AAPL,AAPL,AAPL,AAPL\n"
        "Date,,,,,\n"
        "2025-01-02,243.26,248.5,241.24,248.33,55740700\n"
        "2025-01-03,243.36,244.18,241.89,243.36,40244100\n",
    )
    bars = one(CsvFolderSource(tmp_path), "AAPL").bars
    assert [(b.day, b.close, b.open, b.volume) for b in bars] == [
        (date(2025, 1, 2), 243.26, 248.33, 55740700.0),
        (date(2025, 1, 3), 243.36, 243.36, 40244100.0),
    ]


def test_multi_symbol_download_picks_the_files_symbol(tmp_path: Path) -> None:
    write(
        tmp_path,
        "MSFT.csv",
        "Ticker,AAPL,MSFT,AAPL,MSFT\nPrice,Close,Close,Volume,Volume\nDate,,,,\n"
        "2025-01-02,243.26,418.58,100,200\n",
    )
    (bar,) = one(CsvFolderSource(tmp_path), "MSFT").bars
    assert (bar.close, bar.volume) == (418.58, 200.0)


def test_offsets_keep_local_dates(tmp_path: Path) -> None:
    write(
        tmp_path,
        "T.csv",
        "Date,Close\n"
        "2025-01-02 00:00:00+08:00,1\n"  # Hong Kong: UTC would say 1 January
        "2025-01-03 00:00:00-05:00,2\n"  # New York: UTC would say 3 January 05:00
        "2025-01-06T00:00:00Z,3\n",
    )
    days = [(b.day, b.close) for b in one(CsvFolderSource(tmp_path), "T").bars]
    assert days == [(date(2025, 1, 2), 1.0), (date(2025, 1, 3), 2.0), (date(2025, 1, 6), 3.0)]


def test_blank_rows_and_bad_closes_are_skipped(tmp_path: Path) -> None:
    write(
        tmp_path,
        "B.csv",
        "\n\nDate,Open,Close\n2025-01-02,1,2\n\n,,\n2025-01-03,1,\n2025-01-06,1,0\n"
        "2025-01-07,1,-3\n2025-01-08,1,nan\n2025-01-09,1,inf\n2025-01-10,1,5\n\n",
    )
    bars = one(CsvFolderSource(tmp_path), "B").bars
    assert [(b.day, b.close) for b in bars] == [(date(2025, 1, 2), 2.0), (date(2025, 1, 10), 5.0)]


def test_garbage_date_row_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path, "G.csv", "Date,Close\n2025-01-02,1\nnot a date,2\n2025-13-45,3\n2025-01-03,4\n")
    with caplog.at_level(logging.WARNING, logger="analytics.data.sources.csvdir"):
        bars = one(CsvFolderSource(tmp_path), "G").bars
    assert [(b.day, b.close) for b in bars] == [(date(2025, 1, 2), 1.0), (date(2025, 1, 3), 4.0)]
    assert any("G.csv" in r.message and "2 row(s)" in r.message for r in caplog.records)


def test_repeated_date_keeps_last_row(tmp_path: Path) -> None:
    write(tmp_path, "D.csv", "Date,Close\n2025-01-02,1\n2025-01-02 00:00:00+08:00,1.5\n")
    bars = one(CsvFolderSource(tmp_path), "D").bars
    assert [(b.day, b.close) for b in bars] == [(date(2025, 1, 2), 1.5)]


def test_weekend_policy_only_for_fx(tmp_path: Path) -> None:
    rows = "Date,Close\n2025-01-03,1\n2025-01-04,2\n2025-01-05,3\n2025-01-06,4\n"  # Fri..Mon
    for name in ("EURUSD=X.csv", "BTC-USD.csv", "2222.SR.csv"):
        write(tmp_path, name, rows)
    got = CsvFolderSource(tmp_path).fetch_history(["EURUSD=X", "BTC-USD", "2222.SR"], *EVER)
    assert [b.close for b in got["EURUSD=X"].bars] == [1.0, 4.0]
    assert [b.close for b in got["BTC-USD"].bars] == [1.0, 2.0, 3.0, 4.0]  # crypto: every day
    assert [b.close for b in got["2222.SR"].bars] == [1.0, 2.0, 3.0, 4.0]  # Saudi trades Sunday


def test_path_traversal_and_invalid_symbols_are_not_found(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (tmp_path / "B").mkdir()
    write(tmp_path, "X.csv", "Date,Close\n2025-01-02,1\n")  # what "../X" would reach
    write(tmp_path / "B", "C.csv", "Date,Close\n2025-01-02,1\n")
    write(folder, "OK.csv", "Date,Close\n2025-01-02,1\n")
    source = CsvFolderSource(folder)
    bad = [
        "X",
        "../x",
        "../X",
        "A/B",
        "../B/C",
        "..",
        "...",
        "/etc/passwd",
        "",
        "ok",
        "A" * 21,
        "A\0",
    ]
    got = source.fetch_history(bad + ["OK"], *EVER)
    for symbol in bad:
        assert got[symbol].error_kind == "not_found", symbol
        assert got[symbol].bars == []
    assert got["OK"].ok and got["OK"].bars[0].close == 1.0
    assert source.fetch_info("../x") is None


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    history = one(CsvFolderSource(tmp_path), "NOPE")
    assert history.error_kind == "not_found" and "NOPE" in (history.error or "")


def test_file_name_case_does_not_matter(tmp_path: Path) -> None:
    write(tmp_path, "brk-b.csv", "Date,Close\n2025-01-02,470\n")
    assert one(CsvFolderSource(tmp_path), "BRK-B").bars[0].close == 470.0


def test_unusable_files(tmp_path: Path) -> None:
    write(tmp_path, "NOCLOSE.csv", "Date,Open\n2025-01-02,1\n")
    write(tmp_path, "EMPTY.csv", "")
    write(tmp_path, "USDATES.csv", "Date,Close\n1/2/2025,1\n1/3/2025,2\n")
    got = CsvFolderSource(tmp_path).fetch_history(["NOCLOSE", "EMPTY", "USDATES"], *EVER)
    assert got["NOCLOSE"].error_kind == "failed" and "NOCLOSE.csv" in got["NOCLOSE"].error
    assert got["EMPTY"].error_kind == "failed"
    assert got["USDATES"].error_kind == "no_history" and "2 row(s)" in got["USDATES"].error


def test_missing_folder_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="nowhere"):
        CsvFolderSource(tmp_path / "nowhere").fetch_history(["A"], *EVER)


def test_parsed_files_are_cached_until_they_change(tmp_path: Path) -> None:
    path = write(tmp_path, "C.csv", "Date,Close\n2025-01-02,1\n")
    source = CsvFolderSource(tmp_path)
    first = one(source, "C").bars
    assert one(source, "C").bars[0] is first[0]  # same objects: the file was not re-read
    path.write_text("Date,Close\n2025-01-02,1\n2025-01-03,2.5\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert [b.close for b in one(source, "C").bars] == [1.0, 2.5]


FUNDAMENTALS = {
    "0700.HK": {
        "currency": "HKD",
        "financialCurrency": "CNY",
        "longName": "Tencent Holdings Limited",
        "sharesOutstanding": 9_200_000_000,
        "trailingEps": 21.0,
        "timeZoneFullName": "Asia/Hong_Kong",
        "officers": [{"name": "Ma Huateng"}],
    }
}


def test_fundamentals_json(tmp_path: Path) -> None:
    write(tmp_path, "0700.HK.csv", "Date,Close\n2025-01-02,400\n")
    write(tmp_path, "AAPL.csv", "Date,Close\n2025-01-02,243\n")
    write(tmp_path, "fundamentals.json", json.dumps(FUNDAMENTALS))
    source = CsvFolderSource(tmp_path)
    info = source.fetch_info("0700.HK")
    assert info == FUNDAMENTALS["0700.HK"]
    info["currency"] = "USD"
    info["officers"].clear()
    assert source.fetch_info("0700.HK") == FUNDAMENTALS["0700.HK"]  # a copy each time
    assert source.fetch_info("AAPL") is None
    got = source.fetch_history(["0700.HK", "AAPL"], *EVER)
    tencent = got["0700.HK"]
    assert (tencent.currency, tencent.name, tencent.timezone) == (
        "HKD",
        "Tencent Holdings Limited",
        "Asia/Hong_Kong",
    )
    assert (got["AAPL"].currency, got["AAPL"].name) == (None, None)


def test_no_fundamentals_file(tmp_path: Path) -> None:
    assert CsvFolderSource(tmp_path).fetch_info("AAPL") is None


@pytest.mark.parametrize("text", ["{not json", '["0700.HK"]', '{"0700.HK": 5}'])
def test_malformed_fundamentals(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    write(tmp_path, "0700.HK.csv", "Date,Close\n2025-01-02,400\n")
    write(tmp_path, "fundamentals.json", text)
    source = CsvFolderSource(tmp_path)
    with pytest.raises(SourceError, match="fundamentals.json"):
        source.fetch_info("0700.HK")
    with caplog.at_level(logging.WARNING, logger="analytics.data.sources.csvdir"):
        history = one(source, "0700.HK")  # prices still served
    assert history.ok and history.bars[0].close == 400.0 and history.currency is None
    assert any("fundamentals.json" in r.getMessage() for r in caplog.records)
