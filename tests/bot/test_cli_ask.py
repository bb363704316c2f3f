"""``marketbot ask 'a question'``: the console path of issue 14, on the shared CSVs.

The numbers are checked against the CSVs read independently (tests/real_data.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics.metrics.targets import PRESETS
from bot.cli import main
from tests.conftest import MARKET_DATA
from tests.real_data import close_on_or_before
from tests.yahoo_double import SEARCH, running_double, shared_symbols


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("DISCORD_TOKEN", "MARKETBOT_DEV_GUILD_ID"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MARKETBOT_SOURCE", f"csv:{MARKET_DATA}")
    monkeypatch.setenv("MARKETBOT_DB", str(tmp_path / "marketbot.sqlite3"))
    # Each test its own market cache: a name one test searched is no answer for the next.
    monkeypatch.setenv("MARKETBOT_CACHE", str(tmp_path / "cache.sqlite3"))
    monkeypatch.setenv("MARKETBOT_LOG_DIR", str(tmp_path / "logs"))


def pct(symbol: str, start: str, end: str) -> float:
    _, base = close_on_or_before(symbol, start)
    _, last = close_on_or_before(symbol, end)
    return (last / base - 1) * 100


def equal_weight(symbols: tuple[str, ...], start: str, end: str) -> float:
    pcts = []
    for s in symbols:
        _, base = close_on_or_before(s, start)
        _, last = close_on_or_before(s, end)
        pcts.append((last / base - 1) * 100)
    return sum(pcts) / len(pcts)


def test_question_json_has_understood_and_the_commands_numbers(capsys) -> None:
    code = main(
        ["ask", "how did the titans do vs the mag 7 between 2024-12-31 and 2025-03-07?", "--json"]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["understood"] == {
        "command": "compare",
        "options": {
            "left": "china-titans",
            "right": "mag7",
            "start": "2024-12-31",
            "end": "2025-03-07",
        },
    }
    left = equal_weight(PRESETS["china-titans"], "2024-12-31", "2025-03-07")
    right = equal_weight(PRESETS["mag7"], "2024-12-31", "2025-03-07")
    assert out["left"]["equal_weight_return_pct"] == pytest.approx(left, abs=1e-6)
    assert out["right"]["equal_weight_return_pct"] == pytest.approx(right, abs=1e-6)
    assert out["spread_pct"] == pytest.approx(left - right, abs=1e-6)


def test_question_text_says_how_it_was_understood(capsys) -> None:
    code = main(["ask", "AAPL, MSFT and NVDA from 2024-12-31 to 2025-03-07"])
    out = capsys.readouterr().out
    assert code == 0
    first = out.splitlines()[0]
    assert first == "Understood as /returns target:AAPL,MSFT,NVDA start:2024-12-31 end:2025-03-07"
    _, base = close_on_or_before("NVDA", "2024-12-31")
    _, last = close_on_or_before("NVDA", "2025-03-07")
    assert f"{(last / base - 1) * 100:+.2f}%" in out


def test_a_failed_answer_still_prints_understood_with_error_and_its_exit_code(capsys) -> None:
    code = main(["ask", "how did ZZZZ do since 2024-12-31", "--json"])
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert code == 2
    assert out["exit_code"] == 2 and "ZZZZ" in out["error"]
    assert out["understood"] == {
        "command": "returns",
        "options": {"target": "ZZZZ", "start": "2024-12-31"},
    }
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    "question",
    [
        "buy 100 TSLA",
        "what's the weather",
        "",
        "?!",
        "x" * 301,
        "how did @everyone do",
        "```AAPL```",
    ],
)
def test_a_refusal_exits_2_with_one_line_and_no_understood(capsys, question: str) -> None:
    code = main(["ask", question, "--json"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("marketbot: ")
    assert "understood" not in captured.err and "Traceback" not in captured.err


def test_two_readings_are_both_printed(capsys) -> None:
    code = main(["ask", "how did the titans do since 3/2/2025?"])
    out = capsys.readouterr().out
    assert code == 2
    assert "/returns target:china-titans start:2025-03-02" in out
    assert "/returns target:china-titans start:2025-02-03" in out


def test_a_slash_line_is_still_a_command(capsys) -> None:
    code = main(["ask", "/ask question:how did the mag 7 do between 2024-12-31 and 2025-03-07"])
    out = capsys.readouterr().out
    assert code == 0
    assert (
        out.splitlines()[0] == "Understood as /returns target:mag7 start:2024-12-31 end:2025-03-07"
    )


def test_an_unseen_company_name_is_searched_once_through_yahoo(
    capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console on the yfinance path: the Yahoo double serves the shared prices and its
    search answers; "tencent" is a name the fresh cache has never seen."""
    mag7 = list(PRESETS["mag7"])
    with running_double(shared_symbols([*mag7, "0700.HK"])) as double:
        monkeypatch.setenv("MARKETBOT_SOURCE", "yahoo")
        monkeypatch.setenv("MARKETBOT_YAHOO_BASE_URL", double.base_url)
        question = "how did tencent do vs the mag 7 between 2024-12-31 and 2025-03-07?"
        code = main(["ask", question, "--json"])
        out = json.loads(capsys.readouterr().out)
        assert code == 0
        assert out["understood"] == {
            "command": "compare",
            "options": {
                "left": "0700.HK",
                "right": "mag7",
                "start": "2024-12-31",
                "end": "2025-03-07",
            },
        }
        hk = pct("0700.HK", "2024-12-31", "2025-03-07")
        right = equal_weight(PRESETS["mag7"], "2024-12-31", "2025-03-07")
        assert out["left"]["equal_weight_return_pct"] == pytest.approx(hk, abs=1e-6)
        assert out["spread_pct"] == pytest.approx(hk - right, abs=1e-6)
        assert [r.query["q"] for r in double.search_requests()] == ["tencent"]

        # Yahoo's real recorded answer for this name (../shared/recorded-yahoo): the London
        # line of Evolution AB, whose prices the double does not have. The command is still
        # said, with the answer's error and its exit code.
        double.clear_requests()
        code = main(["ask", "Evolution Gaming Group's return since 2024-12-31", "--json"])
        out = json.loads(capsys.readouterr().out)
        assert out["understood"] == {
            "command": "returns",
            "options": {"target": "0RQ6.IL", "start": "2024-12-31"},
        }
        assert code != 0 and "0RQ6.IL" in out["error"]
        # One search for the name; then /returns, finding no prices for 0RQ6.IL, asks about
        # it as it does when typed (a symbol the source lacks may be a name).
        assert len(double.search_requests("Evolution Gaming Group")) == 1
        assert {r.query.get("q") or r.query.get("query") for r in double.search_requests()} == {
            "Evolution Gaming Group",
            "0RQ6.IL",
        }


def test_a_name_the_search_cannot_look_up_is_one_line(
    capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_double(shared_symbols(["0700.HK"])) as double:
        double.rate_limit(symbols=[SEARCH])
        monkeypatch.setenv("MARKETBOT_SOURCE", "yahoo")
        monkeypatch.setenv("MARKETBOT_YAHOO_BASE_URL", double.base_url)
        code = main(["ask", "how did tencent do this year", "--json"])
        captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("marketbot: Could not look up the name 'tencent': the search failed")
