"""What a question asks, before it is a command: a :class:`Frame`, and the command it gives.

A frame holds the intent, the target groups in the order said, the period options and the
modifiers. A follow-up ("and in USD?", "now against the mag7", "chart it") is a frame with
parts missing, laid over the previous one. :func:`to_command` turns a frame into the command
a careful user would type, or says why it cannot.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from commands.chart import CHART
from commands.market import COMPARE, QUOTE, RETURNS
from commands.spec import CommandSpec
from commands.valuation import LEVELS, MARKETCAP, VALUATION

SPECS: dict[str, CommandSpec] = {
    s.name: s for s in (QUOTE, RETURNS, COMPARE, CHART, VALUATION, MARKETCAP, LEVELS)
}
#: Option values that are a command's default: left out of what was understood.
DEFAULTS = {"basis": "price", "currency": "local", "style": "rebased", "theme": "dark"}
#: Commands whose numbers are in USD already: "in dollars" asks nothing more of them.
_USD_ALREADY = {"valuation", "marketcap"}


@dataclass(frozen=True, slots=True)
class Group:
    """One side of a question: a basket, or one or more symbols (joined with commas)."""

    value: str
    basket: bool = False

    @property
    def single_symbol(self) -> bool:
        return not self.basket and "," not in self.value


@dataclass(frozen=True, slots=True)
class Frame:
    intent: str | None = None
    groups: tuple[Group, ...] = ()
    versus: bool = False
    period: dict[str, str] = field(default_factory=dict)
    modifiers: dict[str, str] = field(default_factory=dict)
    #: Only "show me"/"draw": a chart unless another intent was said.
    weak_chart: bool = False


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    options: dict[str, str]

    @property
    def line(self) -> str:
        """The command as typed: ``/compare left:china-titans right:mag7 period:ytd``."""
        order = [o.name for o in SPECS[self.name].options]
        parts = [f"{k}:{self.options[k]}" for k in order if k in self.options]
        return " ".join([f"/{self.name}", *parts])


class CannotAnswer(Exception):
    """The frame does not make a command; the message says why, in one line."""


def merge(previous: Frame, new: Frame, replace_first: bool) -> Frame:
    """``new`` (a follow-up) laid over ``previous``."""
    groups = previous.groups
    if new.groups:
        if new.versus and len(new.groups) == 1:
            groups = (previous.groups[0], new.groups[0]) if previous.groups else new.groups
        elif replace_first and len(new.groups) == 1 and previous.groups:
            groups = (new.groups[0], *previous.groups[1:])
        else:
            groups = new.groups
    intent = new.intent or ("chart" if new.weak_chart else None) or previous.intent
    period = new.period or previous.period
    if intent in ("valuation", "quote") and not new.period:
        period = {}  # "and the valuation?": today's, whatever period came before
    return replace(
        previous,
        intent=intent,
        groups=groups,
        versus=previous.versus or new.versus,
        period=period,
        modifiers={**previous.modifiers, **new.modifiers},
        weak_chart=False,
    )


_INTENTS = {"compare": "returns", "returns": "returns"}
_GROUP_OPTIONS = ("target", "left", "symbol", "vs", "right")


def frame_of(command: Command) -> Frame:
    """The frame a typed command would have come from (for follow-ups after a button)."""
    opts = command.options
    groups = tuple(
        Group(opts[k], basket="," not in opts[k] and not any(c.isupper() for c in opts[k]))
        for k in _GROUP_OPTIONS
        if k in opts
    )
    period = {k: opts[k] for k in ("period", "start", "end") if k in opts}
    mods = {k: opts[k] for k in DEFAULTS if k in opts}
    intent = _INTENTS.get(command.name, command.name)
    if command.name == "chart" and mods.get("style") == "drawdown":
        intent = "drawdown"
    return Frame(intent, groups, len(groups) > 1, period, mods, weak_chart=command.name == "chart")


def to_command(frame: Frame) -> Command | tuple[Command, Command]:
    """The command for a frame, or two readings when it could mean either."""
    intent = frame.intent or ("chart" if frame.weak_chart else None)
    groups = frame.groups
    if not groups:
        raise CannotAnswer("I could not tell which stocks or basket the question is about.")
    if len(groups) > 2:
        raise CannotAnswer(
            "I compare two things at a time; ask about at most two baskets or lists."
        )
    mods = {k: v for k, v in frame.modifiers.items() if DEFAULTS.get(k) != v}
    period = dict(frame.period)
    one = groups[0]
    if intent is None:
        if len(groups) == 1 and one.single_symbol and not period and not mods:
            return (
                Command("quote", {"symbol": one.value}),
                Command("returns", {"target": one.value}),
            )
        intent = "returns"
    if intent == "drawdown":
        # A basket's drawdown is a chart; one symbol's is what /levels reports.
        basket = len(groups) > 1 or not one.single_symbol
        intent = "chart" if frame.weak_chart or basket else "levels"
        if intent == "chart":
            mods["style"] = "drawdown"
    if intent == "chart":
        opts = {"target": one.value, **({"vs": groups[1].value} if len(groups) > 1 else {})}
        return Command("chart", {**opts, **period, **mods})
    if intent in ("valuation", "marketcap"):
        if mods.get("currency") == "usd":
            del mods["currency"]
        if intent == "valuation":
            _no_period(period, "/valuation is as of the latest close; it takes no period.")
            opts = {"target": one.value, **({"vs": groups[1].value} if len(groups) > 1 else {})}
            return Command("valuation", {**opts, **mods})
        if len(groups) == 2:
            return (
                Command("marketcap", {"target": one.value, **period, **mods}),
                Command("marketcap", {"target": groups[1].value, **period, **mods}),
            )
        return Command("marketcap", {"target": one.value, **period, **mods})
    if intent in ("levels", "quote"):
        if len(groups) > 1 or not one.single_symbol:
            what = "price levels" if intent == "levels" else "a quote"
            raise CannotAnswer(
                f"I give {what} for one symbol at a time (e.g. 0700.HK); for a basket ask how "
                "it did, or for a drawdown chart."
            )
        if intent == "quote":
            _no_period(period, "/quote gives the latest close; ask how it did for a period.")
            return Command("quote", {"symbol": one.value, **mods})
        if "start" in period:
            raise CannotAnswer("/levels looks back from one date: give an end date or a period.")
        return Command("levels", {"symbol": one.value, **period, **mods})
    if len(groups) == 2:
        return Command("compare", {"left": one.value, "right": groups[1].value, **period, **mods})
    return Command("returns", {"target": one.value, **period, **mods})


def _no_period(period: dict[str, str], message: str) -> None:
    period.pop("period", None) if period.get("period") == "1d" else None
    if period:
        raise CannotAnswer(message)
