"""Parsing a command line exactly as typed in Discord."""

from __future__ import annotations

import pytest

from analytics.errors import UserInputError
from commands.parse import parse_invocation
from commands.registry import COMMANDS


def parse(text: str) -> tuple[str, dict]:
    spec, full, options = parse_invocation(text, COMMANDS)
    assert spec.name == full.split()[-1]
    return full, options


def test_returns_with_every_option() -> None:
    assert parse(
        "/returns target:mag7 start:2024-12-31 end:2025-03-07 basis:TOTAL currency:usd"
    ) == (
        "returns",
        {
            "target": "mag7",
            "start": "2024-12-31",
            "end": "2025-03-07",
            "basis": "total",
            "currency": "usd",
        },
    )


def test_values_may_hold_spaces_and_option_names_are_case_insensitive() -> None:
    assert parse("/RETURNS Target:AAPL, MSFT,0700.HK  Period:YTD") == (
        "returns",
        {"target": "AAPL, MSFT,0700.HK", "period": "ytd"},
    )


def test_compare_and_quote_and_groups() -> None:
    assert parse("/compare left:china-titans right:mag7 period:1y") == (
        "compare",
        {"left": "china-titans", "right": "mag7", "period": "1y"},
    )
    assert parse("/quote symbol:0700.HK") == ("quote", {"symbol": "0700.HK"})
    assert parse("/basket create name:ev members:1211.HK,TSLA") == (
        "basket create",
        {"name": "ev", "members": "1211.HK,TSLA"},
    )
    assert parse("/basket list") == ("basket list", {})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("returns target:mag7", "A command starts with '/'"),
        ("/", "Empty command"),
        ("/retrns target:mag7", "Unknown command /retrns."),
        ("/basket", "/basket needs a subcommand: create, add, remove, delete, show, list."),
        ("/basket rename name:x", "/basket needs a subcommand"),
        ("/returns mag7", "/returns: 'mag7' is not an option. Options: target:, period:"),
        ("/returns foo:bar target:mag7", "/returns: 'foo' is not an option."),
        (
            "/returns target:mag7 colour:red",
            "/returns: 'colour' is not an option. Options: target:",
        ),
        ("/returns target:mag7 target:AAPL", "/returns: option target: given twice."),
        ("/returns period:ytd", "/returns needs target: — e.g. /returns target:mag7"),
        ("/returns target:", "/returns needs target:"),
        ("/returns target:   period:1y", "/returns needs target:"),
        ("/returns target:mag7 period:2w", "period: '2w' is not accepted; use one of 1d, 5d"),
        (
            "/returns target:mag7 basis:dividend",
            "basis: 'dividend' is not accepted; use one of price, total.",
        ),
        (
            "/returns target:mag7 currency:eur",
            "currency: 'eur' is not accepted; use one of local, usd.",
        ),
        ("/returns target:mag7 start:2025-03-07-01", "start: '2025-03-07-01' is not a date"),
        ("/returns target:mag7 end:2025-02-30", "end: 2025-02-30 is not a real calendar date."),
        ("/basket list name:x", "takes no options."),
        ("/compare left:mag7", "/compare needs right:"),
    ],
)
def test_bad_lines_get_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(UserInputError) as info:
        parse_invocation(text, COMMANDS)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
