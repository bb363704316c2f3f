"""``/ask question:`` — and the one function every way of asking uses (:func:`ask`).

A question is interpreted, then answered by running the command it maps to through
``commands.execute`` exactly as if it had been typed; the reply gets one more line,
"Understood as `/compare left:china-titans right:mag7 period:ytd`", so people learn the
commands by asking. A company name the bot has not seen costs one bounded search before
the answer (:mod:`commands.ask.lookup`). Follow-ups are remembered per (channel, user) for
10 minutes, in this process's memory (:mod:`commands.ask.memory`): a restart forgets them,
which only means the next question must be asked in full.
"""

from __future__ import annotations

import threading
from collections.abc import Container
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any
from weakref import WeakKeyDictionary

from analytics.data.cache import MarketCache
from analytics.errors import UserInputError
from commands.ask.frame import SPECS, Command, Frame, frame_of
from commands.ask.interpret import Ambiguous, Outcome, Refusal, Understood, interpret
from commands.ask.lookup import finder, interpret_searching
from commands.ask.memo import UnderstoodMemo
from commands.ask.memory import Conversations
from commands.execute import execute
from commands.parse import convert_options, parse_invocation
from commands.reply import Reply
from commands.spec import CommandSpec, Context, Option

#: Follow-up state of every (channel, user) this process has answered.
CONVERSATIONS = Conversations()
#: Questions understood before, per market cache, while it is unchanged (commands.ask.memo).
UNDERSTOOD: WeakKeyDictionary[MarketCache, UnderstoodMemo] = WeakKeyDictionary()
_UNDERSTOOD_LOCK = threading.Lock()


def understood_memo(cache: MarketCache) -> UnderstoodMemo:
    """The memo of this market cache's questions (a version means nothing across files)."""
    with _UNDERSTOOD_LOCK:
        memo = UNDERSTOOD.get(cache)
        if memo is None:
            memo = UNDERSTOOD[cache] = UnderstoodMemo()
        return memo


#: The question behind each answer the bot posted (by message id), for replies to it.
ANSWERS = Conversations(window=timedelta(days=1))


@dataclass(slots=True)
class Asked:
    outcome: Outcome
    reply: Reply

    @property
    def understood(self) -> Understood | None:
        return self.outcome if isinstance(self.outcome, Understood) else None


class KnownSymbols(Container[str]):
    """``symbol in known``: has the bot ever fetched it (so ``nvda`` is a ticker)?"""

    def __init__(self, cache: MarketCache) -> None:
        self.cache = cache
        # Per question: the interpreter asks about most words, several times each.
        self._lookup = lru_cache(maxsize=4096)(cache.has_fetched)

    def __contains__(self, symbol: object) -> bool:
        return isinstance(symbol, str) and self._lookup(symbol)


def understand(
    ctx: Context, question: str, previous: Frame | None = None, search: bool = False
) -> Outcome:
    """The interpretation (no answer). Without ``search`` the pure, offline one, which may
    be :class:`NeedsName` (what the bench measures: no network in its figure); with it, a
    company name nothing offline knows costs one bounded search (:mod:`commands.ask.lookup`),
    and a question understood before is taken from its market cache's memo while the
    cache is unchanged."""
    services = ctx.services
    options: dict[str, Any] = {
        "today": services.market.today(),
        "baskets": frozenset(services.baskets.names(ctx.guild_id)),
        "known": KnownSymbols(services.cache),
        "names": services.names.cached_symbol,
        "previous": previous,
    }
    if not search:
        return interpret(question, may_search=True, **options)
    key = UnderstoodMemo.key(question, options["today"], options["baskets"], previous)
    version = services.cache.version()  # before interpreting: see commands.ask.memo
    memo = understood_memo(services.cache)
    kept = memo.get(key, version)
    if kept is not None:
        return kept
    outcome = interpret_searching(question, find=finder(services.names), **options)
    memo.put(key, version, outcome)
    return outcome


def ask(ctx: Context, question: str, previous: Frame | None = None) -> Asked:
    """Interpret and answer; never raises. ``previous``: the frame a reply refers to, if
    any (else the asker's last question in this channel within 10 minutes is used)."""
    if question.strip().startswith("/"):
        return _typed(ctx, question)
    key = (ctx.channel_id, ctx.user_id)
    if previous is None:
        previous = CONVERSATIONS.get(key, ctx.clock())
    outcome = understand(ctx, question, previous, search=True)
    if isinstance(outcome, Understood):
        return Asked(outcome, answer(ctx, outcome))
    if isinstance(outcome, Ambiguous):
        # An error in shape (exit 2, only for the asker), asking which reading was meant.
        reply = Reply.error(outcome.message)
        reply.data = {**reply.data, "readings": [r.to_json() for r in outcome.readings]}
        reply.choices = tuple(r.command.line for r in outcome.readings)
        return Asked(outcome, reply)
    return Asked(outcome, Reply.error(outcome.message))


def _typed(ctx: Context, line: str) -> Asked:
    """A command line given as the question (a button of two readings sends one): answered
    as understood exactly so, and remembered for follow-ups like any question."""
    try:
        spec, name, options = parse_invocation(line, list(SPECS.values()))
    except UserInputError as exc:
        return Asked(Refusal(str(exc)), Reply.error(str(exc)))
    command = Command(name, {k: str(v) for k, v in options.items()})
    understood = Understood(command, frame_of(command))
    return Asked(understood, answer(ctx, understood))


def answer(ctx: Context, understood: Understood) -> Reply:
    """Run the understood command as if typed; the reply carries the "Understood" line."""
    command = understood.command
    spec = SPECS[command.name]
    try:
        options = convert_options(spec, dict(command.options))
    except Exception as exc:  # checked by the interpreter already; never a traceback
        reply = Reply.error(str(exc))
    else:
        reply = execute(spec, ctx, options, command.name)
    reply.note = understood.line
    reply.data = {**reply.data, "understood": understood.to_json()}
    CONVERSATIONS.put((ctx.channel_id, ctx.user_id), understood.frame, ctx.clock())
    return reply


def run_ask(ctx: Context, options: dict[str, Any]) -> Reply:
    return ask(ctx, options["question"]).reply


ASK = CommandSpec(
    "ask",
    "Ask in plain words, e.g. how did the titans do vs the mag 7 this year?",
    run_ask,
    options=(
        Option(
            "question",
            "e.g. how did the titans do vs the mag 7 this year?",
            required=True,
            max_length=300,
        ),
    ),
    example="/ask question:how did the titans do vs the mag 7 this year?",
    personal=True,
)
