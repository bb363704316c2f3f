"""The ``marketbot`` command line.

* ``marketbot ask '/returns target:mag7 period:ytd' [--json] [--chart-out FILE]`` runs a
  command exactly as typed in Discord and prints the reply. Exit status: 0 answered,
  2 the input was wrong, 3 no data could be had, 1 an internal error (logged with an id).
  A line that does not start with ``/`` is a question in plain words (``/ask``): the reply
  says how it was understood, and ``--json`` adds ``understood`` (also when the answer
  failed); a question it cannot map exits 2 with one line; one with two readings prints both.
* ``marketbot run`` starts the Discord bot; ``marketbot sync`` syncs slash commands and exits.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from analytics.errors import MarketbotError

NO_TOKEN_HELP = """\
No DISCORD_TOKEN is set, so the Discord bot cannot start.

To run the bot: create an application at https://discord.com/developers/applications,
add a bot, copy its token, and put it in .env (see .env.example):
    DISCORD_TOKEN=your-token-here
then run `make run` again.

Meanwhile the console answers every command exactly as Discord would, e.g.:
    .venv/bin/marketbot ask '/returns target:mag7 period:ytd'
    .venv/bin/marketbot ask '/compare left:china-titans right:mag7 start:2024-12-31 end:2025-03-07'
"""


class OneLineFormatter(logging.Formatter):
    """Log records as single lines: the console never shows a traceback.

    An exception is reduced to ``[Type: message]`` after the record's own message (which
    carries the error id the reply shows), so the cause is still visible.
    """

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's API name)
        exc = ei[1] if ei else None
        return f"[{type(exc).__name__}: {str(exc)[:200]}]" if exc is not None else ""

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return ""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(super().format(record).split("\n"))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="marketbot", description="Stock-market answers, from Discord or here."
    )
    sub = p.add_subparsers(dest="action", required=True)
    ask = sub.add_parser("ask", help="run one slash command as typed in Discord")
    ask.add_argument(
        "command",
        help="e.g. '/returns target:mag7 period:ytd', or a question: 'how did the mag 7 do?'",
    )
    ask.add_argument("--json", action="store_true", help="print the structured result")
    ask.add_argument("--chart-out", type=Path, help="write the reply's chart (PNG) here")
    sub.add_parser("run", help="start the Discord bot")
    sub.add_parser("sync", help="sync slash commands with Discord and exit")
    return p


def ask(command: str, as_json: bool, chart_out: Path | None) -> int:
    from analytics.server.baskets import CONSOLE_GUILD
    from bot.settings import load_settings
    from bot.wiring import build_services
    from commands.ask.command import ask as ask_question
    from commands.registry import run_text
    from commands.reply import plain
    from commands.spec import Context

    settings = load_settings()
    services = build_services(settings)
    try:
        ctx = Context(
            services,
            guild_id=CONSOLE_GUILD,
            user_id=0,
            can_manage=True,
            want_image=chart_out is not None,
        )
        if command.strip().startswith("/"):
            reply = run_text(command, ctx)
        else:
            reply = ask_question(ctx, command).reply
    finally:
        services.close()
    if reply.exit_code:
        if as_json and ("understood" in reply.data or "readings" in reply.data):
            print(json.dumps(reply.data, indent=2, ensure_ascii=False, default=str))
        elif "readings" in reply.data:
            print("Which did you mean?")
            for reading in reply.data["readings"]:
                print("  " + _command_line(reading))
        if reply.note:
            print(plain(reply.note), file=sys.stderr)
        print(f"marketbot: {plain(reply.description)}", file=sys.stderr)
        return reply.exit_code
    if chart_out is not None:
        if reply.image is None:
            print("marketbot: this reply has no chart; nothing written.", file=sys.stderr)
        else:
            chart_out.write_bytes(reply.image)
    if as_json:
        print(json.dumps(reply.data, indent=2, ensure_ascii=False, default=str))
    else:
        print(reply.to_text())
    return 0


def _command_line(reading: dict[str, Any]) -> str:
    """``/quote symbol:AAPL`` from an ``understood``-shaped reading."""
    options = " ".join(f"{k}:{v}" for k, v in reading["options"].items())
    return f"/{reading['command']} {options}".strip()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter("%(levelname)s %(name)s: %(message)s"))
    # The console's reply already says what a warning would (stale data, a failed source):
    # only errors (internal, with their id) add a line of their own.
    level = logging.ERROR if args.action == "ask" else logging.WARNING
    logging.basicConfig(level=level, handlers=[handler])
    try:
        if args.action == "ask":
            return ask(args.command, args.json, args.chart_out)
        from bot.settings import load_settings

        settings = load_settings()
        if not settings.has_token:
            print(NO_TOKEN_HELP, file=sys.stderr)
            return 2
        from bot import app

        if args.action == "run":
            return app.run(settings)
        return app.sync_only(settings)
    except MarketbotError as exc:
        print(f"marketbot: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the console never shows a traceback
        logging.getLogger("marketbot").debug("unexpected error", exc_info=True)
        print(f"marketbot: internal error: {type(exc).__name__}: {str(exc)[:200]}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
