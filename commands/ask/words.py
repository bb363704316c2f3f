"""Reading a question's tokens into items: cues, targets, list joiners, and unknown words.

Phrases (basket nicknames, intent cues, modifiers, the server's basket names) are matched
longest first. A ticker is a word written in capitals (``NVDA``), a cashtag (``$nvda``), a
symbol-shaped word (``0700.hk``, ``^hsi``) or a symbol the bot already knows in any case.
Other words go to the company-name resolver; small typos in known words are corrected with
rapidfuzz (same first letter, one edit in short words, two in long ones).

Unknown words in a row are one item, the phrase a company name would be ("evolution gaming
group"): the interpreter names it in a refusal, or hands exactly it to the one name search
a question may cost (:mod:`commands.ask.lookup`). A possessive ends the phrase ("tencent's
hong kong listing" is "tencent", then other words), and "<name>'s ticker NVDA" is NVDA: the
ticker someone spelled out wins over the name around it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Container
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from analytics.data.symbols import SYMBOL_RE
from commands.ask.lexicon import FILLER, NOT_TICKERS, PHRASES, PRESET_ALIASES
from commands.ask.text import Token

#: Looks a company name up (offline: the names the bot has cached), giving a symbol or None.
NameLookup = Callable[[str], str | None]
#: Filler words that still end a company's name: "alibaba group", "the walt disney company".
NAME_SUFFIXES = frozenset({"group", "company"})
#: A word in capitals is a ticker up to this length (US tickers have at most five
#: letters); a longer one is shouted, a name perhaps ("TENCENT'S"), unless the bot knows it.
_MAX_CAPS_TICKER = 5
#: "nvidia's ticker NVDA": these words, then a ticker, make the name before them a comment.
_TICKER_WORDS = frozenset({"ticker", "symbol"})

MAX_PHRASE = 4
_SHAPED = re.compile(r"^(?:\^[a-z0-9.]+|[a-z0-9]{1,6}=x|[a-z0-9\-]{1,10}\.[a-z]{1,3}|\d{4,6})$")
_HK = re.compile(r"^(\d{1,4})\.hk$")
JOINERS = frozenset({",", "and", "&", "plus", "with"})
_EXTRA_WORDS = (
    "january february march april may june july august september october november december "
    "since until through between year years month months week weeks day days quarter "
    "past last previous trailing including dividends dollars today"
).split()


@dataclass(frozen=True, slots=True)
class Item:
    kind: str  # "cue", "target", "join", "unknown"
    value: str  # the cue ("@vs"), the canonical target, or the word as typed
    basket: bool = False  # a basket (its own group) rather than a symbol


@lru_cache(maxsize=1)
def vocabulary() -> tuple[str, ...]:
    """Every word the interpreter knows, for typo correction."""
    words: set[str] = set(FILLER) | set(_EXTRA_WORDS)
    for phrase in [*PHRASES, *PRESET_ALIASES]:
        words.update(w for w in phrase.split() if w.isalpha())
    return tuple(sorted(w for w in words if len(w) >= 3))


def correct(word: str) -> str | None:
    """The known word ``word`` is a small typo of, or None."""
    if len(word) < 4 or not word.isalpha():
        return None
    limit = 1 if len(word) <= 7 else 2
    vocab = vocabulary()
    hit = process.extractOne(word, vocab, scorer=OSA.distance, score_cutoff=limit)
    if hit is None or hit[0][0] != word[0]:
        return None
    return hit[0]


def symbol_of(token: Token, known: Container[str]) -> str | None:
    """The symbol a token names, or None."""
    raw = token.raw
    if raw.startswith("$") and len(raw) > 1:
        raw = raw[1:]
        return raw.upper() if SYMBOL_RE.fullmatch(raw.upper()) else None
    low = raw.lower()
    hk = _HK.match(low)
    if hk:
        return f"{int(hk.group(1)):04d}.HK"
    if _SHAPED.match(low) and SYMBOL_RE.fullmatch(raw.upper()) and not low.isdigit():
        return raw.upper()
    if raw.upper() in known:
        if raw.isupper() or low not in FILLER:
            return raw.upper()
    if (
        raw.isupper()
        and 2 <= len(raw) <= _MAX_CAPS_TICKER
        and raw.isalpha()
        and raw not in NOT_TICKERS
        and low not in FILLER
    ):
        return raw
    return None


def phrase_key(text: str) -> str:
    """How a name phrase is compared: case and spacing do not matter."""
    return " ".join(text.lower().split())


def with_name(names: NameLookup | None, phrase: str, symbol: str) -> NameLookup:
    """``names``, plus ``phrase`` (a phrase :func:`read_items` gave) naming ``symbol``."""
    key = phrase_key(phrase)

    def lookup(text: str) -> str | None:
        if phrase_key(text) == key:
            return symbol
        return names(text) if names is not None else None

    return lookup


def read_items(
    tokens: list[Token],
    baskets: Collection[str],
    known: Container[str],
    names: NameLookup | None,
) -> list[Item]:
    """Turn the tokens left after the period was taken out into items, in order."""
    items: list[Item] = []
    run: list[Token] = []  # unknown words in a row: one possible company name

    def flush() -> None:
        if run:
            items.append(_run_item(run, names))
            run.clear()

    i = 0
    while i < len(tokens):
        token = tokens[i]
        step, item = _phrase_at(tokens, i, baskets)
        if item is None:
            step, item = _word_at(tokens, i, known, names)
        if step == 1 and token.norm in _TICKER_WORDS and _ticker_next(tokens, i, known):
            flush()
            if items and items[-1].kind == "unknown":
                items.pop()  # "nvidia's ticker NVDA": the name only says what NVDA is
        elif step == 1 and item is not None and item.kind == "unknown" and _wordlike(token):
            run.append(token)
            if token.possessive:
                flush()
        elif step == 1 and item is None and run and token.norm in NAME_SUFFIXES:
            run.append(token)
            flush()
        else:
            flush()
            if item is not None:
                items.append(item)
        i += step
    flush()
    return items


def _wordlike(token: Token) -> bool:
    return any(ch.isalpha() for ch in token.norm) and not _SHAPED.match(token.norm)


def _ticker_next(tokens: list[Token], i: int, known: Container[str]) -> bool:
    return i + 1 < len(tokens) and symbol_of(tokens[i + 1], known) is not None


def _run_item(run: list[Token], names: NameLookup | None) -> Item:
    """The item of unknown words in a row: a name as a whole ("evolution gaming group",
    which no shorter run of its words is), else one unknown phrase."""
    phrase = " ".join(t.raw for t in run)
    # One word was asked already (_word_at); a longer phrase may name what no part of it does.
    found = names(phrase) if names is not None and len(run) > 1 else None
    return Item("target", found) if found else Item("unknown", phrase)


def _phrase_at(tokens: list[Token], i: int, baskets: Collection[str]) -> tuple[int, Item | None]:
    for n in range(min(MAX_PHRASE, len(tokens) - i), 0, -1):
        words = [t.norm for t in tokens[i : i + n]]
        phrase = " ".join(words)
        if phrase in PRESET_ALIASES:
            return n, Item("target", PRESET_ALIASES[phrase], basket=True)
        dashed = "-".join(words)
        if dashed in baskets:
            return n, Item("target", dashed, basket=True)
        if phrase in PHRASES:
            return n, Item("cue", PHRASES[phrase])
    return 1, None


def _word_at(
    tokens: list[Token], i: int, known: Container[str], names: NameLookup | None
) -> tuple[int, Item | None]:
    token = tokens[i]
    if token.norm == "at" and i == len(tokens) - 1:
        return 1, Item("cue", "@quote")  # "what's $AAPL at"
    if token.norm in JOINERS:
        return 1, Item("join", token.norm)
    symbol = symbol_of(token, known)
    if symbol is not None:
        return 1, Item("target", symbol)
    if token.norm in FILLER:
        return 1, None
    if names is not None:
        # The longest run of words (up to three) that names a company: "tencent holdings".
        for n in range(min(3, len(tokens) - i), 0, -1):
            span = tokens[i : i + n]
            if any(t.norm in FILLER or t.norm in JOINERS for t in span[1:]):
                continue
            found = names(" ".join(t.raw for t in span))
            if found:
                return n, Item("target", found)
    if token.norm.isdigit() or re.fullmatch(r"[\d./\-]+", token.norm):
        return 1, Item("unknown", token.raw)
    return 1, Item("unknown", token.raw)
