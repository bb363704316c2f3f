"""The Discord client: login, command sync (only when definitions change), lifecycle.

``MarketBot`` is a plain ``discord.Client`` with an app-command tree built from the specs
in ``commands/``. It syncs commands in ``setup_hook`` only if their hash differs from the
last successful sync (Discord limits command creation per day), to one development server
when ``MARKETBOT_DEV_GUILD_ID`` is set. SIGINT/SIGTERM close it gracefully: in-flight
commands get a few seconds to finish, then the database is closed.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
import os
import signal
import tempfile
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from analytics.allocator import return_big_buffers_to_the_system
from analytics.charts.workers import stop_helper_processes
from analytics.errors import error_message, log_error_id
from analytics.services import Services
from bot.asking import Asking
from bot.discord_commands import build_tree_commands
from bot.endpoints import apply_discord_endpoints
from bot.logs import setup_logging
from bot.pacing import GlobalPacer, pace_requests, share_of_global_limit
from bot.runner import Cooldown, Runner
from bot.scheduler import DiscordPoster, Sleep, SummaryScheduler, bot_shards
from bot.settings import Settings
from bot.wiring import build_services
from commands.registry import COMMANDS

log = logging.getLogger("marketbot.bot")
# No voice features: do not warn at every start that PyNaCl (voice) is missing.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False
SHUTDOWN_GRACE = 10.0


_FROZEN = False


def freeze_startup_objects() -> None:
    """Hide everything alive after start-up from the cyclic garbage collector, once.

    Why: a full collection walks every tracked object (about 180,000 once pandas,
    matplotlib, yfinance and discord.py are imported) while holding the GIL, so it stalls
    the event loop for 50-90 ms whichever thread triggers it; chart rendering triggers it
    often (figures are reference cycles). These objects live as long as the process, so
    walking them never frees anything. Measured by ``bench`` figure 6 (docs/benchmarks.md).
    """
    global _FROZEN
    if not _FROZEN:
        _FROZEN = True
        gc.collect()
        gc.freeze()


class MarketBot(discord.Client):
    def __init__(
        self,
        settings: Settings,
        services: Services,
        *,
        sync_on_start: bool = True,
        force_sync: bool = False,
        cooldown: Cooldown | None = None,
        summaries: bool = False,
        summary_sleep: Sleep = asyncio.sleep,
        **options: Any,
    ) -> None:
        # Messages that mention the bot and direct messages carry their content without the
        # privileged message-content intent: /ask by mention or DM needs only these.
        options.setdefault(
            "intents", discord.Intents(guilds=True, guild_messages=True, dm_messages=True)
        )
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        super().__init__(**options)
        self.settings = settings
        self.services = services
        plan = settings.shards
        rate = share_of_global_limit(len(plan.ids), plan.count) if plan else None
        self.pacer = GlobalPacer(rate or share_of_global_limit(1, 1))
        pace_requests(self.http, self.pacer)
        self.runner = Runner(services, cooldown)
        self.tree = app_commands.CommandTree(self)
        for command in build_tree_commands(COMMANDS, self.runner.run, self.runner.complete):
            self.tree.add_command(command)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        self.asking = Asking(self, self.runner)
        self.sync_on_start = sync_on_start
        self.force_sync = force_sync
        self.synced: bool | None = None
        self.ready_event = asyncio.Event()
        self._workers_task: asyncio.Task[None] | None = None
        #: Post weekly summaries from this process (``marketbot run``; tests opt in).
        self.summaries = summaries
        self._summary_sleep = summary_sleep
        #: The weekly-summary dispatcher, once ``setup_hook`` has started it.
        self.summary_scheduler: SummaryScheduler | None = None

    # -- sync ---------------------------------------------------------------------------
    @property
    def _guild(self) -> discord.Object | None:
        gid = self.settings.dev_guild_id
        return discord.Object(id=gid) if gid else None

    def command_payload(self) -> list[dict[str, Any]]:
        return [c.to_dict(self.tree) for c in self.tree.get_commands()]

    def command_hash(self) -> str:
        blob = json.dumps(self.command_payload(), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    def _sync_state_path(self) -> Path:
        # Beside the SQLite server store; a PostgreSQL one has no folder here, so then
        # beside the local market cache (losing it costs one re-sync).
        base = self.settings.db_path if self.settings.db_url is None else self.settings.cache_path
        return base.with_name(base.stem + ".command-sync.json")

    def _sync_key(self) -> str:
        app_id = self.application_id or 0
        return f"{app_id}:{self._guild.id if self._guild else 'global'}"

    def _read_sync_state(self) -> dict[str, str]:
        try:
            state = json.loads(self._sync_state_path().read_text())
        except (OSError, ValueError):
            return {}
        return state if isinstance(state, dict) else {}

    def _write_sync_state(self, key: str, digest: str) -> None:
        """Record a sync. Several bots (one per application) may share the file: re-read it
        just before writing and write through a temporary file of this process's own, so
        two processes never rename each other's file (a lost entry only costs one re-sync)."""
        path = self._sync_state_path()
        state = self._read_sync_state() | {key: digest}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", dir=path.parent, prefix=path.name, suffix=".tmp", delete=False
            ) as tmp:
                tmp.write(json.dumps(state, indent=1))
            os.replace(tmp.name, path)
        except OSError as exc:
            log.warning("could not record the command sync (%s); the next start syncs again", exc)

    async def sync_commands(self, force: bool = False) -> bool:
        """Sync if the definitions changed since the last sync for this app and scope."""
        digest = self.command_hash()
        key = self._sync_key()
        if not force and self._read_sync_state().get(key) == digest:
            log.info("slash commands unchanged; not syncing")
            return False
        guild = self._guild
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        self._write_sync_state(key, digest)
        log.info(
            "synced %d slash commands to %s",
            len(synced),
            f"server {guild.id}" if guild else "all servers",
        )
        return True

    # -- lifecycle ----------------------------------------------------------------------
    @property
    def syncs_commands(self) -> bool:
        """Whether this process syncs the slash commands at start (see ShardedMarketBot)."""
        return True

    async def setup_hook(self) -> None:
        if self.sync_on_start and self.syncs_commands:
            self.synced = await self.sync_commands(force=self.force_sync)
        if self.summaries:
            self.summary_scheduler = self._start_summaries()
        if self.settings.chart_workers and self.services.charts.pool is None:
            # In the background: READY does not wait for the workers' imports.
            self._workers_task = asyncio.create_task(self._start_chart_workers())
        freeze_startup_objects()

    async def _start_chart_workers(self) -> None:
        count = self.settings.chart_workers
        try:
            pool = await asyncio.to_thread(self.services.charts.start_workers, count)
        except Exception:
            log.exception("chart workers could not start; charts are drawn in the bot's threads")
            await asyncio.to_thread(self.services.charts.stop_workers, 0.0)
            return
        log.info("%d chart workers ready (pids %s)", count, ", ".join(map(str, pool.pids())))

    def _start_summaries(self) -> SummaryScheduler:
        """The weekly-summary dispatcher for the shards this process serves, posting through
        this client once the gateway is ready (``close`` stops it first)."""
        shard_ids, shard_count = bot_shards(self)
        scheduler = SummaryScheduler(
            self.services, DiscordPoster(self), sleep=self._summary_sleep,
            shard_ids=shard_ids, shard_count=shard_count,
        )  # fmt: skip
        scheduler.start(before=self.wait_until_ready)
        return scheduler

    async def on_message(self, message: discord.Message) -> None:
        await self.asking.on_message(message)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await self.asking.on_interaction(interaction)

    async def on_ready(self) -> None:
        log.info("ready as %s in %d servers", self.user, len(self.guilds))
        self.ready_event.set()

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        error_id = log_error_id(log, "interaction failed", exc_info=error)
        text = error_message(error_id)
        if isinstance(error, app_commands.TransformerError):
            text = f"That value doesn't fit this option: {str(error)[:200]}"
        try:
            if interaction.response.is_done():
                await interaction.followup.send(
                    text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
                )
            else:
                await interaction.response.send_message(
                    text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
                )
        except discord.HTTPException:
            log.warning("could not report error %s to the user", error_id)

    async def close(self) -> None:
        if self.summary_scheduler is not None:
            # First thing on close: nothing may post through a closing client.
            await self.summary_scheduler.stop()
        await self.runner.drain(SHUTDOWN_GRACE)
        # After the drain: in-flight commands drew their charts; now end the workers.
        await asyncio.to_thread(self.services.charts.stop_workers, SHUTDOWN_GRACE)
        if self._workers_task is not None:
            await asyncio.gather(self._workers_task, return_exceptions=True)
        await super().close()
        await asyncio.to_thread(self.services.close)


class ShardedMarketBot(MarketBot, discord.AutoShardedClient):
    """The same bot over a range of shards (``MARKETBOT_SHARD_COUNT``/``MARKETBOT_SHARD_IDS``).

    One gateway connection per shard in this process; Discord sends each connection only its
    servers' events, so this process answers only its shards' servers' interactions, and its
    scheduler posts only their weekly slots (``bot.scheduler.bot_shards``).
    """

    def __init__(self, settings: Settings, services: Services, **options: Any) -> None:
        plan = settings.shards
        if plan is None:
            raise ValueError("ShardedMarketBot needs settings.shards")
        options.setdefault("shard_count", plan.count)
        options.setdefault("shard_ids", list(plan.ids))
        super().__init__(settings, services, **options)
        self.plan = plan

    @property
    def syncs_commands(self) -> bool:
        """Commands are the bot's, not a shard's: only the process running shard 0 syncs
        them, so processes of two releases during a rolling upgrade cannot undo each other's
        sync (``marketbot sync`` still syncs from anywhere)."""
        return 0 in self.plan.ids


def make_bot(settings: Settings, services: Services, **options: Any) -> MarketBot:
    """A plain client, or the sharded one when the settings name shards."""
    if settings.shards is None:
        return MarketBot(settings, services, **options)
    return ShardedMarketBot(settings, services, **options)


def _prepare(settings: Settings) -> Services:
    setup_logging(settings.log_dir, settings.log_level, settings.secrets)
    apply_discord_endpoints(settings.discord_api_base_url, settings.discord_gateway_url)
    return build_services(settings)


async def _serve(bot: MarketBot, token: str) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
        except (NotImplementedError, RuntimeError):
            pass
    async with bot:
        await bot.start(token)


def run(settings: Settings) -> int:
    """``marketbot run``: start the bot and block until it is closed."""
    return_big_buffers_to_the_system()
    services = _prepare(settings)
    bot = make_bot(settings, services, summaries=True)
    if settings.shards is not None:
        log.info("running %s", settings.shards.label)
    try:
        asyncio.run(_serve(bot, settings.discord_token or ""))
    except discord.LoginFailure:
        log.error("Discord refused the token (DISCORD_TOKEN); check it in the developer portal")
        return 2
    finally:
        services.charts.stop_workers(0.0)  # already stopped by close(); a failed login too
        stop_helper_processes()
    return 0


def sync_only(settings: Settings) -> int:
    """``marketbot sync``: log in, sync the slash commands, exit."""
    services = _prepare(settings)

    async def go() -> int:
        bot = make_bot(settings, services, sync_on_start=False)
        async with bot:
            await bot.login(settings.discord_token or "")
            await bot.sync_commands(force=True)
        return 0

    try:
        return asyncio.run(go())
    except discord.LoginFailure:
        log.error("Discord refused the token (DISCORD_TOKEN)")
        return 2
    finally:
        services.close()
