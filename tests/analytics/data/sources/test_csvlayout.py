"""The CSV layouts on rows of cells, without a folder: what is kept, what is skipped and
counted, and which headers are refused.

test_csvdir.py reads the same layouts through files and the folder source; these tests pin
the parser's own contract (its counts and its errors), which the folder only logs.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from analytics.data.sources.base import Bar
from analytics.data.sources.csvlayout import CsvLayoutError, ParsedFile, is_fx, parse_rows


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def closes(parsed: ParsedFile) -> list[tuple[date, float]]:
    return [(bar.day, bar.close) for bar in parsed.bars]


def test_history_export_keeps_every_field_and_ignores_extra_columns() -> None:
    parsed = parse_rows(
        rows(
            "Date,Open,High,Low,Close,Volume,Dividends,Stock Splits\n"
            "2020-01-02 00:00:00+08:00,335.1,340.9,334.2,340.29,12345,0.0,0.0\n"
        ),
        "0700.HK",
    )
    assert parsed.bars == (
        Bar(
            day=date(2020, 1, 2),
            close=340.29,
            open=335.1,
            high=340.9,
            low=334.2,
            adj_close=None,
            volume=12345.0,
        ),
    )
    assert parsed.days == (date(2020, 1, 2),)
    assert (parsed.skipped_bad_date, parsed.skipped_no_close) == (0, 0)
    assert (parsed.dropped_weekend, parsed.duplicates) == (0, 0)


def test_days_are_sorted_and_match_the_bars() -> None:
    parsed = parse_rows(rows("Date,Close\n2025-01-06,3\n2025-01-02,1\n2025-01-03,2\n"), "X")
    assert parsed.days == (date(2025, 1, 2), date(2025, 1, 3), date(2025, 1, 6))
    assert [bar.close for bar in parsed.bars] == [1.0, 2.0, 3.0]


def test_skipped_rows_are_counted_by_reason() -> None:
    text = (
        "Date,Close\n"
        "2025-01-02,1\n"
        "not a date,2\n"  # bad date
        "2025-02-30,3\n"  # bad date: no 30 February
        "2025-01-03,\n"  # no close
        "2025-01-06,0\n"  # no close: not positive
        "2025-01-07,n/a\n"  # no close
        "2025-01-08,4\n"
        "2025-01-08,4.5\n"  # repeated day: the last row wins
    )
    parsed = parse_rows(rows(text), "X")
    assert closes(parsed) == [(date(2025, 1, 2), 1.0), (date(2025, 1, 8), 4.5)]
    assert parsed.skipped_bad_date == 2
    assert parsed.skipped_no_close == 3
    assert parsed.duplicates == 1
    assert parsed.dropped_weekend == 0


def test_fx_weekend_rows_are_dropped_and_counted_other_symbols_keep_them() -> None:
    text = "Date,Close\n2025-01-03,1\n2025-01-04,2\n2025-01-05,3\n2025-01-06,4\n"  # Fri..Mon
    fx = parse_rows(rows(text), "HKD=X")
    assert closes(fx) == [(date(2025, 1, 3), 1.0), (date(2025, 1, 6), 4.0)]
    assert fx.dropped_weekend == 2
    crypto = parse_rows(rows(text), "BTC-USD")
    assert [bar.close for bar in crypto.bars] == [1.0, 2.0, 3.0, 4.0]
    assert crypto.dropped_weekend == 0


@pytest.mark.parametrize(
    ("symbol", "fx"), [("HKD=X", True), ("EURUSD=X", True), ("AAPL", False), ("X", False)]
)
def test_is_fx(symbol: str, fx: bool) -> None:
    assert is_fx(symbol) is fx


@pytest.mark.parametrize(
    ("cell", "close"),
    [
        ("1,234.5", 1234.5),
        ("1,234,567", 1234567.0),
        (" 12.25 ", 12.25),
        ("-", None),
        ("null", None),
        ("NaN", None),
        ("inf", None),
        ("7,26", None),  # a decimal comma is refused, not read as 726
        ("12,34,5", None),  # commas that do not group thousands
    ],
)
def test_numbers_in_cells(cell: str, close: float | None) -> None:
    parsed = parse_rows([["Date", "Close"], ["2025-01-02", cell]], "X")
    if close is None:
        assert parsed.bars == () and parsed.skipped_no_close == 1
    else:
        assert closes(parsed) == [(date(2025, 1, 2), close)]


def test_only_an_adjusted_close_serves_as_the_close() -> None:
    (bar,) = parse_rows(rows("Date,Adj Close\n2025-01-02,9.5\n"), "X").bars
    assert (bar.close, bar.adj_close) == (9.5, 9.5)


def test_an_unnamed_first_column_is_the_date() -> None:
    (bar,) = parse_rows(rows(",Close,Volume\n2025-01-02,5,10\n"), "X").bars
    assert (bar.day, bar.close, bar.volume) == (date(2025, 1, 2), 5.0, 10.0)


def test_multi_row_header_rows_are_not_counted_as_bad_dates() -> None:
    parsed = parse_rows(
        rows(
            "Price,Close,Volume\nTicker,AAPL,AAPL\nDate,,\n"
            "2025-01-02,243.26,55740700\n2025-01-03,243.36,40244100\n"
        ),
        "AAPL",
    )
    assert closes(parsed) == [(date(2025, 1, 2), 243.26), (date(2025, 1, 3), 243.36)]
    assert parsed.skipped_bad_date == 0 and parsed.skipped_no_close == 0


def test_a_single_column_is_used_whatever_its_ticker_says() -> None:
    # ^HSI saved as HSI.csv by its owner still reads.
    parsed = parse_rows(rows("Price,Close\nTicker,^HSI\nDate,\n2025-01-02,19623.3\n"), "HSI")
    assert closes(parsed) == [(date(2025, 1, 2), 19623.3)]


@pytest.mark.parametrize(
    ("text", "symbol", "says"),
    [
        ("", "X", "empty"),
        ("\n\n,,\n", "X", "empty"),
        ("Date,Open\n2025-01-02,1\n", "X", "no header row with a Close column"),
        # The header must lead: a title row above it is not skipped over.
        ("My prices\nDate,Close\n2025-01-02,1\n", "X", "no header row with a Close column"),
        (
            "Ticker,AAPL,MSFT\nPrice,Close,Close\nDate,,\n2025-01-02,1,2\n",
            "NVDA",
            "cannot tell which 'close' column belongs to NVDA",
        ),
        ("Date,Close,Close\n2025-01-02,1,2\n", "X", "cannot tell which 'close' column"),
    ],
)
def test_unreadable_headers_are_layout_errors(text: str, symbol: str, says: str) -> None:
    with pytest.raises(CsvLayoutError, match=says):
        parse_rows(rows(text), symbol)


def test_a_layout_error_is_a_value_error() -> None:
    # The folder source catches it beside OSError and csv.Error; callers may catch ValueError.
    assert issubclass(CsvLayoutError, ValueError)
