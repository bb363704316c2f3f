"""People writing to the bot: channel messages, mentions, direct messages, replies, and
clicks on message buttons, dispatched as Discord does.

Rules followed (shared/notes/discord-double.md, "Messages"):
* MESSAGE_CREATE reaches a session only with the GUILD_MESSAGES intent (guild channels) or
  DIRECT_MESSAGES (DMs).
* Without the privileged MESSAGE_CONTENT intent, ``content`` (and embeds, attachments) is
  empty unless the message mentions the bot or is a DM.
* A mention is ``<@id>`` in the content and the user in ``mentions``; a reply carries
  ``message_reference`` and ``referenced_message``, and mentions the replied-to author unless
  the reply was sent without a ping.
* A button click is INTERACTION_CREATE type 3 with ``data.custom_id``/``component_type`` and
  the ``message`` it was on; Discord only sends custom_ids that are on that message.

Usage::

    sent = await double.chat.post(f"<@{double.application_id}> how did the mag 7 do?")
    answer = await double.chat.wait_reply_to(sent)            # the bot's message
    answer.data["message_reference"]["message_id"] == str(sent.id)
    dm = await double.chat.post("mag7 ytd", guild_id=None)     # a direct message
    handle = await double.chat.click(answer, "ask:/quote symbol:AAPL")
"""

from __future__ import annotations

import asyncio
import re
import secrets
from typing import TYPE_CHECKING, Any

from .interactions import InteractionHandle, InteractionState, interaction_payload
from .messages import StoredMessage
from .payloads import DEFAULT_USER_ID, MEMBER_PERMISSIONS, iso_now, member_payload, user_payload
from .records import DoubleTimeout

if TYPE_CHECKING:
    from . import DiscordDouble

GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
MESSAGE_COMPONENT = 3
BUTTON = 2
_MENTION = re.compile(r"<@!?(\d+)>")
_DEFAULT: Any = object()


class Chat:
    def __init__(self, double: DiscordDouble) -> None:
        self._d = double
        #: user id -> the id of their DM channel with the bot
        self.dm_channels: dict[int, int] = {}

    def dm_channel(self, user_id: int) -> int:
        if user_id not in self.dm_channels:
            self.dm_channels[user_id] = self._d.ids.next()
        return self.dm_channels[user_id]

    def is_dm_channel(self, channel_id: int) -> bool:
        return channel_id in self.dm_channels.values()

    async def post(
        self,
        content: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        guild_id: int | None = _DEFAULT,
        channel_id: int = _DEFAULT,
        reply_to: StoredMessage | None = None,
        ping_reply: bool = True,
    ) -> StoredMessage:
        """A person sends a message; it is stored and dispatched like Discord would."""
        d = self._d
        if guild_id is _DEFAULT:
            guild_id = d.guilds[0].id
        guild = d.guild(guild_id) if guild_id is not None else None
        if channel_id is _DEFAULT:
            channel_id = guild.channels[0].id if guild else self.dm_channel(user_id)
        author = user_payload(user_id)
        mentions = [
            user_payload(int(i), bot=int(i) == d.application_id) for i in _MENTION.findall(content)
        ]
        data: dict[str, Any] = {
            "id": str(d.ids.next()),
            "type": 19 if reply_to is not None else 0,
            "channel_id": str(channel_id),
            "author": author,
            "content": content,
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": "@everyone" in content or "@here" in content,
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "flags": 0,
        }
        if reply_to is not None:
            if reply_to.channel_id != channel_id:
                raise ValueError("a reply must be in the channel of the message it replies to")
            data["message_reference"] = {
                "type": 0,
                "message_id": str(reply_to.id),
                "channel_id": str(channel_id),
                **({"guild_id": str(guild_id)} if guild_id is not None else {}),
            }
            data["referenced_message"] = reply_to.data
            replied = reply_to.data.get("author") or {}
            if ping_reply and replied and all(m["id"] != replied["id"] for m in mentions):
                mentions.append(replied)
        data["mentions"] = [dict(m) for m in mentions]
        if guild is not None:
            data["guild_id"] = str(guild_id)
            data["member"] = {
                k: v
                for k, v in member_payload(author, joined_at=guild.joined_at).items()
                if k != "user"
            }
        message = StoredMessage(int(data["id"]), channel_id, "user", data)
        d.store.items.append(message)
        session = d.gateway.session_for(guild_id)
        needed = GUILD_MESSAGES if guild is not None else DIRECT_MESSAGES
        if session.intents & needed:
            seen = self._as_seen(data, session.intents)
            await d.gateway.dispatch("MESSAGE_CREATE", seen, guild_id=guild_id)
        return message

    def _as_seen(self, data: dict[str, Any], intents: int) -> dict[str, Any]:
        """The message as this session receives it: content only where Discord sends it."""
        d = self._d
        mentioned = any(m["id"] == str(d.application_id) for m in data["mentions"])
        dm = "guild_id" not in data
        if intents & MESSAGE_CONTENT & d.privileged_intents or mentioned or dm:
            return data
        return {**data, "content": "", "embeds": [], "attachments": [], "components": []}

    def replies_to(self, message: StoredMessage) -> list[StoredMessage]:
        """The bot's messages that reply to ``message``."""
        return [
            m
            for m in self._d.store.items
            if m.kind == "channel"
            and str((m.data.get("message_reference") or {}).get("message_id")) == str(message.id)
        ]

    async def wait_reply_to(self, message: StoredMessage, timeout: float = 10.0) -> StoredMessage:
        """The bot's (stored, accepted) reply to ``message``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.replies_to(message):
            if loop.time() > deadline:
                recent = "\n  ".join(repr(r) for r in self._d.requests.items[-8:])
                raise DoubleTimeout(f"no reply to message {message.id}; last received:\n  {recent}")
            await asyncio.sleep(0.01)
        return self.replies_to(message)[-1]

    async def click(
        self,
        message: StoredMessage,
        custom_id: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        permissions: int = MEMBER_PERMISSIONS,
    ) -> InteractionHandle:
        """A person clicks the button ``custom_id`` on one of the bot's messages."""
        d = self._d
        ids = [
            c.get("custom_id")
            for row in message.data.get("components") or []
            for c in row.get("components") or []
        ]
        if custom_id not in ids:
            raise ValueError(f"no button {custom_id!r} on message {message.id}; it has {ids}")
        guild_id = int(message.data["guild_id"]) if message.data.get("guild_id") else None
        guild = d.guild(guild_id) if guild_id is not None else None
        state = InteractionState(
            d.ids.next(),
            secrets.token_urlsafe(48),
            MESSAGE_COMPONENT,
            message.channel_id,
            guild_id,
            d.attachment_size_limit,
            {},
        )
        state.payload = interaction_payload(
            state,
            {"custom_id": custom_id, "component_type": BUTTON},
            guild,
            application_id=d.application_id,
            user_id=user_id,
            permissions=permissions,
            app_permissions=permissions,
            locale="en-US",
        )
        state.payload["message"] = message.data
        d.register_interaction(state)
        await d.gateway.dispatch("INTERACTION_CREATE", state.payload, guild_id=guild_id)
        return InteractionHandle(d, state)
