"""Run a slash command for a Discord interaction: the one path every command takes.

1. Cheap checks first, answered at once and ephemerally: cooldown, Manage Server for admin
   commands (checked here in code, whatever Discord's default permissions say), option
   validation (the same ``convert_options`` the console uses).
2. Defer within the first second, then do the work in a worker thread so the event loop
   (heartbeats, other users) is never blocked. Identical requests in flight share one
   computation.
3. Send the reply as an embed (+ chart); errors found during the work replace the
   "thinking…" message with an ephemeral explanation. Nothing ever pings anyone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

from analytics.errors import TRY_AGAIN, UserInputError, error_message, log_error_id
from analytics.services import Services
from bot.render import NO_MENTIONS, buttons, to_embed
from commands.autocomplete import suggest
from commands.parse import convert_options
from commands.registry import MANAGE_SERVER_REFUSAL, execute
from commands.reply import Reply
from commands.spec import Autocomplete, CommandSpec, Context

log = logging.getLogger("marketbot.runner")

#: Discord drops an autocomplete answer after 3 seconds: answer well within it, whatever
#: the suggestions take (their name search waits less, see commands.autocomplete).
AUTOCOMPLETE_DEADLINE = 2.5


class Cooldown:
    """At most ``limit`` commands per user in any ``window`` seconds."""

    def __init__(
        self, limit: int = 5, window: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[int, deque[float]] = defaultdict(deque)

    def retry_after(self, user_id: int) -> float:
        """0 if the user may run a command now (and count it), else seconds to wait."""
        now = self.clock()
        hits = self._hits[user_id]
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return self.window - (now - hits[0])
        hits.append(now)
        return 0.0


def space_id(interaction: discord.Interaction) -> int:
    """Baskets and subscriptions belong to a server; in DMs each user has a private space."""
    return interaction.guild_id if interaction.guild_id else -interaction.user.id


def can_manage(interaction: discord.Interaction) -> bool:
    if interaction.guild_id is None:
        return True  # a DM: the user's own private space
    perms = interaction.permissions
    return bool(perms.manage_guild or perms.administrator)


def _choices(reply: Reply) -> dict[str, Any]:
    """``view=`` with a button per offered command (two readings of a question), if any."""
    view = buttons(reply.choices) if reply.choices else None
    return {"view": view} if view is not None else {}


class Runner:
    def __init__(self, services: Services, cooldown: Cooldown | None = None) -> None:
        self.services = services
        self.cooldown = cooldown or Cooldown()
        self._inflight: dict[tuple[Any, ...], asyncio.Future[Reply]] = {}
        self.tasks: set[asyncio.Task[Any]] = set()

    # -- the command path ---------------------------------------------------------------
    async def run(
        self,
        interaction: discord.Interaction,
        spec: CommandSpec,
        full_name: str,
        kwargs: dict[str, Any],
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        try:
            await self._run(interaction, spec, full_name, kwargs)
        finally:
            if task is not None:
                self.tasks.discard(task)

    async def _run(
        self,
        interaction: discord.Interaction,
        spec: CommandSpec,
        full_name: str,
        kwargs: dict[str, Any],
    ) -> None:
        wait = self.cooldown.retry_after(interaction.user.id)
        if wait:
            await self._reply_now(
                interaction,
                Reply.error(
                    f"Easy there — a few commands per 10 seconds. Try again in {wait:.0f} s."
                ),
            )
            return
        manage = can_manage(interaction)
        if spec.admin and not manage:
            await self._reply_now(interaction, Reply.error(MANAGE_SERVER_REFUSAL))
            return
        raw = {
            k: (v.id if isinstance(v, discord.abc.Snowflake) else v)
            for k, v in kwargs.items()
            if v is not None
        }
        try:
            options = convert_options(spec, raw)
        except UserInputError as exc:
            await self._reply_now(interaction, Reply.error(str(exc)))
            return
        await interaction.response.defer(ephemeral=spec.ephemeral, thinking=True)
        ctx = Context(
            self.services,
            guild_id=space_id(interaction),
            user_id=interaction.user.id,
            channel_id=interaction.channel_id or 0,
            can_manage=manage,
            want_image=True,
        )
        reply = await self._compute(spec, full_name, ctx, options)
        await self._send(interaction, reply, spec)

    async def _compute(
        self, spec: CommandSpec, full_name: str, ctx: Context, options: dict[str, Any]
    ) -> Reply:
        if spec.admin or spec.personal:  # writes and follow-ups are never shared
            return await asyncio.to_thread(execute, spec, ctx, options, full_name)
        key = (full_name, ctx.guild_id, tuple(sorted((k, str(v)) for k, v in options.items())))
        shared = self._inflight.get(key)
        if shared is not None:
            return await asyncio.shield(shared)
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            reply = await asyncio.to_thread(execute, spec, ctx, options, full_name)
            future.set_result(reply)
            return reply
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: sharers get it through shield
            raise
        finally:
            self._inflight.pop(key, None)

    async def _reply_now(self, interaction: discord.Interaction, reply: Reply) -> None:
        rendered = to_embed(reply)
        await interaction.response.send_message(
            embed=rendered.embed, ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    async def _send(
        self, interaction: discord.Interaction, reply: Reply, spec: CommandSpec
    ) -> None:
        rendered = to_embed(reply)
        try:
            if reply.exit_code and not spec.ephemeral:
                # The "thinking…" message is public; errors are for the asker only.
                try:
                    await interaction.delete_original_response()
                except discord.HTTPException:
                    log.debug("could not delete the deferred response", exc_info=True)
                await interaction.followup.send(
                    embed=rendered.embed,
                    ephemeral=True,
                    allowed_mentions=NO_MENTIONS,
                    **_choices(reply),
                )
                return
            kwargs: dict[str, Any] = {
                "content": reply.note or None,
                "embed": rendered.embed,
                "allowed_mentions": NO_MENTIONS,
                "ephemeral": rendered.ephemeral or spec.ephemeral,
            }
            if rendered.file is not None:
                kwargs["file"] = rendered.file
            await interaction.followup.send(**kwargs)
        except discord.NotFound:
            log.warning("/%s: interaction expired before the answer could be sent", spec.name)
            await self._post_in_channel(interaction, reply, spec)
        except discord.HTTPException as exc:
            error_id = log_error_id(
                log, "/%s: sending the reply failed: %s", spec.name, exc, exc_info=False
            )
            what = f"The answer could not be delivered (Discord error {exc.status})"
            try:
                await interaction.followup.send(
                    error_message(error_id, what, TRY_AGAIN),
                    ephemeral=True,
                    allowed_mentions=NO_MENTIONS,
                )
            except discord.HTTPException:
                log.error("/%s: the failure notice could not be delivered either", spec.name)
                await self._post_in_channel(interaction, reply, spec)

    async def _post_in_channel(
        self, interaction: discord.Interaction, reply: Reply, spec: CommandSpec
    ) -> None:
        """Last resort when the interaction can no longer carry the reply (its token expired,
        followups keep failing): say it in the channel with the bot's token, naming the user
        without pinging, so nobody is left with silence. Errors and private replies are
        only announced, never shown publicly."""
        channel = interaction.channel
        if channel is None or not hasattr(channel, "send"):
            return
        who = f"<@{interaction.user.id}>"
        try:
            if reply.exit_code or spec.ephemeral:
                await channel.send(
                    f"{who}: your /{spec.name} could not be answered here; please try again.",
                    allowed_mentions=NO_MENTIONS,
                )
                return
            rendered = to_embed(reply)  # a fresh file: the failed send consumed the first
            extra: dict[str, Any] = {"file": rendered.file} if rendered.file else {}
            await channel.send(
                f"{who}, the answer to your /{spec.name}:",
                embed=rendered.embed,
                allowed_mentions=NO_MENTIONS,
                **extra,
            )
        except discord.HTTPException:
            log.error("/%s: the answer could not be posted in the channel either", spec.name)

    # -- autocomplete ---------------------------------------------------------------------
    async def complete(
        self, interaction: discord.Interaction, kind: Autocomplete, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            entries = await asyncio.wait_for(
                asyncio.to_thread(suggest, self.services, space_id(interaction), kind, current),
                AUTOCOMPLETE_DEADLINE,
            )
        except Exception:  # a timeout included: an empty list beats no answer at all
            log.exception("autocomplete failed")
            return []
        return [app_commands.Choice(name=label, value=value) for label, value in entries]

    async def drain(self, timeout: float) -> None:
        """Let in-flight commands finish for up to ``timeout`` seconds, then cancel them."""
        pending = [t for t in self.tasks if not t.done()]
        if not pending:
            return
        done, still = await asyncio.wait(pending, timeout=timeout)
        for task in still:
            task.cancel()
        if still:
            await asyncio.gather(*still, return_exceptions=True)
