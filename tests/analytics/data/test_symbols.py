"""Symbol validation, comma lists and the currency implied by a symbol."""

from __future__ import annotations

import pytest

from analytics.data.symbols import (
    MAX_SYMBOLS,
    currency_from_suffix,
    fx_symbol,
    normalize_symbol,
    parse_symbol_list,
)
from analytics.errors import UserInputError


@pytest.mark.parametrize(
    ("text", "symbol"),
    [
        ("aapl", "AAPL"),
        (" 0700.hk ", "0700.HK"),
        ("^hsi", "^HSI"),
        ("HKD=X", "HKD=X"),
        ("brk-b", "BRK-B"),
        ("600519.SS", "600519.SS"),
    ],
)
def test_valid_symbols_are_upper_cased(text: str, symbol: str) -> None:
    assert normalize_symbol(text) == symbol


@pytest.mark.parametrize(
    "text",
    [
        "AAPL;DROP",
        "A/B",
        "../etc",
        "AA PL",
        "<@123>",
        "A" * 21,
        "ÄPPLE",
        # Non-ASCII letters whose upper case is ASCII ("ß" -> "SS", "ﬁ" -> "FI", "ı" -> "I")
        # are still characters outside A-Z 0-9 . ^ = - and must be refused, not rewritten.
        "ßAP",
        "ﬁsv",
        "ıbm",
    ],
)
def test_symbols_with_other_characters_are_refused(text: str) -> None:
    with pytest.raises(UserInputError) as info:
        normalize_symbol(text)
    message = str(info.value)
    assert "is not a valid symbol" in message
    assert "A-Z 0-9 . ^ = -" in message
    assert "\n" not in message
    # user text is echoed inert: no markup or mention characters survive
    assert "<" not in message and "@" not in message and ";" not in message


def test_empty_symbol_is_refused() -> None:
    with pytest.raises(UserInputError, match="Empty symbol"):
        normalize_symbol("   ")


def test_comma_list_is_parsed_in_order_without_duplicates() -> None:
    assert parse_symbol_list("aapl, MSFT,0700.hk,,AAPL ") == ["AAPL", "MSFT", "0700.HK"]


def test_comma_list_limits() -> None:
    assert len(parse_symbol_list(",".join(f"S{i}" for i in range(MAX_SYMBOLS)))) == 25
    with pytest.raises(UserInputError) as info:
        parse_symbol_list(",".join(f"S{i}" for i in range(26)))
    assert str(info.value) == "26 symbols given; at most 25 are accepted in one question."
    with pytest.raises(UserInputError, match="Empty target"):
        parse_symbol_list(" , ,")
    with pytest.raises(UserInputError, match="not a valid symbol"):
        parse_symbol_list("AAPL,MS FT")


@pytest.mark.parametrize(
    ("symbol", "currency"),
    [
        ("0700.HK", "HKD"),
        ("600519.SS", "CNY"),
        ("000858.SZ", "CNY"),
        ("7203.T", "JPY"),
        ("VOD.L", "GBp"),
        ("AAPL", "USD"),
        ("BRK-B", "USD"),
        ("^HSI", "HKD"),
        ("^GSPC", "USD"),
        ("HKD=X", "HKD"),
        ("CNY=X", "CNY"),
    ],
)
def test_currency_from_suffix(symbol: str, currency: str) -> None:
    assert currency_from_suffix(symbol) == currency


def test_fx_symbol_is_units_per_usd() -> None:
    assert fx_symbol("HKD") == "HKD=X"
    assert fx_symbol("gbp") == "GBP=X"
    assert fx_symbol("USD") is None
