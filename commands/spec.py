"""One definition of each command: its options, checks and handler.

The same :class:`CommandSpec` drives the console (``marketbot ask '/returns ...'``) and
Discord (``bot.discord_commands`` builds ``app_commands`` from it), so option names,
descriptions, choices and reply formatting exist exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from analytics.data.names import NameMatch
    from analytics.services import Services
    from commands.reply import Reply

OptionKind = Literal["string", "integer", "number", "boolean", "channel"]
#: What an option's autocomplete suggests: baskets and cached symbols, symbols only, zones.
Autocomplete = Literal["target", "symbol", "timezone", "basket"]


@dataclass(frozen=True, slots=True)
class Option:
    name: str
    description: str
    kind: OptionKind = "string"
    required: bool = False
    choices: tuple[str, ...] = ()
    autocomplete: Autocomplete | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    #: A cheap check of a string value (format only, no I/O) run with the other option
    #: checks, so Discord can refuse bad input at once, before deferring.
    check: Callable[[str, str], object] | None = None


@dataclass(slots=True)
class Context:
    """Who asks, where, and the services to answer with. Built by the console or the bot."""

    services: Services
    guild_id: int = 0
    user_id: int = 0
    channel_id: int = 0
    can_manage: bool = True
    #: False when nobody will look at an image (console without --chart-out): skip rendering.
    want_image: bool = True
    now: datetime | None = None
    #: Names resolved while answering, symbols taken on trust (as typed, symbol), and
    #: symbols to read as names on a second run (see commands.names).
    names: list[NameMatch] = field(default_factory=list)
    unverified: list[tuple[str, str]] = field(default_factory=list)
    as_names: dict[str, NameMatch] = field(default_factory=dict)

    def clock(self) -> datetime:
        return self.now or self.services.clock()


Handler = Callable[[Context, dict[str, Any]], "Reply"]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    description: str
    handler: Handler
    options: tuple[Option, ...] = ()
    #: A full example as typed, shown by /help and the README.
    example: str = ""
    #: Needs Manage Server (checked in code before the handler runs).
    admin: bool = False
    #: The reply is only for the user who asked (e.g. previews).
    ephemeral: bool = False
    #: The answer depends on who asks and what they asked before (``/ask`` follow-ups), so
    #: identical requests in flight from different people are never shared.
    personal: bool = False


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A command with subcommands, like ``/basket create``."""

    name: str
    description: str
    subcommands: tuple[CommandSpec, ...] = field(default_factory=tuple)

    def sub(self, name: str) -> CommandSpec | None:
        return next((c for c in self.subcommands if c.name == name), None)


AnySpec = CommandSpec | GroupSpec


def find(specs: Sequence[AnySpec], path: Sequence[str]) -> CommandSpec | GroupSpec | None:
    top = next((s for s in specs if s.name == path[0]), None) if path else None
    if isinstance(top, GroupSpec) and len(path) > 1:
        return top.sub(path[1])
    return top


def flatten(specs: Sequence[AnySpec]) -> list[tuple[str, CommandSpec]]:
    """Every runnable command with its full name (``basket create``)."""
    out: list[tuple[str, CommandSpec]] = []
    for spec in specs:
        if isinstance(spec, GroupSpec):
            out.extend((f"{spec.name} {c.name}", c) for c in spec.subcommands)
        else:
            out.append((spec.name, spec))
    return out
