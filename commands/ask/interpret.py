"""Question -> command: the interpreter's one entry point, :func:`interpret`.

Deterministic and offline: the same question, date and server baskets always give the same
command. It never raises: anything it cannot map is a :class:`Refusal` with one line saying
what it can answer; a question with two readings is an :class:`Ambiguous` with both.

Company names it has not seen are not searched here: a search costs a network round trip
and the interpreter must stay pure and fast (p95 ≤ 10 ms). With ``may_search`` it answers
:class:`NeedsName` instead, with the one phrase that stands where a target would and the
question otherwise understood (checked with a stand-in symbol); :mod:`commands.ask.lookup`
searches that phrase once and interprets again with the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Container
from dataclasses import dataclass
from datetime import date

from analytics.data.names import check_name
from analytics.errors import UserInputError
from analytics.metrics.periods import parse_period
from analytics.metrics.targets import PRESETS
from commands.ask.dates import find_period
from commands.ask.frame import SPECS, CannotAnswer, Command, Frame, Group, merge, to_command
from commands.ask.lexicon import EXAMPLES, FILLER, REFUSE_TRADE
from commands.ask.text import Token, clean, problem, shown, tokenize
from commands.ask.words import (
    Item,
    NameLookup,
    correct,
    read_items,
    symbol_of,
    vocabulary,
    with_name,
)
from commands.parse import convert_options

#: First words that make a message a follow-up of the previous question.
_FOLLOW_UP_OPENERS = ("what about", "how about", "and", "now", "same", "also", "instead", "then")
_MODIFIER_CUES = {
    "@usd": ("currency", "usd"),
    "@local": ("currency", "local"),
    "@total": ("basis", "total"),
    "@price": ("basis", "price"),
    "@dark": ("theme", "dark"),
    "@light": ("theme", "light"),
    "@rebased": ("style", "rebased"),
    "@pricechart": ("style", "price"),
}
#: When several intents are said, the most specific wins.
_PRIORITY = ("chart", "marketcap", "valuation", "drawdown", "levels", "returns", "quote")
_CAN_ANSWER = (
    "I answer questions about returns, comparisons, charts, valuations, market value and price "
    "levels — for example: " + "; ".join(f"“{e}”" for e in EXAMPLES) + "."
)
_NO_ADVICE = "I don't trade or give advice, only numbers."


@dataclass(frozen=True, slots=True)
class Understood:
    command: Command
    frame: Frame
    #: What a company name searched for this question became ("tencent → 0700.HK Tencent
    #: Holdings"), said with the command so the asker sees which listing was meant.
    named: str = ""

    @property
    def line(self) -> str:
        said = f"Understood as `{self.command.line}`"
        return f"{said} ({self.named})" if self.named else said

    def to_json(self) -> dict[str, object]:
        return {"command": self.command.name, "options": dict(self.command.options)}


@dataclass(frozen=True, slots=True)
class Ambiguous:
    readings: tuple[Understood, Understood]
    #: Why there are two readings, when a name is behind them ("'great wall' matches …").
    why: str = ""

    @property
    def message(self) -> str:
        a, b = (r.command.line for r in self.readings)
        asked = f"Did you mean `{a}` or `{b}`?"
        return f"{self.why} {asked}" if self.why else asked


@dataclass(frozen=True, slots=True)
class Refusal:
    message: str


@dataclass(frozen=True, slots=True)
class NeedsName:
    """Understood but for one phrase in a target position that nothing offline knows: the
    caller may search it once. ``message`` is the refusal if it does not."""

    phrase: str
    message: str


Outcome = Understood | Ambiguous | Refusal | NeedsName
#: Stands for the searched name while checking the rest of the question (never answered).
PLACEHOLDER = "NAME.ASK"


def refusal(reason: str = "") -> Refusal:
    return Refusal(f"{reason} {_CAN_ANSWER}".strip())


def interpret(
    question: str,
    *,
    today: date,
    baskets: Collection[str] = (),
    known: Container[str] = (),
    names: NameLookup | None = None,
    previous: Frame | None = None,
    may_search: bool = False,
) -> Outcome:
    """Map a question to a command. ``baskets``: this server's basket names; ``known``:
    symbols the bot has seen (so ``nvda`` in lower case is a ticker); ``names``: the
    company-name lookup (offline); ``previous``: the frame of this person's last question
    here; ``may_search``: give :class:`NeedsName` rather than refuse an unseen name."""
    try:
        outcome = _interpret(question, today, baskets, known, names, previous, may_search)
        if isinstance(outcome, Refusal | NeedsName) and ":" in question:
            # "tencent's hong kong listing vs the mag 7: 0700.HK vs mag7 ytd": said again
            # after a colon, in terms the interpreter knows; the explicit form wins.
            again = question.rpartition(":")[2]
            restated = _interpret(again, today, baskets, known, names, previous, may_search)
            if isinstance(restated, Understood | Ambiguous):
                return restated
        return outcome
    except Exception:  # the interpreter never raises: a bug here is a refusal, not a crash
        log.exception("the interpreter failed on a question")
        return refusal("I could not read that question.")


def _interpret(
    question: str,
    today: date,
    baskets: Collection[str],
    known: Container[str],
    names: NameLookup | None,
    previous: Frame | None,
    may_search: bool = False,
    nested: bool = False,
) -> Outcome:
    bad = problem(question)
    if bad:
        return Refusal(bad)
    tokens = _corrected(tokenize(clean(question)), baskets, known, names)
    norms = [t.norm for t in tokens]
    if REFUSE_TRADE.intersection(norms):
        return refusal(_NO_ADVICE)
    text = " ".join(norms)
    found = find_period(text, today)
    if found.error:
        return Refusal(found.error)
    rest = _without_spans(tokens, found.spans)
    items = read_items(rest, set(baskets), _Known(known), names)
    unknown = [i.value for i in items if i.kind == "unknown"]
    opens_follow_up = previous is not None and text.startswith(_FOLLOW_UP_OPENERS)
    if unknown and not opens_follow_up and not any(i.kind in ("target", "cue") for i in items):
        return refusal("That doesn't look like a market question.")
    frame = _frame(items, found.options)
    suspect = _suspect(items)
    if suspect is not None or (unknown and (not frame.groups or _one_sided(frame))):
        phrase = suspect or unknown[0]
        refused = refusal(
            f"I don't know '{shown(phrase)}' (not a basket, ticker or company I know)."
        )
        if may_search and _searchable(phrase):
            if nested:  # a second unseen name (see below): say so, check nothing more
                return NeedsName(phrase, refused.message)
            # Worth one search only if the rest of the question is understood with it.
            stand_in = with_name(names, phrase, PLACEHOLDER)
            rest = _interpret(question, today, baskets, known, stand_in, previous, True, True)
            if isinstance(rest, Understood | Ambiguous):
                return NeedsName(phrase, refused.message)
            if isinstance(rest, NeedsName):
                return Refusal(
                    f"I don't know '{shown(phrase)}' or '{shown(rest.phrase)}' yet, and look up "
                    "one new company name per question: give one of them as a ticker, or ask "
                    "about each on its own first."
                )
        return refused
    follow_up = previous is not None and (
        not frame.groups or text.startswith(_FOLLOW_UP_OPENERS) or _leading_versus(items)
    )
    if follow_up:
        assert previous is not None
        frame = merge(previous, frame, replace_first=text.startswith(("what about", "how about")))
    if not frame.groups and frame.intent is None and not frame.weak_chart:
        return refusal("That doesn't look like a market question.")
    try:
        return _command_for(frame, found.other, today)
    except CannotAnswer as exc:
        return refusal(str(exc)) if not frame.groups else Refusal(str(exc))
    except _Refused as exc:
        return Refusal(str(exc))


def _command_for(frame: Frame, other_period: dict[str, str] | None, today: date) -> Outcome:
    command = to_command(frame)
    if isinstance(command, tuple):
        return Ambiguous((_checked(command[0], frame, today), _checked(command[1], frame, today)))
    understood = _checked(command, frame, today)
    if other_period is not None:
        other_frame = Frame(**{**_fields(frame), "period": {**frame.period, **other_period}})
        other = _checked(_retimed(command, other_period), other_frame, today)
        return Ambiguous((understood, other))
    return understood


_PRESET_MEMBERS = frozenset(s for members in PRESETS.values() for s in members)
log = logging.getLogger("marketbot.ask")


class _Known(Container[str]):
    """The symbols the bot knows, and the presets' members."""

    def __init__(self, known: Container[str]) -> None:
        self.known = known

    def __contains__(self, symbol: object) -> bool:
        return symbol in _PRESET_MEMBERS or symbol in self.known


def _corrected(
    tokens: list[Token], baskets: Collection[str], known: Container[str], names: NameLookup | None
) -> list[Token]:
    """Tokens with small typos of known words corrected (never tickers or names)."""
    vocab = set(vocabulary())
    out: list[Token] = []
    for t in tokens:
        if (
            t.norm in vocab
            or t.norm in baskets
            or not t.norm.isalpha()
            or symbol_of(t, known) is not None
            or (names is not None and names(t.raw))
        ):
            out.append(t)
            continue
        fixed = correct(t.norm)
        out.append(Token(t.raw if fixed is None else fixed, fixed or t.norm, t.possessive))
    return out


def _searchable(phrase: str) -> bool:
    """Whether a phrase may be a company name worth a search: characters a name has, at
    most four words, and not only digits or date-like."""
    try:
        check_name(phrase)
    except UserInputError:
        return False
    return len(phrase.split()) <= 4 and any(ch.isalpha() for ch in phrase)


def _without_spans(tokens: list[Token], spans: list[tuple[int, int]]) -> list[Token]:
    kept: list[Token] = []
    pos = 0
    for t in tokens:
        start, end = pos, pos + len(t.norm)
        pos = end + 1
        if not any(start < e and s < end for s, e in spans):
            kept.append(t)
    return kept


def _suspect(items: list[Item]) -> str | None:
    """An unknown word that stands where a target would (next to a target, a list joiner or
    a comparison): it may be a company this bot does not know, so never skip it. Other
    unknown words ("who won", "near") are chat, skipped when the question is otherwise
    complete."""
    for n, item in enumerate(items):
        if item.kind != "unknown":
            continue
        for other in items[max(0, n - 1) : n] + items[n + 1 : n + 2]:
            if other.kind in ("target", "join") or other.value in ("@vs", "@or"):
                return item.value
    return None


def _one_sided(frame: Frame) -> bool:
    return frame.versus and len(frame.groups) == 1


def _leading_versus(items: list[Item]) -> bool:
    meaningful = [i for i in items if i.kind != "join"]
    return bool(meaningful) and meaningful[0].kind == "cue" and meaningful[0].value == "@vs"


def _frame(items: list[Item], period: dict[str, str]) -> Frame:
    groups: list[Group] = []
    current: list[str] = []
    versus = False
    intents: set[str] = set()
    mods: dict[str, str] = {}
    weak_chart = False

    def close() -> None:
        if current:
            groups.append(Group(",".join(dict.fromkeys(current))))
            current.clear()

    for item in items:
        if item.kind == "join" and item.value == "with" and versus:
            close()  # "compare SPY with QQQ": with separates the sides after a comparison
        elif item.kind == "target":
            if item.basket:
                close()
                groups.append(Group(item.value, basket=True))
            else:
                current.append(item.value)
        elif item.kind == "cue":
            cue = item.value
            if cue == "@vs":
                versus = True
                close()
            elif cue == "@or":
                close()
            elif cue in _MODIFIER_CUES:
                key, value = _MODIFIER_CUES[cue]
                mods[key] = value
                if key == "style":
                    intents.add("chart")
            elif cue == "@show":
                weak_chart = True
            else:
                intents.add(cue[1:])
    close()
    intent = next((i for i in _PRIORITY if i in intents), None)
    if weak_chart and intent in (None, "returns"):
        intent = "chart"
    if intent == "chart":
        weak_chart = True
        intent = "drawdown" if "drawdown" in intents else "chart"
    return Frame(intent, tuple(groups), versus, dict(period), mods, weak_chart)


def _fields(frame: Frame) -> dict[str, object]:
    return {f: getattr(frame, f) for f in Frame.__dataclass_fields__}


def _retimed(command: Command, period: dict[str, str]) -> Command:
    kept = {k: v for k, v in command.options.items() if k not in ("period", "start", "end")}
    return Command(command.name, {**kept, **period})


def _checked(command: Command, frame: Frame, today: date) -> Understood:
    """The command through the same checks as a typed one; a failure is a refusal."""
    spec = SPECS[command.name]
    try:
        convert_options(spec, dict(command.options))
        if any(k in command.options for k in ("period", "start", "end")):
            opts = command.options
            parse_period(opts.get("period"), opts.get("start"), opts.get("end"), today=today)
    except UserInputError as exc:
        raise _Refused(str(exc)) from None
    return Understood(command, frame)


class _Refused(Exception):
    pass


__all__ = ["Ambiguous", "NeedsName", "Outcome", "Refusal", "Understood", "interpret", "FILLER"]
