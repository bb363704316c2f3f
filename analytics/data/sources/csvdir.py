"""A market-data source backed by a folder of ``<SYMBOL>.csv`` files.

Why it exists: people run the bot without network access to Yahoo, or want to replay a
fixed data set; they already have CSVs exported with yfinance or from Yahoo's web page.
This source reads those exports as they are, in the layouts people actually produce:

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

Safety: a symbol never becomes a path. It is validated (``A-Z 0-9 . ^ = -``, at most 20
characters) and then looked up among the names the folder actually contains, so
``../x`` or ``A/B`` can only ever be "not found".

Parsed files are cached in memory keyed by (path, mtime, size): a changed file is re-read,
an unchanged one never is.
"""

from __future__ import annotations

import copy
import csv
import json
import logging
import math
import os
import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from analytics.errors import SourceError
from analytics.data.sources.base import Bar, Listing, SymbolHistory
from analytics.data.sources.csvsearch import search_folder

log = logging.getLogger(__name__)

SYMBOL_RE = re.compile(r"(?=.*[A-Z0-9])[A-Z0-9.^=\-]{1,20}")
FUNDAMENTALS_FILE = "fundamentals.json"
#: A price file larger than this is refused rather than read into memory (decades of
#: daily bars are a few MB).
MAX_FILE_BYTES = 64 * 1024 * 1024

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


@dataclass(slots=True)
class _CacheEntry:
    stamp: tuple[int, int]  # (mtime_ns, size)
    value: Any


class CsvFolderSource:
    """Daily bars from ``<folder>/<SYMBOL>.csv`` and metadata from ``fundamentals.json``.

    ``fundamentals.json`` (optional) maps symbols to dicts in yfinance ``.info`` field
    names; its ``currency``, ``longName`` and ``timeZoneFullName`` also fill
    :class:`SymbolHistory`. A malformed ``fundamentals.json`` makes :meth:`fetch_info`
    raise :class:`SourceError`, but only logs a warning in :meth:`fetch_history`: prices
    do not depend on it and should not be lost because of it. A missing or unreadable
    folder is a failure of the whole source and raises :class:`SourceError`.

    Thread-safe: the bot calls sources from worker threads.
    """

    label: str = "CSV folder"
    #: fundamentals.json is local and cheap: re-read on every question so edits show at once.
    info_ttl: timedelta = timedelta(0)

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self._cache: dict[Path, _CacheEntry] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CsvFolderSource({str(self.folder)!r})"

    # -- public API ---------------------------------------------------------------------

    def fetch_history(
        self, symbols: Sequence[str], start: date, end: date
    ) -> dict[str, SymbolHistory]:
        """Bars with ``start <= day <= end`` for each symbol; see the Source protocol."""
        files = self._listing()
        try:
            fundamentals = self._fundamentals()
        except SourceError as error:
            log.warning("%s; prices are served without currency or name", error)
            fundamentals = {}
        result: dict[str, SymbolHistory] = {}
        for symbol in symbols:
            history = self._history(symbol, files, start, end)
            info = _lookup(fundamentals, symbol)
            if info is not None:
                history.currency = _text(info.get("currency"))
                history.name = _text(info.get("longName") or info.get("shortName"))
                history.short_name = _text(info.get("shortName"))
                history.exchange = _text(info.get("exchange"))
                history.timezone = _text(
                    info.get("timeZoneFullName") or info.get("exchangeTimezoneName")
                )
            result[symbol] = history
        return result

    def fetch_info(self, symbol: str) -> dict[str, Any] | None:
        """A copy of the symbol's entry in ``fundamentals.json``, or ``None``."""
        if not isinstance(symbol, str) or SYMBOL_RE.fullmatch(symbol) is None:
            return None
        info = _lookup(self._fundamentals(), symbol)
        return copy.deepcopy(info) if info is not None else None

    def fetch_statements(self, symbol: str) -> dict[str, Any] | None:
        """The ``statements`` of the symbol's ``fundamentals.json`` entry
        (``{"quarterly": [{"end", "net_income", ...}], "annual": [...]}``), or ``None``."""
        info = self.fetch_info(symbol)
        periods = (info or {}).get("statements")
        return periods if isinstance(periods, dict) else None

    def search(self, query: str, limit: int = 10, timeout: float | None = None) -> list[Listing]:
        """This folder's symbols whose ticker or ``fundamentals.json`` name matches."""
        try:
            fundamentals = self._fundamentals()
        except SourceError as error:
            log.warning("%s; searching tickers only", error)
            fundamentals = {}
        return search_folder(self._listing(), fundamentals, query, limit)

    # -- internals ----------------------------------------------------------------------

    def _listing(self) -> dict[str, str]:
        """Upper-cased symbol -> actual file name, for every ``*.csv`` in the folder.

        An exact-case name wins over another name that differs only in case.
        """
        try:
            entries = list(os.scandir(self.folder))
        except OSError as error:
            raise SourceError(f"cannot read the CSV folder {self.folder}: {error}") from error
        files: dict[str, str] = {}
        for entry in entries:
            stem, ext = os.path.splitext(entry.name)
            if ext.lower() != ".csv" or not stem:
                continue
            key = stem.upper()
            if key not in files or stem == key:
                files[key] = entry.name
        return files

    def _history(self, symbol: str, files: dict[str, str], start: date, end: date) -> SymbolHistory:
        if not isinstance(symbol, str) or SYMBOL_RE.fullmatch(symbol) is None:
            return SymbolHistory(
                symbol=str(symbol),
                error=f"{symbol!r} is not a valid symbol",
                error_kind="not_found",
            )
        name = files.get(symbol)
        if name is None:
            return SymbolHistory(
                symbol=symbol,
                error=f"no {symbol}.csv in the CSV folder",
                error_kind="not_found",
            )
        path = self.folder / name  # ``name`` comes from the folder listing, not the user
        try:
            parsed = self._parsed(path, symbol)
        except (OSError, UnicodeDecodeError, csv.Error, CsvLayoutError) as error:
            return SymbolHistory(
                symbol=symbol, error=f"cannot read {name}: {error}", error_kind="failed"
            )
        if not parsed.bars:
            bad = parsed.skipped_bad_date
            detail = f" ({bad} row(s) with unreadable dates)" if bad else ""
            return SymbolHistory(
                symbol=symbol,
                error=f"{name} has no usable daily bars{detail}",
                error_kind="no_history",
            )
        low = bisect_left(parsed.days, start)
        high = bisect_right(parsed.days, end)
        return SymbolHistory(symbol=symbol, bars=list(parsed.bars[low:high]))

    def _cached(self, path: Path) -> tuple[tuple[int, int], Any | None]:
        """The file's (mtime, size) stamp and its cached value if the stamp still matches."""
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            entry = self._cache.get(path)
        return stamp, (entry.value if entry is not None and entry.stamp == stamp else None)

    def _store(self, path: Path, stamp: tuple[int, int], value: Any) -> None:
        with self._lock:
            self._cache[path] = _CacheEntry(stamp, value)

    def _parsed(self, path: Path, symbol: str) -> ParsedFile:
        stamp, cached = self._cached(path)
        if cached is not None:
            return cached
        if stamp[1] > MAX_FILE_BYTES:
            raise CsvLayoutError(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
        parsed = parse_rows(rows, symbol)
        name = path.name
        if parsed.skipped_bad_date:
            log.warning(
                "%s: skipped %d row(s) with an unreadable date", name, parsed.skipped_bad_date
            )
        if parsed.dropped_weekend:
            log.info("%s: dropped %d weekend FX bar(s) (artefacts)", name, parsed.dropped_weekend)
        if parsed.duplicates:
            log.warning("%s: %d repeated date(s), kept the last row", name, parsed.duplicates)
        self._store(path, stamp, parsed)
        return parsed

    def _fundamentals(self) -> dict[str, Any]:
        """The parsed ``fundamentals.json`` (``{}`` if absent); cached like price files."""
        path = self.folder / FUNDAMENTALS_FILE
        try:
            stamp, cached = self._cached(path)
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise SourceError(f"cannot read {path}: {error}") from error
        if cached is not None:
            return cached
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError) as error:
            raise SourceError(f"cannot read {path}: {error}") from error
        except json.JSONDecodeError as error:
            raise SourceError(f"{path} is not valid JSON: {error}") from error
        if not isinstance(data, dict):
            raise SourceError(f"{path} must hold a JSON object of symbol -> fields")
        for key, value in data.items():
            if not isinstance(value, dict):
                raise SourceError(f"{path}: the entry for {key!r} must be a JSON object")
        self._store(path, stamp, data)
        return data


def _lookup(fundamentals: dict[str, Any], symbol: str) -> dict[str, Any] | None:
    """The entry for ``symbol``, matching keys exactly first, then case-insensitively."""
    if symbol in fundamentals:
        return fundamentals[symbol]
    upper = symbol.upper()
    for key, value in fundamentals.items():
        if key.upper() == upper:
            return value
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
