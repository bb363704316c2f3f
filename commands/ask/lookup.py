"""The one company-name search a question may cost, and the interpretation after it.

The interpreter never searches (it must stay pure and fast, and it looks at every run of
words): when a question is understood but for one phrase in a target position that no
offline lookup knows, it answers :class:`NeedsName`. :func:`interpret_searching` then asks
the name source about exactly that phrase, once, within :data:`SEARCH_TIMEOUT` seconds
(the answer is cached in the market cache by :class:`NameResolver`, so the next question
with that name is offline), and interprets the question again with the answer:

* one listing (:meth:`NameResolver.find` semantics: the company named so, or a clear
  leader) -> the command with its symbol, the "Understood" line saying what the name became;
* two companies about equally -> the two readings (:class:`Ambiguous`, buttons in Discord);
  more -> a refusal naming them;
* nothing, or a failed search -> one clear line, never a guess.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Container
from dataclasses import replace
from datetime import date

from analytics.data.listings import display_name, exchange_name
from analytics.data.names import Ambiguity, NameMatch, NameResolver, check_name
from analytics.data.sources.base import Listing
from analytics.errors import SourceError, UserInputError
from commands.ask.frame import Frame
from commands.ask.interpret import Ambiguous, NeedsName, Outcome, Refusal, Understood, interpret
from commands.ask.text import shown
from commands.ask.words import NameLookup, with_name

log = logging.getLogger("marketbot.ask")

#: Seconds the one search may take: a question is answered in chat, not after a stall.
SEARCH_TIMEOUT = 1.5
#: Searches a phrase: a listing, several companies, or None; raises SourceError on failure.
NameFinder = Callable[[str], NameMatch | Ambiguity | None]


def finder(resolver: NameResolver, timeout: float = SEARCH_TIMEOUT) -> NameFinder:
    """:meth:`NameResolver.find` bounded by ``timeout`` (cached answers first, as always)."""
    return lambda phrase: resolver.find(check_name(phrase), timeout=timeout)


def interpret_searching(
    question: str,
    *,
    today: date,
    baskets: Collection[str] = (),
    known: Container[str] = (),
    names: NameLookup | None = None,
    previous: Frame | None = None,
    find: NameFinder | None = None,
) -> Outcome:
    """:func:`interpret`, plus at most one call of ``find`` for the phrase it needs; never
    gives :class:`NeedsName` and never raises."""

    def again(lookup: NameLookup) -> Outcome:
        return interpret(
            question, today=today, baskets=baskets, known=known, names=lookup, previous=previous
        )

    outcome = interpret(
        question,
        today=today,
        baskets=baskets,
        known=known,
        names=names,
        previous=previous,
        may_search=find is not None,
    )
    if not isinstance(outcome, NeedsName) or find is None:
        return Refusal(outcome.message) if isinstance(outcome, NeedsName) else outcome
    return searched(outcome, find, names, again)


def searched(
    needs: NeedsName,
    find: NameFinder,
    names: NameLookup | None,
    again: Callable[[NameLookup], Outcome],
) -> Outcome:
    """Search ``needs.phrase`` once; ``again`` interprets the question with a name lookup."""
    phrase = needs.phrase
    try:
        found = find(phrase)
    except UserInputError:
        return Refusal(needs.message)
    except Exception as exc:  # SourceError, a timeout, or a source's bug: never a guess
        if not isinstance(exc, SourceError):
            log.exception("the name search for a question failed")
        return Refusal(
            f"Could not look up the name '{shown(phrase, 40)}': the search failed "
            f"({_reason(exc)}). Try again shortly, or give its ticker."
        )
    if found is None:
        # Not no_match()'s hint, which is about /quote's option: this was a question.
        return Refusal(
            f"No company or symbol matches '{shown(phrase, 40)}'. "
            "Ask again with its ticker (0700.HK, AAPL) or its name as listed."
        )
    if isinstance(found, Ambiguity):
        return _either(found, names, again)
    outcome = again(with_name(names, phrase, found.symbol))
    if isinstance(outcome, Understood):
        return replace(outcome, named=found.line())
    return Refusal(outcome.message) if isinstance(outcome, NeedsName) else outcome


def _either(
    found: Ambiguity, names: NameLookup | None, again: Callable[[NameLookup], Outcome]
) -> Outcome:
    """Two companies: both readings, saying who they are; more: a refusal naming them."""
    if len(found.candidates) == 2:
        a, b = (again(with_name(names, found.typed, c.symbol)) for c in found.candidates)
        if isinstance(a, Understood) and isinstance(b, Understood):
            who = " and ".join(_who(c) for c in found.candidates)
            return Ambiguous((a, b), why=f"'{shown(found.typed, 40)}' matches {who}.")
    return Refusal(found.message())


def _who(listing: Listing) -> str:
    """``2333.HK Great Wall Motor (Hong Kong)``, as :class:`Ambiguity` names candidates."""
    name = display_name(listing.name) or ""
    return f"{listing.symbol} {name} ({exchange_name(listing) or '?'})".replace("  ", " ")


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:120]
