"""The lexicon (commands.ask.lexicon) is data; these tests hold it to what its users rely
on: every phrase, typed as written, gives the meaning the table says (so no entry is dead
because of respelling or punctuation), nicknames name real presets, and the example
questions a refusal offers are understood."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.metrics.targets import PRESETS
from commands.ask import Understood, interpret
from commands.ask.lexicon import EXAMPLES, NOT_TICKERS, PHRASES, PRESET_ALIASES, SPELLING
from commands.ask.text import clean, tokenize
from commands.ask.words import MAX_PHRASE, Item, read_items

TODAY = date(2025, 3, 10)


def items_of(text: str) -> list[Item]:
    return read_items(tokenize(clean(text)), set(), (), None)


@pytest.mark.parametrize(("phrase", "cue"), sorted(PHRASES.items()))
def test_every_phrase_as_typed_gives_its_cue(phrase: str, cue: str) -> None:
    assert [(i.kind, i.value) for i in items_of(phrase)] == [("cue", cue)]


@pytest.mark.parametrize(("nickname", "preset"), sorted(PRESET_ALIASES.items()))
def test_every_nickname_as_typed_names_its_preset(nickname: str, preset: str) -> None:
    assert items_of(nickname) == [Item("target", preset, basket=True)]
    assert items_of(nickname.upper()) == [Item("target", preset, basket=True)]


def test_nicknames_name_real_presets_and_every_preset_has_one() -> None:
    assert set(PRESET_ALIASES.values()) == set(PRESETS)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how did the magnificent seven do ytd", "/returns target:mag7 period:ytd"),
        ("Chinese tech giants this year", "/returns target:china-titans period:ytd"),
        ("mag-7 vs the 7 titans ytd", "/compare left:mag7 right:china-titans period:ytd"),
    ],
)
def test_nicknames_in_questions(question: str, expected: str) -> None:
    outcome = interpret(question, today=TODAY)
    assert isinstance(outcome, Understood), outcome
    assert outcome.command.line == expected


def test_no_phrase_is_longer_than_the_reader_looks() -> None:
    longest = max(len(p.split()) for p in [*PHRASES, *PRESET_ALIASES])
    assert longest <= MAX_PHRASE


def test_cues_cannot_be_typed() -> None:
    assert all(cue.startswith("@") for cue in PHRASES.values())
    assert [t.norm for t in tokenize("@vs @usd")] == ["vs", "usd"]  # "@" is no token character


def test_table_keys_are_in_the_form_they_are_matched_in() -> None:
    assert all(key == key.lower() for key in SPELLING)
    assert all(word == word.upper() for word in NOT_TICKERS)


@pytest.mark.parametrize("question", EXAMPLES)
def test_the_examples_a_refusal_offers_are_understood(question: str) -> None:
    assert isinstance(interpret(question, today=TODAY), Understood)
