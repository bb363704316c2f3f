"""The one place a command is executed.

``execute`` checks permissions, runs the handler, and turns every exception into a reply:
expected ones (bad input, no data) into their own message, anything else into a short
"something went wrong (error id)" with the traceback logged under that id.
"""

from __future__ import annotations

import logging
from typing import Any

from analytics.errors import MarketbotError, error_message, log_error_id
from commands.names import rerun_reason, reset, say_names
from commands.reply import Reply
from commands.spec import CommandSpec, Context

log = logging.getLogger("marketbot.commands")

MANAGE_SERVER_REFUSAL = (
    "Changing this needs the Manage Server permission on this server. "
    "Ask a server admin, or use the read-only commands."
)


def execute(spec: CommandSpec, ctx: Context, options: dict[str, Any], name: str = "") -> Reply:
    """Run one command; never raises."""
    if spec.admin and not ctx.can_manage:
        return Reply.error(MANAGE_SERVER_REFUSAL)
    reply = _run(spec, ctx, options, name)
    again = rerun_reason(ctx)
    if isinstance(again, Reply):
        return again
    if again:
        # A part read as a symbol was a name ("tencent"): answer again with it as one. The
        # first run wrote nothing: every write checks its symbols exist first.
        reset(ctx, again)
        reply = _run(spec, ctx, options, name)
    say_names(reply, ctx.names)
    if spec.ephemeral:
        reply.ephemeral = True
    return reply


def _run(spec: CommandSpec, ctx: Context, options: dict[str, Any], name: str) -> Reply:
    try:
        return spec.handler(ctx, options)
    except MarketbotError as exc:
        return Reply.error(str(exc), exc.exit_code)
    except Exception:
        error_id = log_error_id(log, "command /%s failed", name or spec.name)
        return Reply.error(error_message(error_id), exit_code=1)
