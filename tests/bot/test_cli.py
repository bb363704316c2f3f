"""The ``marketbot`` console on the shared CSVs.

Contract: ``--json`` prints the structured result; exit 0 answered, 2 bad input, 3 no data;
errors are one line on stderr and never a traceback.

The real executable runs as a subprocess for the contract cases; all of them are started
together by one module fixture and awaited together, so the suite stays fast. The long
table of bad inputs runs through the same ``main()`` in-process.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from analytics.data.cache import MarketCache
from bot.cli import main
from tests.real_data import MARKET_DATA, MEMBER_KEYS, RETURNS_KEYS, on_or_before
from tests.real_data import rows as csv_closes

MARKETBOT = Path(sys.executable).with_name("marketbot")


@dataclass
class Run:
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    def json(self) -> dict:
        return json.loads(self.out)


def environment(cache: Path, source: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETBOT_", "DISCORD_"))}
    server = cache.with_suffix(".server.sqlite3")
    env.update(MARKETBOT_SOURCE=source, MARKETBOT_CACHE=str(cache), MARKETBOT_DB=str(server))
    return env


def assert_one_line_error(result: Run, code: int) -> str:
    assert result.code == code, (result.args, result.out, result.err)
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("marketbot: "), result.err
    assert result.out == ""
    return lines[0]


# -- the real executable -----------------------------------------------------------------

SUBPROCESS_CASES: dict[str, tuple[str, ...]] = {
    "mag7": ("ask", "/returns target:mag7 start:2024-12-31 end:2025-03-07", "--json"),
    "compare": (
        "ask",
        "/compare left:china-titans right:mag7 start:2024-12-31 end:2025-03-07",
        "--json",
    ),  # fmt: skip
    "unknown": ("ask", "/returns target:NOSUCH start:2024-12-31 end:2025-03-07", "--json"),
    "bad_date": ("ask", "/returns target:mag7 start:2025-02-30"),
    "no_fx": ("ask", "/returns target:china-titans start:2024-12-31 end:2025-03-07 currency:usd"),
    "bad_setting": ("ask", "/returns target:mag7"),
    "damaged": ("ask", "/quote symbol:AAPL"),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every subprocess case, started at once, each with its own database in a tmp dir."""
    tmp = tmp_path_factory.mktemp("cli")
    damaged = tmp / "damaged.sqlite3"
    MarketCache(damaged).close()
    conn = sqlite3.connect(damaged)
    conn.execute("DROP TABLE bars")  # a damaged cache: the command itself fails inside
    conn.commit()
    conn.close()
    procs = {}
    for name, args in SUBPROCESS_CASES.items():
        source = "csv:/no/such/folder" if name == "bad_setting" else f"csv:{MARKET_DATA}"
        db = damaged if name == "damaged" else tmp / f"{name}.sqlite3"
        procs[name] = subprocess.Popen(
            [str(MARKETBOT), *args],
            cwd=tmp,  # no stray .env from the repository
            env=environment(db, source),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    out = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=60)
        out[name] = Run(SUBPROCESS_CASES[name], proc.returncode, stdout, stderr)
    return out


def test_returns_json_matches_an_independent_computation(runs: dict[str, Run]) -> None:
    result = runs["mag7"]
    assert result.code == 0 and result.err == ""
    data = result.json()
    assert RETURNS_KEYS <= set(data)
    assert (data["command"], data["target"], data["basis"], data["currency"]) == (
        "returns", "mag7", "price", "local",
    )  # fmt: skip
    assert [m["symbol"] for m in data["members"]] == [
        "AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA",
    ]  # fmt: skip
    expected = []
    for member in data["members"]:
        assert set(member) == MEMBER_KEYS
        rows = csv_closes(member["symbol"])
        base, end = on_or_before(rows, "2024-12-31"), on_or_before(rows, "2025-03-07")
        assert [member["base_date"], member["base_close"]] == list(base)
        assert [member["end_date"], member["end_close"]] == list(end)
        assert member["currency"] == "USD"
        assert member["return_pct"] == pytest.approx((end[1] / base[1] - 1) * 100, rel=1e-12)
        expected.append((end[1] / base[1] - 1) * 100)
    assert data["equal_weight_return_pct"] == pytest.approx(sum(expected) / 7, rel=1e-12)
    assert round(data["equal_weight_return_pct"], 1) == -10.3
    assert (data["excluded"], data["as_of"], data["stale"]) == ([], "2025-03-07", False)


def test_compare_json_has_both_sides_and_the_spread(runs: dict[str, Run]) -> None:
    result = runs["compare"]
    assert result.code == 0 and result.err == ""
    data = result.json()
    assert data["command"] == "compare"
    assert RETURNS_KEYS <= set(data["left"]) and RETURNS_KEYS <= set(data["right"])
    assert (data["left"]["target"], data["right"]["target"]) == ("china-titans", "mag7")
    assert data["spread_pct"] == (
        data["left"]["equal_weight_return_pct"] - data["right"]["equal_weight_return_pct"]
    )
    assert round(data["left"]["equal_weight_return_pct"], 1) == 42.8
    assert round(data["right"]["equal_weight_return_pct"], 1) == -10.3


def test_exit_codes_and_one_line_errors(runs: dict[str, Run]) -> None:
    assert "Unknown symbol NOSUCH" in assert_one_line_error(runs["unknown"], 2)
    assert "start: 2025-02-30 is not a real calendar date." in assert_one_line_error(
        runs["bad_date"], 2
    )
    assert "no HKD=X rate" in assert_one_line_error(runs["no_fx"], 3)
    assert "folder '/no/such/folder' does not exist" in assert_one_line_error(
        runs["bad_setting"], 2
    )


def test_an_internal_error_is_reported_without_a_traceback(runs: dict[str, Run]) -> None:
    result = runs["damaged"]
    assert result.code == 1 and result.out == ""
    assert "Traceback" not in result.err and 'File "' not in result.err
    lines = result.err.strip().splitlines()
    assert lines[-1].startswith("marketbot: Something went wrong on our side (error id ")
    error_id = lines[-1].split("error id ")[1][:8]
    # the logged line carries the same id and the cause, on one line
    assert any(error_id in line and "no such table: bars" in line for line in lines[:-1])


# -- the same main(), in-process ---------------------------------------------------------


@pytest.fixture
def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith(("MARKETBOT_", "DISCORD_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("MARKETBOT_SOURCE", f"csv:{MARKET_DATA}")
    monkeypatch.setenv("MARKETBOT_DB", str(tmp_path / "console.sqlite3"))
    monkeypatch.setenv("MARKETBOT_CACHE", str(tmp_path / "console-cache.sqlite3"))

    def ask(*args: str) -> Run:
        code = main(["ask", *args])
        captured = capsys.readouterr()
        return Run(args, code, captured.out, captured.err)

    return ask


BAD_INPUT = [
    ("/returns target:mag7 start:2025-3-7", "start: '2025-3-7' is not a date"),
    ("/returns target:mag7 start:2025-03-07 end:2024-12-31", "must be before end"),
    ("/returns target:mag7 end:2999-01-01", "end: 2999-01-01 is in the future"),
    (
        "/returns target:mag7 period:ytd start:2025-01-02",
        "Give either period: or start:, not both.",
    ),
    ("/returns target:" + ",".join(f"S{i}" for i in range(26)), "26 symbols given; at most 25"),
    ("/returns target:AAPL$", "is not a valid symbol"),
    ("/returns target:", "/returns needs target:"),
    ("/returns target:,", "Empty target"),
    ("/returns target:my-very-long-basket-name", "No basket named 'my-very-long-basket-name'"),
    ("/returns target:mag7 colour:red", "'colour' is not an option"),
    ("/returns target:mag7 basis:net", "basis: 'net' is not accepted"),
    ("/basket create name:mag7 members:AAPL", "'mag7' is a preset basket"),
    ("/basket create name:Bad_Name members:AAPL", "is invalid: use 1-32 of a-z 0-9 -."),
    ("/nope", "Unknown command /nope."),
]


@pytest.mark.parametrize(("text", "message"), BAD_INPUT)
def test_bad_input_exits_2_with_one_line(console, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    line = assert_one_line_error(console(text, "--json"), 2)
    assert message in line


def test_text_reply(console) -> None:  # type: ignore[no-untyped-def]
    result = console("/returns target:china-titans start:2024-12-31 end:2025-03-07")
    assert result.code == 0 and result.err == ""
    assert result.out.splitlines()[0] == "China tech titans (china-titans): +42.83%"
    assert "Members: 7 of 7" in result.out
    assert "as of 2025-03-07" in result.out


def test_the_console_prints_clean_text_not_discord_markdown(console) -> None:  # type: ignore[no-untyped-def]
    compare = console("/compare left:china-titans right:mag7 start:2024-12-31 end:2025-03-07")
    assert compare.code == 0 and compare.err == ""
    # Discord gets "**china-titans** +42.83% vs **mag7** ..."; the terminal, the words.
    assert "china-titans +42.83% vs mag7 -10.35%" in compare.out
    helped = console("/help")
    assert helped.code == 0
    assert "/returns target:mag7 start:2024-12-31 end:2025-03-07" in helped.out.splitlines()
    for out in (compare.out, helped.out):
        assert "**" not in out and "`" not in out


def test_no_prices_in_the_range_exits_3(console) -> None:  # type: ignore[no-untyped-def]
    line = assert_one_line_error(
        console("/returns target:HKD=X start:2025-01-02 end:2025-03-07"), 3
    )
    assert "HKD=X: no prices between" in line


def test_a_broken_source_file_serves_the_cache_marked_stale(
    console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "csvs"
    folder.mkdir()
    (folder / "AAPL.csv").symlink_to((MARKET_DATA / "AAPL.csv").resolve())
    monkeypatch.setenv("MARKETBOT_SOURCE", f"csv:{folder}")
    first = console("/returns target:AAPL start:2024-12-31 end:2025-03-07", "--json")
    assert first.code == 0 and first.json()["stale"] is False
    (folder / "AAPL.csv").unlink()
    (folder / "AAPL.csv").write_text("this is not a price file\n")
    later = console("/returns target:AAPL start:2024-12-31 end:2025-03-31", "--json")
    assert later.code == 0, later.err
    data = later.json()
    assert data["stale"] is True and data["as_of"] == "2025-03-07"
    assert data["equal_weight_return_pct"] == first.json()["equal_weight_return_pct"]
    text = console("/returns target:AAPL start:2024-12-31 end:2025-03-31")
    assert "[stale]" in text.out.splitlines()[0] and "STALE" in text.out
    # a symbol never cached cannot be answered: exit 3
    (folder / "MSFT.csv").write_text("garbage\n")
    none = console("/returns target:MSFT start:2024-12-31 end:2025-03-07")
    assert "no data could be had" in assert_one_line_error(none, 3)


def test_an_unusable_database_path_is_one_line(console, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MARKETBOT_DB", str(tmp_path))  # a directory, not a database file
    result = console("/basket list")
    # A bad setting now: refused at start, naming the setting and what is accepted.
    line = assert_one_line_error(result, 2)
    assert "MARKETBOT_DB" in line and "is a folder; use a path to a SQLite file" in line
    assert list(tmp_path.glob("*.sqlite3")) == []  # nothing was created beside it


def test_an_unreachable_postgresql_is_one_line_at_start_and_creates_nothing(
    console, monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from tests.pg_server import free_port

    port = free_port()  # nothing listens there
    monkeypatch.setenv("MARKETBOT_DB", f"postgresql://bot:hunter2@127.0.0.1:{port}/marketbot")
    result = console("/basket list")
    line = assert_one_line_error(result, 2)
    assert line.startswith(
        f"marketbot: MARKETBOT_DB: cannot use PostgreSQL at postgresql://bot:***@127.0.0.1:{port}"
        "/marketbot: "
    )
    assert "hunter2" not in result.err + result.out
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no "postgresql:" folder, no file


def test_a_database_file_that_is_not_sqlite_is_one_line(
    console, monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database at all, " * 100)
    monkeypatch.setenv("MARKETBOT_DB", str(garbage))
    result = console("/basket list")
    assert result.code == 1 and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1
