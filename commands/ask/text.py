"""A question's text: the checks it must pass, and its tokens.

Checks come first and are cheap: length, emptiness, mention and markdown tricks. A token keeps
the text as typed (tickers are told apart by their capitals) and a normalised form (lower case,
American spelling) that the rest of the interpreter matches on.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from commands.ask.lexicon import SPELLING

MAX_LENGTH = 300

_MENTION = re.compile(r"<[@#][!&]?\d+>|@everyone|@here|<a?:\w+:\d+>", re.IGNORECASE)
_FENCE = re.compile(r"```|`")
_LINK = re.compile(r"https?://|discord\.gg/|www\.", re.IGNORECASE)
#: Characters a token may contain; everything else separates tokens. ``,`` is kept as a
#: token of its own because it separates the members of a list.
_TOKEN = re.compile(r"[A-Za-z0-9^=$&'./\-]+|,")
_FORMAT = {"Cf": "", "Cc": " ", "Co": "", "Cs": "", "Cn": ""}
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-"})


@dataclass(frozen=True, slots=True)
class Token:
    raw: str  # as typed (punctuation at the edges removed)
    norm: str  # lower case, respelled
    #: Written with ``'s`` ("tencent's"): a company name ends here, whatever follows.
    possessive: bool = False


def problem(text: str) -> str | None:
    """Why this text cannot be a question, as one line; None when it can."""
    if len(text) > MAX_LENGTH:
        return f"That question is {len(text)} characters long; ask in at most {MAX_LENGTH}."
    if _MENTION.search(text):
        return "A question cannot contain mentions (@everyone, @here, <@…>); ask without them."
    if _FENCE.search(text):
        return "A question is plain words: no code blocks or backticks."
    if _LINK.search(text):
        return "A question cannot contain links; ask in plain words."
    if not any(ch.isalnum() for ch in text):
        return "That is an empty question; ask in words, e.g. 'how did the mag 7 do this year?'"
    return None


def clean(text: str) -> str:
    """NFKC-normalised text without control or format characters (zero-width spaces,
    right-to-left overrides), curly quotes made straight, markdown emphasis dropped."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    # Format characters (zero-width, direction overrides) vanish; control ones (newlines,
    # tabs) separate words.
    text = "".join(_FORMAT.get(unicodedata.category(ch), ch) for ch in text)
    return re.sub(r"[*_~|>]+", " ", text)


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    for m in _TOKEN.finditer(text):
        raw = m.group(0)
        possessive = False
        if raw != ",":
            raw = raw.strip(".'/-&")
            possessive = raw.lower().endswith("'s")
            raw = re.sub(r"'s$", "", raw, flags=re.IGNORECASE)
            if not raw:
                continue
        low = raw.lower()
        norm = SPELLING.get(low, low)
        parts = norm.split(" ")
        for n, part in enumerate(parts):
            last = n == len(parts) - 1
            out.append(Token(raw if part == norm else part, part, possessive and last))
    return out


def shown(text: str, limit: int = 24) -> str:
    """User text safe to echo: letters, digits and a few symbols, at most ``limit``."""
    kept = "".join(ch for ch in text if ch.isalnum() or ch in " .^=&'-")[:limit]
    return kept.strip() or "?"
