"""The ``marketbot`` console, run as a real subprocess on the shared CSVs.

Contract: ``--json`` prints the structured result; exit 0 answered, 2 bad input, 3 no data;
errors are one line on stderr and never a traceback. Independent processes are started
together and awaited together, so the suite stays fast.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import MARKET_DATA

MARKETBOT = Path(sys.executable).with_name("marketbot")
MEMBER_KEYS = {
    "symbol", "currency", "base_date", "base_close", "end_date", "end_close", "return_pct",
}  # fmt: skip
RETURNS_KEYS = {
    "command", "target", "basis", "currency", "members", "equal_weight_return_pct",
    "excluded", "as_of", "stale",
}  # fmt: skip


@dataclass
class Run:
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    def json(self) -> dict:
        return json.loads(self.out)


def environment(db: Path, source: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETBOT_", "DISCORD_"))}
    env.update(MARKETBOT_SOURCE=source, MARKETBOT_DB=str(db))
    return env


def run_all(
    tmp_path: Path, commands: list[tuple[str, ...]], source: str | None = None, db: Path | None = None
) -> list[Run]:
    """Start every command at once (each with its own database unless ``db`` is given)."""
    procs = []
    for i, args in enumerate(commands):
        env = environment(db or tmp_path / f"db{i}.sqlite3", source or f"csv:{MARKET_DATA}")
        procs.append(
            subprocess.Popen(
                [str(MARKETBOT), *args],
                cwd=tmp_path,  # no stray .env from the repository
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    runs = []
    for args, proc in zip(commands, procs, strict=True):
        out, err = proc.communicate(timeout=60)
        runs.append(Run(args, proc.returncode, out, err))
    return runs


def run(tmp_path: Path, *args: str, source: str | None = None, db: Path | None = None) -> Run:
    return run_all(tmp_path, [args], source, db)[0]


def csv_closes(symbol: str) -> list[tuple[str, float]]:
    with (MARKET_DATA / f"{symbol}.csv").open(newline="") as handle:
        return sorted((r["Date"][:10], float(r["Close"])) for r in csv.DictReader(handle) if r["Close"])


def on_or_before(rows: list[tuple[str, float]], day: str) -> tuple[str, float]:
    return [r for r in rows if r[0] <= day][-1]


def assert_one_line_error(result: Run, code: int) -> str:
    assert result.code == code, (result.args, result.out, result.err)
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("marketbot: "), result.err
    assert result.out == ""
    return lines[0]


def test_returns_json_matches_an_independent_computation(tmp_path: Path) -> None:
    result = run(
        tmp_path, "ask", "/returns target:mag7 start:2024-12-31 end:2025-03-07", "--json"
    )
    assert result.code == 0 and result.err == ""
    data = result.json()
    assert RETURNS_KEYS <= set(data)
    assert (data["command"], data["target"], data["basis"], data["currency"]) == (
        "returns", "mag7", "price", "local",
    )  # fmt: skip
    expected = []
    for member in data["members"]:
        assert set(member) == MEMBER_KEYS
        rows = csv_closes(member["symbol"])
        base, end = on_or_before(rows, "2024-12-31"), on_or_before(rows, "2025-03-07")
        assert [member["base_date"], member["base_close"]] == list(base)
        assert [member["end_date"], member["end_close"]] == list(end)
        assert member["return_pct"] == pytest.approx((end[1] / base[1] - 1) * 100, rel=1e-12)
        expected.append((end[1] / base[1] - 1) * 100)
    assert [m["symbol"] for m in data["members"]] == [
        "AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA",
    ]  # fmt: skip
    assert data["equal_weight_return_pct"] == pytest.approx(sum(expected) / 7, rel=1e-12)
    assert round(data["equal_weight_return_pct"], 1) == -10.3
    assert (data["excluded"], data["as_of"], data["stale"]) == ([], "2025-03-07", False)


def test_text_reply_compare_and_python_m(tmp_path: Path) -> None:
    text, compare = run_all(
        tmp_path,
        [
            ("ask", "/returns target:china-titans start:2024-12-31 end:2025-03-07"),
            ("ask", "/compare left:china-titans right:mag7 start:2024-12-31 end:2025-03-07", "--json"),
        ],
    )
    assert text.code == 0 and text.err == ""
    assert text.out.splitlines()[0] == "China tech titans (china-titans): +42.83%"
    assert "Members: 7 of 7" in text.out
    assert compare.code == 0 and compare.err == ""
    data = compare.json()
    assert data["command"] == "compare"
    assert RETURNS_KEYS <= set(data["left"]) and RETURNS_KEYS <= set(data["right"])
    assert data["spread_pct"] == (
        data["left"]["equal_weight_return_pct"] - data["right"]["equal_weight_return_pct"]
    )
    assert round(data["left"]["equal_weight_return_pct"], 1) == 42.8
    # the module entry point behaves the same
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "/basket show name:mag7", "--json"],
        cwd=tmp_path, env=environment(tmp_path / "m.sqlite3", f"csv:{MARKET_DATA}"),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0 and json.loads(proc.stdout)["members"][:2] == ["AAPL", "MSFT"]


BAD_INPUT = [
    ("/returns target:NOSUCH start:2024-12-31 end:2025-03-07", "Unknown symbol NOSUCH"),
    ("/returns target:mag7 start:2025-3-7", "start: '2025-3-7' is not a date"),
    ("/returns target:mag7 start:2025-02-30", "start: 2025-02-30 is not a real calendar date."),
    ("/returns target:mag7 start:2025-03-07 end:2024-12-31", "must be before end"),
    ("/returns target:mag7 end:2999-01-01", "end: 2999-01-01 is in the future"),
    ("/returns target:mag7 period:ytd start:2025-01-02", "Give either period: or start:, not both."),
    ("/returns target:" + ",".join(f"S{i}" for i in range(26)), "26 symbols given; at most 25"),
    ("/returns target:AAPL$", "is not a valid symbol"),
    ("/returns target:", "/returns needs target:"),
    ("/returns target:mag7 colour:red", "is not an option"),
    ("/returns target:mag7 basis:net", "basis: 'net' is not accepted"),
    ("/basket create name:mag7 members:AAPL", "'mag7' is a preset basket"),
    ("/basket create name:Bad_Name members:AAPL", "is invalid: use 1-32 of a-z 0-9 -."),
    ("/nope", "Unknown command /nope."),
]


def test_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    runs = run_all(tmp_path, [("ask", text, "--json") for text, _ in BAD_INPUT])
    for result, (_, message) in zip(runs, BAD_INPUT, strict=True):
        line = assert_one_line_error(result, 2)
        assert message in line, (result.args, line)


def test_no_data_exits_3_and_bad_settings_exit_2(tmp_path: Path) -> None:
    usd, hkd, settings = run_all(
        tmp_path,
        [
            ("ask", "/returns target:china-titans start:2024-12-31 end:2025-03-07 currency:usd"),
            ("ask", "/returns target:HKD=X start:2025-01-02 end:2025-03-07"),
        ],
    ) + [run(tmp_path, "ask", "/returns target:mag7", source="csv:/no/such/folder")]
    assert "no HKD=X rate" in assert_one_line_error(usd, 3)
    assert "HKD=X: no prices between" in assert_one_line_error(hkd, 3)
    assert "folder '/no/such/folder' does not exist" in assert_one_line_error(settings, 2)


def test_a_broken_source_file_serves_the_cache_marked_stale(tmp_path: Path) -> None:
    folder = tmp_path / "csvs"
    folder.mkdir()
    (folder / "AAPL.csv").symlink_to((MARKET_DATA / "AAPL.csv").resolve())
    db = tmp_path / "shared.sqlite3"
    first = run(
        tmp_path, "ask", "/returns target:AAPL start:2024-12-31 end:2025-03-07", "--json",
        source=f"csv:{folder}", db=db,
    )  # fmt: skip
    assert first.code == 0 and first.json()["stale"] is False
    (folder / "AAPL.csv").unlink()
    (folder / "AAPL.csv").write_text("this is not a price file\n")
    later = run(
        tmp_path, "ask", "/returns target:AAPL start:2024-12-31 end:2025-03-31", "--json",
        source=f"csv:{folder}", db=db,
    )  # fmt: skip
    assert later.code == 0, later.err
    data = later.json()
    assert data["stale"] is True and data["as_of"] == "2025-03-07"
    assert data["equal_weight_return_pct"] == first.json()["equal_weight_return_pct"]
    text = run(
        tmp_path, "ask", "/returns target:AAPL start:2024-12-31 end:2025-03-31",
        source=f"csv:{folder}", db=db,
    )  # fmt: skip
    assert "[stale]" in text.out.splitlines()[0] and "STALE" in text.out
    # a symbol never cached cannot be answered: exit 3
    (folder / "MSFT.csv").write_text("garbage\n")
    none = run(
        tmp_path, "ask", "/returns target:MSFT start:2024-12-31 end:2025-03-07",
        source=f"csv:{folder}", db=db,
    )  # fmt: skip
    assert "no data could be had" in assert_one_line_error(none, 3)


def test_an_internal_error_is_reported_without_a_traceback(tmp_path: Path) -> None:
    db = tmp_path / "damaged.sqlite3"
    assert run(tmp_path, "ask", "/basket list", db=db).code == 0
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE bars")  # a damaged cache: the command itself fails
    conn.commit()
    conn.close()
    result = run(tmp_path, "ask", "/quote symbol:AAPL", db=db)
    assert result.code == 1 and result.out == ""
    assert "Traceback" not in result.err and 'File "' not in result.err
    lines = result.err.strip().splitlines()
    assert lines[-1].startswith("marketbot: Something went wrong on our side (error id ")
    error_id = lines[-1].split("error id ")[1][:8]
    assert any(error_id in line and "no such table: bars" in line for line in lines[:-1])
    # a database path that cannot be opened at all
    unusable = run(tmp_path, "ask", "/basket list", db=tmp_path)
    assert unusable.code == 1 and "Traceback" not in unusable.err
    assert len(unusable.err.strip().splitlines()) == 1
