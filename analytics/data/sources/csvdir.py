"""A market-data source backed by a folder of ``<SYMBOL>.csv`` files.

Why it exists: people run the bot without network access to Yahoo, or want to replay a
fixed data set; they already have CSVs exported with yfinance or from Yahoo's web page.
The layouts it understands (yfinance's ``history()`` and ``download()`` exports, Yahoo's web
export, close-only files) and the rule that a bar keeps the date as written live in
:mod:`analytics.data.sources.csvlayout`; this module is the folder around them.

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
import os
import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from analytics.data.sources.base import Listing, SymbolHistory
from analytics.data.sources.csvlayout import CsvLayoutError, ParsedFile, parse_rows
from analytics.data.sources.csvsearch import search_folder
from analytics.errors import SourceError

log = logging.getLogger(__name__)

SYMBOL_RE = re.compile(r"(?=.*[A-Z0-9])[A-Z0-9.^=\-]{1,20}")
FUNDAMENTALS_FILE = "fundamentals.json"
#: A price file larger than this is refused rather than read into memory (decades of
#: daily bars are a few MB).
MAX_FILE_BYTES = 64 * 1024 * 1024


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
