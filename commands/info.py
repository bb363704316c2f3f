"""/about, and the text of /help.

/help lists every command, so its spec lives with the list in :mod:`commands.registry`;
this module only renders a list it is given (and so never imports the registry).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata
from typing import Any

from commands.reply import Field, Reply
from commands.spec import AnySpec, CommandSpec, Context, flatten


def version() -> str:
    try:
        return metadata.version("marketbot")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def help_reply(commands: Sequence[AnySpec]) -> Reply:
    """/help: every command in ``commands`` with its description and example."""
    lines = []
    data = []
    for full, spec in flatten(commands):
        lines.append(f"**/{full}** — {spec.description}\n`{spec.example or '/' + full}`")
        data.append({"command": full, "description": spec.description, "example": spec.example})
    text = "\n".join(lines)
    return Reply(
        title="marketbot commands",
        description=text[:4000],
        footer="Periods: 1d 5d 1w 1m 3m 6m ytd 1y 3y 5y max, or start:/end: as YYYY-MM-DD",
        tone="info",
        data={"command": "help", "commands": data},
        ephemeral=True,
    )


def _ago(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h {minutes}m" if days else f"{hours}h {minutes}m"


def run_about(ctx: Context, options: dict[str, Any]) -> Reply:
    services = ctx.services
    now = ctx.clock()
    stats = services.cache.stats()
    last = services.cache.last_fetch_time()
    uptime = (now - services.started_at).total_seconds()
    freshness = f"last fetch {_ago((now - last).total_seconds())} ago" if last else "empty cache"
    return Reply(
        title="About marketbot",
        description="Stock-market answers from a local cache, with charts. /help lists commands.",
        fields=[
            Field("Version", version()),
            Field("Data source", services.market.source_label),
            Field("Cache", f"{stats['symbols']} symbols, {stats['bars']:,} bars; {freshness}"),
            Field("Uptime", _ago(uptime)),
        ],
        tone="info",
        data={
            "command": "about",
            "version": version(),
            "source": services.market.source_label,
            "cache": stats,
            "last_fetch": last.isoformat() if last else None,
            "uptime_seconds": uptime,
        },
    )


ABOUT = CommandSpec(
    "about", "Version, data source, cache freshness and uptime", run_about, example="/about"
)
