"""A question's text (commands.ask.text): the checks that refuse it before any reading, the
cleaning that keeps invisible characters from hiding a word, the tokens, and what is echoed.

The first tests go through :func:`interpret`, as a question does: the refusal a person sees
is the check's line, and nothing after the checks can undo them.
"""

from __future__ import annotations

from datetime import date

import pytest

from commands.ask import Refusal, Understood, interpret
from commands.ask.text import MAX_LENGTH, Token, clean, problem, shown, tokenize

TODAY = date(2025, 3, 10)


def line(question: str) -> str:
    outcome = interpret(question, today=TODAY)
    assert isinstance(outcome, Understood), outcome
    return outcome.command.line


def refused(question: str) -> str:
    outcome = interpret(question, today=TODAY)
    assert isinstance(outcome, Refusal), outcome
    return outcome.message


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("", "empty question"),
        ("   ", "empty question"),
        ("?!?! ...", "empty question"),
        ("how did the mag 7 do " + "x" * 290, "at most 300"),
        ("@everyone how did the titans do", "mentions"),
        ("@here mag7 ytd", "mentions"),
        ("<@123456789> how did the titans do", "mentions"),
        ("<@&987> mag7 ytd", "mentions"),
        ("```how did the titans do```", "code blocks"),
        ("`mag7` ytd", "code blocks"),
        ("mag7 ytd https://evil.example/x", "links"),
    ],
)
def test_bad_input_gets_one_clear_line(question: str, says: str) -> None:
    message = refused(question)
    assert says in message and "\n" not in message


def test_zero_width_characters_do_not_hide_a_ticker() -> None:
    assert line("how did NV\u200bDA do this year") == "/returns target:NVDA period:ytd"
    assert line("how did the ma\u200cg 7 do\nytd") == "/returns target:mag7 period:ytd"


# -- the checks, one by one: the exact line each gives -------------------------------------

EMPTY = "That is an empty question; ask in words, e.g. 'how did the mag 7 do this year?'"
MENTIONS = "A question cannot contain mentions (@everyone, @here, <@…>); ask without them."
FENCES = "A question is plain words: no code blocks or backticks."
LINKS = "A question cannot contain links; ask in plain words."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x" * 301, "That question is 301 characters long; ask in at most 300."),
        ("", EMPTY),
        ("  \t ", EMPTY),
        ("?!?! ... --", EMPTY),
        ("@everyone how did the titans do", MENTIONS),
        ("@HERE mag7", MENTIONS),
        ("<@123> how did the titans do", MENTIONS),
        ("<@!123> mag7", MENTIONS),
        ("<@&987> mag7 ytd", MENTIONS),
        ("<#55> mag7 ytd", MENTIONS),
        ("<:stonks:123> mag7 ytd", MENTIONS),
        ("```mag7 ytd```", FENCES),
        ("`mag7` ytd", FENCES),
        ("mag7 ytd https://evil.example/x", LINKS),
        ("join discord.gg/abc", LINKS),
        ("see www.example.com", LINKS),
    ],
)
def test_each_check_gives_its_exact_line(text: str, expected: str) -> None:
    assert problem(text) == expected


def test_the_length_limit_is_inclusive_and_counted_before_anything_else() -> None:
    assert MAX_LENGTH == 300
    assert problem("x" * 300) is None
    # Too long wins over every other check: the person learns the one thing to change.
    assert problem("@everyone " + "`" * 300).startswith("That question is 310 characters")


@pytest.mark.parametrize("text", ["mag7 ytd", "how did 0700.HK do?", "AT&T vs $NVDA, 3/7/2025"])
def test_ordinary_questions_pass_the_checks(text: str) -> None:
    assert problem(text) is None


# -- cleaning and tokens ------------------------------------------------------------------


def test_clean_drops_invisible_characters_and_markdown() -> None:
    assert clean("ma\u200cg\u202e 7") == "mag 7"  # zero-width and right-to-left override vanish
    assert clean("mag7\nytd\tnow") == "mag7 ytd now"  # control characters separate words
    assert clean("\u201ctitans\u201d \u2018n\u2019 mag\u20137") == "\"titans\" 'n' mag-7"
    assert clean("**mag7** ~~ytd~~") == " mag7   ytd "  # each run of emphasis: one space
    assert clean("\uff2e\uff36\uff24\uff21") == "NVDA"  # NFKC: full-width letters


def test_tokens_keep_the_raw_text_and_a_normalised_form() -> None:
    tokens = tokenize("Tencent's valuations vs. the mag-7, NVDA $aapl 0700.HK")
    assert tokens == [
        Token("Tencent", "tencent", possessive=True),
        Token("valuations", "valuation"),  # respelled for matching, raw kept as typed
        Token("vs", "vs"),  # edge punctuation removed
        Token("the", "the"),
        Token("mag-7", "mag-7"),
        Token(",", ","),  # a list separator is a token of its own
        Token("NVDA", "nvda"),  # capitals kept in raw: they tell a ticker apart
        Token("$aapl", "$aapl"),
        Token("0700.HK", "0700.hk"),
    ]


def test_british_spellings_and_synonyms_are_respelled() -> None:
    assert [t.norm for t in tokenize("Analysed against the favourite")] == [
        "analyzed",
        "vs",
        "the",
        "favorite",
    ]


def test_punctuation_only_pieces_are_not_tokens() -> None:
    assert tokenize("... & -- ' /") == []
    assert [t.raw for t in tokenize("AT&T, S&P")] == ["AT&T", ",", "S&P"]


def test_shown_echoes_only_safe_characters_within_the_limit() -> None:
    assert shown("fl<@1>urbs") == "fl1urbs"
    assert shown("tencent holdings limited of shenzhen") == "tencent holdings limited"  # 24
    assert len(shown("x" * 100)) == 24
    assert shown("***") == "?"  # nothing safe left: still something to quote
