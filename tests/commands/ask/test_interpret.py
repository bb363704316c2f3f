"""The interpreter beyond the corpus: refusals, follow-ups, two readings, never raising."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commands.ask import Ambiguous, Refusal, Understood, interpret

TODAY = date(2025, 3, 10)


def line(question: str, **kw) -> str:
    outcome = interpret(question, today=TODAY, **kw)
    assert isinstance(outcome, Understood), outcome
    return outcome.command.line


def refused(question: str, **kw) -> str:
    outcome = interpret(question, today=TODAY, **kw)
    assert isinstance(outcome, Refusal), outcome
    return outcome.message


def test_a_refusal_names_three_example_questions() -> None:
    message = refused("what's the weather")
    assert message.count("“") == 3
    assert "advice" in refused("should I buy the titans?")


def test_an_unknown_word_is_named_safely() -> None:
    message = refused("how did the fl\u202eurbs do this year")
    assert "flurbs" in message and "\u202e" not in message


def test_an_unknown_word_where_a_target_stands_is_never_skipped() -> None:
    for question in (
        "how did AAPL and tencent do this year",
        "how did tencent do vs the mag7 this year",
        "tencent vs the mag 7",
    ):
        assert "'tencent'" in refused(question)
    # Chat words elsewhere are skipped when the question is complete.
    assert line("titans or mag 7, who won this year?") == (
        "/compare left:china-titans right:mag7 period:ytd"
    )


def test_server_baskets_and_lower_case_known_tickers() -> None:
    assert line("how did chips do ytd", baskets={"chips"}) == "/returns target:chips period:ytd"
    assert refused("how did chips do ytd").startswith("I don't know 'chips'")
    assert line("bidu ytd", known={"BIDU"}) == "/returns target:BIDU period:ytd"


def test_company_names_go_to_the_name_lookup() -> None:
    names = {"tencent": "0700.HK", "tencent holdings": "0700.HK", "alibaba": "9988.HK"}.get
    assert line("how did tencent do vs the mag 7 this year", names=names) == (
        "/compare left:0700.HK right:mag7 period:ytd"
    )
    assert line("tencent holdings and alibaba ytd", names=names) == (
        "/returns target:0700.HK,9988.HK period:ytd"
    )


def previous_of(question: str, **kw):
    outcome = interpret(question, today=TODAY, **kw)
    assert isinstance(outcome, Understood)
    return outcome.frame


@pytest.mark.parametrize(
    ("follow_up", "expected"),
    [
        ("and in USD?", "/compare left:china-titans right:mag7 period:ytd currency:usd"),
        ("what about since 2021?", "/compare left:china-titans right:mag7 start:2020-12-31"),
        ("chart it", "/chart target:china-titans vs:mag7 period:ytd"),
        ("and the valuation?", "/valuation target:china-titans vs:mag7"),
        ("including dividends", "/compare left:china-titans right:mag7 period:ytd basis:total"),
        ("what about AAPL?", "/compare left:AAPL right:mag7 period:ytd"),
        ("how did the mag 7 do in 2024", "/returns target:mag7 start:2023-12-31 end:2024-12-31"),
    ],
)
def test_follow_ups_change_only_what_they_say(follow_up: str, expected: str) -> None:
    previous = previous_of("how did the titans do vs the mag 7 this year?")
    assert line(follow_up, previous=previous) == expected


def test_now_against_adds_the_other_side() -> None:
    previous = previous_of("how did the titans do this year?")
    assert line("now against the mag7", previous=previous) == (
        "/compare left:china-titans right:mag7 period:ytd"
    )
    chart = previous_of("chart nvda over the past 6 months")
    assert line("vs the titans", previous=chart) == "/chart target:NVDA vs:china-titans period:6m"


def test_a_follow_up_without_a_previous_question_is_refused() -> None:
    assert isinstance(interpret("and in USD?", today=TODAY), Refusal)


def test_two_readings() -> None:
    outcome = interpret("AAPL", today=TODAY)
    assert isinstance(outcome, Ambiguous)
    assert [r.command.line for r in outcome.readings] == [
        "/quote symbol:AAPL",
        "/returns target:AAPL",
    ]
    assert "`/quote symbol:AAPL`" in outcome.message


def test_understood_json_is_canonical() -> None:
    outcome = interpret("Titans vs Mag 7, YTD, in local currency, price return", today=TODAY)
    assert isinstance(outcome, Understood)
    assert outcome.to_json() == {
        "command": "compare",
        "options": {"left": "china-titans", "right": "mag7", "period": "ytd"},
    }
    assert outcome.line == "Understood as `/compare left:china-titans right:mag7 period:ytd`"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_the_interpreter_never_raises(text: str) -> None:
    outcome = interpret(text, today=TODAY, baskets={"chips"}, known={"BIDU"})
    assert isinstance(outcome, Understood | Ambiguous | Refusal)
    if isinstance(outcome, Refusal):
        assert "\n" not in outcome.message


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            "how did the titans mag 7 do vs AAPL , and since 2024 in usd chart P/E "
            "market cap drawdown 3/2/2025 march what about ``` <@1> 0700.HK".split()
        ),
        max_size=14,
    )
)
def test_word_salad_never_raises(words: list[str]) -> None:
    outcome = interpret(" ".join(words), today=TODAY)
    assert isinstance(outcome, Understood | Ambiguous | Refusal)
