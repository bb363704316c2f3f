"""Reading the CSV layouts people export into daily bars: pure, no files, no logging.

Why this is its own module: knowing the layouts is a different job from being a source.
:class:`~analytics.data.sources.csvdir.CsvFolderSource` finds files, guards paths, caches by
mtime, reads ``fundamentals.json`` and logs; this module only turns rows of cells into
:class:`Bar` values, so every layout rule can be tested on rows without a folder, and a
second reader of exported CSVs could reuse it without the folder's policies.

The layouts, as people actually produce them:

* ``Ticker.history().to_csv()``: ``Date,Open,High,Low,Close,Volume,Dividends,Stock Splits``
  with dates like ``2020-01-02 00:00:00+08:00``;
* ``yf.download()`` of one symbol: ``Date,Close,High,Low,Open,Volume``, including the
  multi-row header yfinance 0.2.x+ writes (``Price,Close,...`` / ``Ticker,AAPL,...`` /
  ``Date,,,...``);
* Yahoo's web export: ``Date,Open,High,Low,Close,Adj Close,Volume`` (numbers may carry
  thousands separators, ``"1,234.5"``);
* close-only files: ``Date,Close``.

Column names match in any order and case (``Adj Close``, ``adj_close``, ``adjclose``).

Dates: a daily bar keeps its own exchange-local date, the date part *as written*.
``2025-01-02 00:00:00+08:00`` is 2 January; converting to UTC would move Asian bars to
the previous day and break every period boundary.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from analytics.data.sources.base import Bar

_DATE_RE = re.compile(r"\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T].*)?\s*")
_THOUSANDS_RE = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_MISSING = {"", "null", "nan", "none", "-", "n/a", "na"}
#: Normalised header name (lower case, no spaces/underscores/hyphens) -> field.
_ALIASES = dict(
    date="date", datetime="date", timestamp="date", close="close", adjclose="adj_close",
    adjustedclose="adj_close", open="open", high="high", low="low", volume="volume",
)  # fmt: skip
#: First cells of the extra header rows pandas writes for MultiIndex columns.
_HEADER_MARKERS = {"price", "ticker", "date", "datetime", "timestamp", ""}


class CsvLayoutError(ValueError):
    """The file has no recognisable header (no date or no close column)."""


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


def _number(text: str) -> float | None:
    """A finite float from a cell, tolerating ``"1,234.5"``; else ``None``.

    Commas are removed only when they group thousands, so a decimal comma (``"7,26"``)
    is refused rather than read as 726.
    """
    cell = text.strip()
    if _THOUSANDS_RE.fullmatch(cell):
        cell = cell.replace(",", "")
    if cell.lower() in _MISSING:
        return None
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _day(text: str) -> date | None:
    """The date part as written (no time-zone conversion), or ``None`` if unparsable."""
    match = _DATE_RE.fullmatch(text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def is_fx(symbol: str) -> bool:
    """Yahoo FX symbols end in ``=X`` (``HKD=X``, ``EURUSD=X``)."""
    return symbol.endswith("=X")


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """The valid bars of one file, sorted by day, plus what was left out and why."""

    bars: tuple[Bar, ...]
    days: tuple[date, ...]
    skipped_bad_date: int = 0
    skipped_no_close: int = 0
    dropped_weekend: int = 0
    duplicates: int = 0


def _find_header(rows: list[list[str]]) -> tuple[int, list[str], list[str] | None]:
    """Index of the header row, its cells, and the ``Ticker`` row's cells if any.

    The header is the first of the leading rows that names a close column; a yfinance
    multi-row header (``Price,...`` / ``Ticker,...`` / ``Date,,,``) puts the field names
    on the ``Price`` row and leaves the date column unnamed there.
    """
    ticker_row: list[str] | None = None
    for index, row in enumerate(rows[:4]):
        names = [_norm(cell) for cell in row]
        if names and names[0] == "ticker":
            ticker_row = row
        if any(_ALIASES.get(name) in ("close", "adj_close") for name in names):
            if ticker_row is None and index + 1 < len(rows) and rows[index + 1]:
                if _norm(rows[index + 1][0]) == "ticker":
                    ticker_row = rows[index + 1]
            return index, row, ticker_row
        if names and names[0] not in _HEADER_MARKERS:
            break
    raise CsvLayoutError("no header row with a Close column")


def _columns(header: list[str], ticker_row: list[str] | None, symbol: str) -> dict[str, int]:
    """Field name -> column index. The date is column 0 unless a column is named so.

    A field named twice (a multi-symbol ``yf.download()``) is resolved with the
    ``Ticker`` row; a single column is used whatever its ticker says, so a file renamed
    by its owner (``^HSI`` saved as ``HSI.csv``) still reads.
    """
    candidates: dict[str, list[int]] = {}
    for index, cell in enumerate(header):
        name = _ALIASES.get(_norm(cell))
        if name is not None:
            candidates.setdefault(name, []).append(index)
    columns: dict[str, int] = {}
    for name, indexes in candidates.items():
        if len(indexes) > 1 and ticker_row is not None:
            indexes = [
                i
                for i in indexes
                if i < len(ticker_row) and ticker_row[i].strip().upper() == symbol.upper()
            ]
        if len(indexes) != 1:
            raise CsvLayoutError(f"cannot tell which {name!r} column belongs to {symbol}")
        columns[name] = indexes[0]
    columns.setdefault("date", 0)
    if "close" not in columns:
        if "adj_close" not in columns:
            raise CsvLayoutError("no Close column")
        columns["close"] = columns["adj_close"]  # only an adjusted close: it is the close
    return columns


def parse_rows(rows: list[list[str]], symbol: str) -> ParsedFile:
    """Parse CSV rows into valid bars. Pure: no I/O, no logging (the caller logs).

    Rows that are blank, have no usable close, or have an unparsable date are skipped and
    counted. For FX symbols (``=X``) Saturday and Sunday bars are dropped and counted:
    Yahoo's FX daily bars are Monday-Friday and a weekend row (``HKD=X`` 2024-12-07,
    several ``CNY=X`` rows in 2025) is an artefact of a late tick, not a trading day.
    Other symbols keep weekend rows as written, because some exchanges do trade on
    Sundays (Saudi Arabia, Qatar) and crypto trades every day. When a day appears twice
    the last row wins (files are appended to over time).
    """
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise CsvLayoutError("the file is empty")
    header_index, header, ticker_row = _find_header(rows)
    columns = _columns(header, ticker_row, symbol)
    fx = is_fx(symbol)
    by_day: dict[date, Bar] = {}
    bad_date = no_close = weekend = duplicates = 0

    def cell(row: list[str], name: str) -> float | None:
        index = columns.get(name)
        if index is None or index >= len(row):
            return None
        return _number(row[index])

    for row in rows[header_index + 1 :]:
        first = row[columns["date"]] if columns["date"] < len(row) else ""
        if _norm(first) in ("ticker", "date", "price") and cell(row, "close") is None:
            continue  # the remaining rows of a multi-row header
        day = _day(first)
        if day is None:
            bad_date += 1
            continue
        close = cell(row, "close")
        if close is None or close <= 0:
            no_close += 1
            continue
        if fx and day.weekday() >= 5:
            weekend += 1
            continue
        if day in by_day:
            duplicates += 1
        by_day[day] = Bar(
            day=day,
            close=close,
            open=cell(row, "open"),
            high=cell(row, "high"),
            low=cell(row, "low"),
            adj_close=cell(row, "adj_close"),
            volume=cell(row, "volume"),
        )
    bars = tuple(by_day[day] for day in sorted(by_day))
    return ParsedFile(
        bars=bars,
        days=tuple(bar.day for bar in bars),
        skipped_bad_date=bad_date,
        skipped_no_close=no_close,
        dropped_weekend=weekend,
        duplicates=duplicates,
    )
