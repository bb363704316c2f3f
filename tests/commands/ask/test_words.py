"""Reading tokens into items (commands.ask.words): tickers in their written forms, typo
correction within its tolerance, unknown words kept together as the phrase a company name
would be, and the name lookup."""

from __future__ import annotations

import pytest

from commands.ask.text import Token, clean, tokenize
from commands.ask.words import Item, correct, read_items, symbol_of, with_name


def token(text: str) -> Token:
    (only,) = tokenize(text)
    return only


def items(text: str, baskets: set[str] | None = None, known=(), names=None) -> list[Item]:
    return read_items(tokenize(clean(text)), baskets or set(), known, names)


@pytest.mark.parametrize(
    ("typo", "word"),
    [
        ("titnas", "titans"),  # a transposition is one edit
        ("titan", "titans"),
        ("chrat", "chart"),
        ("vauation", "valuation"),
        ("dividnds", "dividends"),
        ("maginficant", "magnificent"),  # a long word takes two edits
    ],
)
def test_a_typo_within_tolerance_is_corrected(typo: str, word: str) -> None:
    assert correct(typo) == word


@pytest.mark.parametrize(
    "word",
    [
        "tytanz",  # two edits in a short word: too far
        "yitans",  # one edit, but the first letter differs
        "txtxns",
        "zzzz",
        "mag",  # shorter than four letters: never guessed at
        "v4lue",  # not all letters
    ],
)
def test_no_correction_beyond_tolerance(word: str) -> None:
    assert correct(word) is None


@pytest.mark.parametrize(
    ("text", "known", "symbol"),
    [
        ("NVDA", (), "NVDA"),  # capitals: a ticker
        ("$nvda", (), "NVDA"),  # a cashtag in any case
        ("nvda", {"NVDA"}, "NVDA"),  # lower case, but the bot has seen it
        ("700.hk", (), "0700.HK"),  # Hong Kong codes get their four digits
        ("^hsi", (), "^HSI"),
        ("eurusd=x", (), "EURUSD=X"),
        ("brk-b.us", (), "BRK-B.US"),
    ],
)
def test_symbols_in_their_written_forms(text: str, known: set[str], symbol: str) -> None:
    assert symbol_of(token(text), known) == symbol


@pytest.mark.parametrize(
    ("text", "known"),
    [
        ("nvda", ()),  # lower case and never seen: a word, perhaps a name
        ("USD", ()),  # capitals that are not tickers
        ("YTD", ()),
        ("TENCENT", ()),  # too long for a US ticker: shouted, not a symbol
        ("2024", ()),  # a year
        ("0700", ()),
        ("the", {"THE"}),  # a known symbol that is also a filler word, in lower case
    ],
)
def test_words_that_are_not_symbols(text: str, known: set[str]) -> None:
    assert symbol_of(token(text), known) is None


def test_targets_cues_and_joiners_in_order() -> None:
    assert items("the mag 7 and AAPL vs chinese tech giants") == [
        Item("target", "mag7", basket=True),
        Item("join", "and"),
        Item("target", "AAPL"),
        Item("cue", "@vs"),
        Item("target", "china-titans", basket=True),
    ]


def test_a_server_basket_is_a_target_only_on_that_server() -> None:
    assert Item("target", "chips", basket=True) in items("how did chips do", {"chips"})
    assert Item("unknown", "chips") in items("how did chips do")
    assert items("my big bets", {"big-bets"}) == [Item("target", "big-bets", basket=True)]


def test_unknown_words_in_a_row_are_one_phrase() -> None:
    assert items("evolution gaming group vs the titans") == [
        Item("unknown", "evolution gaming group"),  # "group" ends a name
        Item("cue", "@vs"),
        Item("target", "china-titans", basket=True),
    ]
    # A possessive ends the name: "hong kong listing" is not part of it.
    assert items("tencent's hong kong listing")[0] == Item("unknown", "tencent")


def test_a_ticker_spelled_out_wins_over_the_name_around_it() -> None:
    assert items("nvidia's ticker NVDA") == [Item("target", "NVDA")]


def test_names_go_to_the_lookup_longest_first() -> None:
    names = {"tencent": "0700.HK", "tencent holdings": "0700.HK", "great wall motor": "2333.HK"}
    asked: list[str] = []

    def lookup(text: str) -> str | None:
        asked.append(text)
        return names.get(text.lower())

    assert items("tencent holdings vs great wall motor", names=lookup) == [
        Item("target", "0700.HK"),
        Item("cue", "@vs"),
        Item("target", "2333.HK"),
    ]
    # Up to three words, longest first, never across a filler word ("vs"): one question each.
    assert asked == ["tencent holdings", "great wall motor"]


def test_with_name_adds_one_phrase_to_a_lookup() -> None:
    base = {"alibaba": "9988.HK"}.get
    lookup = with_name(base, "Great  Wall", "2333.HK")
    assert lookup("great wall") == "2333.HK"  # case and spacing do not matter
    assert lookup("alibaba") == "9988.HK"  # the lookup underneath still answers
    assert lookup("tencent") is None
    assert with_name(None, "great wall", "2333.HK")("alibaba") is None
