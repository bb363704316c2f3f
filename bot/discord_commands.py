"""Build discord.py slash commands from the command specs in ``commands/``.

Each :class:`commands.spec.CommandSpec` becomes an ``app_commands.Command`` whose callback
has a generated signature (one parameter per option), so discord.py derives the option
types, descriptions, choices and autocomplete from the same definition the console uses.
The callback itself only hands the interaction to :class:`bot.runner.Runner`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Optional

import discord
from discord import app_commands

from commands.spec import AnySpec, Autocomplete, CommandSpec, GroupSpec, Option

RunCallback = Callable[[discord.Interaction, CommandSpec, str, dict[str, Any]], Awaitable[None]]
AutocompleteFn = Callable[
    [discord.Interaction, Autocomplete, str], Awaitable[list[app_commands.Choice[str]]]
]

_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "channel": discord.TextChannel,
}


def _annotation(option: Option) -> Any:
    base = _TYPES[option.kind]
    if option.kind == "string" and option.max_length and not option.choices:
        base = app_commands.Range[str, 1, option.max_length]
    elif option.kind in ("integer", "number") and (
        option.min_value is not None or option.max_value is not None
    ):
        base = app_commands.Range[base, option.min_value, option.max_value]
    return base if option.required else Optional[base]  # noqa: UP045 (discord.py inspects Optional)


def build_command(
    spec: CommandSpec, full_name: str, run: RunCallback, complete: AutocompleteFn
) -> app_commands.Command:
    params = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for option in spec.options:
        params.append(
            inspect.Parameter(
                option.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(option),
                default=inspect.Parameter.empty if option.required else None,
            )
        )

    async def callback(interaction: discord.Interaction, **kwargs: Any) -> None:
        await run(interaction, spec, full_name, kwargs)

    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__name__ = spec.name.replace("-", "_")
    if spec.options:
        app_commands.describe(**{o.name: o.description for o in spec.options})(callback)
    choices = {
        o.name: [app_commands.Choice(name=c, value=c) for c in o.choices]
        for o in spec.options
        if o.choices
    }
    if choices:
        app_commands.choices(**choices)(callback)
    completers = {o.name: _completer(o, complete) for o in spec.options if o.autocomplete}
    if completers:
        app_commands.autocomplete(**completers)(callback)
    command = app_commands.Command(name=spec.name, description=spec.description, callback=callback)
    if spec.admin:
        # A hint for Discord's UI only; the real check is in code (Runner).
        command.default_permissions = discord.Permissions(manage_guild=True)
    return command


def _completer(option: Option, complete: AutocompleteFn) -> Callable[..., Any]:
    kind = option.autocomplete or "target"

    async def autocomplete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await complete(interaction, kind, current)

    return autocomplete


def build_tree_commands(
    specs: list[AnySpec], run: RunCallback, complete: AutocompleteFn
) -> list[app_commands.Command | app_commands.Group]:
    out: list[app_commands.Command | app_commands.Group] = []
    for spec in specs:
        if isinstance(spec, GroupSpec):
            group = app_commands.Group(name=spec.name, description=spec.description)
            for sub in spec.subcommands:
                group.add_command(build_command(sub, f"{spec.name} {sub.name}", run, complete))
            out.append(group)
        else:
            out.append(build_command(spec, spec.name, run, complete))
    return out
