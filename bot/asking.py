"""Questions asked by mentioning the bot or in a direct message, and the buttons of two readings.

Neither needs a privileged intent: Discord sends the content of messages that mention the bot
and of direct messages (``guild_messages`` and ``dm_messages`` are ordinary intents). A
question is answered by :func:`commands.ask.command.ask` in a worker thread, exactly as
``/ask`` answers it, and the answer replies to the message without pinging anyone. A reply to
one of the bot's answers is a follow-up of the question behind that answer.

A button of two readings carries its command line as ``custom_id`` (``ask:/returns …``), so a
click works after a restart too; it runs through the same :class:`bot.runner.Runner` path as
``/ask`` (cooldown, defer, worker thread, the reply with its "Understood as" line).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import discord

from bot.render import BUTTON_PREFIX, NO_MENTIONS, buttons, to_embed
from bot.runner import Runner
from commands.ask.command import ANSWERS, ASK, ask
from commands.reply import Reply
from commands.spec import Context

log = logging.getLogger("marketbot.asking")


class Asking:
    def __init__(self, client: discord.Client, runner: Runner) -> None:
        self.client = client
        self.runner = runner

    # -- mentions and direct messages ---------------------------------------------------
    def question_in(self, message: discord.Message) -> str | None:
        """The question a message asks the bot, or None when it is not addressed to it."""
        me = self.client.user
        if me is None or message.author.bot or message.author.id == me.id:
            return None
        in_dm = message.guild is None
        # ``mentions`` (not only ``<@id>`` in the text): a reply pings its author by default.
        if not in_dm and all(user.id != me.id for user in message.mentions):
            return None
        return re.sub(rf"<@!?{me.id}>", " ", message.content).strip()

    async def on_message(self, message: discord.Message) -> None:
        question = self.question_in(message)
        if question is None:
            return
        try:
            await self._answer_message(message, question)
        except discord.HTTPException as exc:
            log.error("could not answer a message (Discord error %s)", exc.status)
        except Exception:
            log.exception("answering a message failed")

    async def _answer_message(self, message: discord.Message, question: str) -> None:
        wait = self.runner.cooldown.retry_after(message.author.id)
        if wait:
            await self._reply(
                message, Reply.error(f"Easy there — try again in {wait:.0f} s."), None
            )
            return
        previous = None
        if message.reference is not None and message.reference.message_id is not None:
            previous = ANSWERS.get(message.reference.message_id, self.runner.services.clock())
        guild_id = message.guild.id if message.guild else -message.author.id
        ctx = Context(
            self.runner.services,
            guild_id=guild_id,
            user_id=message.author.id,
            channel_id=message.channel.id,
            can_manage=False,  # a question only ever maps to read-only commands
            want_image=True,
        )
        async with message.channel.typing():
            asked = await asyncio.to_thread(ask, ctx, question, previous)
        sent = await self._reply(message, asked.reply, buttons(asked.reply.choices))
        if asked.understood is not None and sent is not None:
            ANSWERS.put(sent.id, asked.understood.frame, self.runner.services.clock())

    async def _reply(
        self, message: discord.Message, reply: Reply, view: discord.ui.View | None
    ) -> discord.Message | None:
        rendered = to_embed(reply)
        extra: dict[str, Any] = {}
        if rendered.file is not None:
            extra["file"] = rendered.file
        if view is not None:
            extra["view"] = view
        return await message.reply(
            content=reply.note or None,
            embed=rendered.embed,
            allowed_mentions=NO_MENTIONS,
            mention_author=False,
            **extra,
        )

    # -- buttons ------------------------------------------------------------------------
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.component:
            return
        custom_id = str((interaction.data or {}).get("custom_id", ""))
        if not custom_id.startswith(BUTTON_PREFIX):
            return
        line = custom_id[len(BUTTON_PREFIX) :]
        await self.runner.run(interaction, ASK, "ask", {"question": line})
