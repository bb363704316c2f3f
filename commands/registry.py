"""The list of commands, and running a command line as typed (the console's entry point).

Executing one command lives in :mod:`commands.execute` (re-exported here), so a command such
as ``/ask`` can run others without importing this list.
"""

from __future__ import annotations

from typing import Any

from analytics.errors import UserInputError
from commands.ask.command import ASK
from commands.basket import BASKET
from commands.chart import CHART
from commands.execute import MANAGE_SERVER_REFUSAL, execute
from commands.info import ABOUT, help_reply
from commands.market import COMPARE, QUOTE, RETURNS
from commands.parse import parse_invocation
from commands.reply import Reply
from commands.spec import AnySpec, CommandSpec, Context
from commands.summary import SUMMARY
from commands.valuation import LEVELS, MARKETCAP, VALUATION


def run_help(ctx: Context, options: dict[str, Any]) -> Reply:
    """/help lists :data:`COMMANDS`, so it is defined beside the list."""
    return help_reply(COMMANDS)


HELP = CommandSpec("help", "Every command with an example", run_help, example="/help")

COMMANDS: list[AnySpec] = [
    QUOTE,
    RETURNS,
    COMPARE,
    CHART,
    VALUATION,
    MARKETCAP,
    LEVELS,
    ASK,
    BASKET,
    SUMMARY,
    HELP,
    ABOUT,
]

__all__ = ["COMMANDS", "MANAGE_SERVER_REFUSAL", "execute", "run_text"]


def run_text(text: str, ctx: Context) -> Reply:
    """Run a command line exactly as typed in Discord (the console's entry point)."""
    try:
        spec, full, options = parse_invocation(text, COMMANDS)
    except UserInputError as exc:
        return Reply.error(str(exc), exc.exit_code)
    return execute(spec, ctx, options, full)
