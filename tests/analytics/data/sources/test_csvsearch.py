"""CsvFolderSource.search: its own files' tickers and fundamentals.json names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics.data.sources.csvdir import CsvFolderSource


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for symbol in ("0700.HK", "0981.HK", "TME", "HKD=X", "^HSI"):
        (tmp_path / f"{symbol}.csv").write_text("Date,Close\n2025-01-02,10\n")
    names = {
        "0700.HK": {"longName": "Tencent Holdings Limited", "shortName": "TENCENT"},
        "TME": {"longName": "Tencent Music Entertainment Group", "exchange": "NYQ"},
        "0981.HK": {"longName": "Semiconductor Manufacturing International Corporation"},
    }
    (tmp_path / "fundamentals.json").write_text(json.dumps(names))
    return tmp_path


def test_names_from_fundamentals_json(folder: Path) -> None:
    found = CsvFolderSource(folder).search("tencent")
    assert [x.symbol for x in found] == ["0700.HK", "TME"]
    assert found[0].long_name == "Tencent Holdings Limited"
    assert found[1].exchange == "NYQ"
    assert [x.symbol for x in CsvFolderSource(folder).search("tencent mus")] == ["TME"]
    assert [x.symbol for x in CsvFolderSource(folder).search("tenc")] == ["0700.HK", "TME"]


def test_tickers_rank_exact_then_prefix(folder: Path) -> None:
    found = CsvFolderSource(folder).search("0")
    assert [x.symbol for x in found] == ["0700.HK", "0981.HK"]
    assert [x.symbol for x in CsvFolderSource(folder).search("tme")] == ["TME"]
    assert CsvFolderSource(folder).search("TME")[0].score == 3.0


def test_kinds_and_no_match(folder: Path) -> None:
    kinds = {x.symbol: x.quote_type for x in CsvFolderSource(folder).search("h")}
    assert kinds == {"HKD=X": "CURRENCY"}
    assert CsvFolderSource(folder).search("^hs")[0].quote_type == "INDEX"
    assert CsvFolderSource(folder).search("music") == []  # a name is matched from its start
    assert CsvFolderSource(folder).search("nothing like it") == []


def test_broken_fundamentals_still_finds_tickers(folder: Path) -> None:
    (folder / "fundamentals.json").write_text("{not json")
    assert [x.symbol for x in CsvFolderSource(folder).search("0700")] == ["0700.HK"]
