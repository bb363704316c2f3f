"""Features that attach to the running bot (e.g. the weekly-summary scheduler)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import MarketBot


def install(bot: MarketBot) -> None:
    """Attach optional features to ``bot``; each registers a setup hook."""
    from bot.scheduler import attach_scheduler

    # Weekly summaries: one dispatcher task, started once the gateway is ready and
    # stopped before the client closes (see bot.scheduler).
    bot.add_setup_hook(attach_scheduler)
