"""A question's text (commands.ask.text): the checks that refuse it before any reading, the
cleaning that keeps invisible characters from hiding a word, the tokens, and what is echoed.

The first tests go through :func:`interpret`, as a question does: the refusal a person sees
is the check's line, and nothing after the checks can undo them.
"""

from __future__ import annotations

from datetime import date

import pytest

from commands.ask import Refusal, Understood, interpret

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
