"""Discord JSON objects as the real API shapes them, built from small specs.

The real discord.py client parses these payloads, so every key it reads without a default
(checked against discord.py 2.7.1) is present. Builders are pure functions so tests can
also use them to compare against what the bot received.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_EXTERNAL_EMOJIS = 1 << 18
CHANGE_NICKNAME = 1 << 26
USE_APPLICATION_COMMANDS = 1 << 31

#: What an ordinary member has: can use commands, cannot manage the server.
MEMBER_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
)
#: A server manager: MANAGE_GUILD is what admin-only commands usually check.
ADMIN_PERMISSIONS = MEMBER_PERMISSIONS | MANAGE_GUILD
#: What the bot has in a channel unless a test says otherwise (app_permissions).
BOT_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY

# Fixed ids so tests and the bot's configuration can name them.
APPLICATION_ID = 1300000000000000001  # a bot's user id equals its application id
OWNER_USER_ID = 1300000000000000002
DEFAULT_USER_ID = 1300000000000000003
DEFAULT_GUILD_ID = 1300000000000000010
DEFAULT_CHANNEL_ID = 1300000000000000011
SECOND_CHANNEL_ID = 1300000000000000012

TEXT_CHANNEL = 0
DM_CHANNEL = 1


class Snowflakes:
    """Strictly increasing, time-based ids like Discord's (so created_at makes sense)."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            now = ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (1 << 17)
            self._last = max(now, self._last + 1)
            return self._last


def iso_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


@dataclass
class ChannelSpec:
    """A guild text channel the double knows (messages to other ids get 404 10003)."""

    id: int
    name: str
    type: int = TEXT_CHANNEL
    position: int = 0
    topic: str | None = None


@dataclass
class GuildSpec:
    """A guild sent in READY and GUILD_CREATE; `everyone_permissions` is @everyone's set."""

    id: int
    name: str
    channels: list[ChannelSpec] = field(default_factory=list)
    owner_id: int = OWNER_USER_ID
    everyone_permissions: int = MEMBER_PERMISSIONS
    joined_at: str = field(default_factory=iso_now)

    def channel(self, channel_id: int) -> ChannelSpec | None:
        return next((c for c in self.channels if c.id == channel_id), None)


def default_guilds() -> list[GuildSpec]:
    return [
        GuildSpec(
            id=DEFAULT_GUILD_ID,
            name="Test Guild",
            channels=[
                ChannelSpec(DEFAULT_CHANNEL_ID, "general", position=0),
                ChannelSpec(SECOND_CHANNEL_ID, "market-alerts", position=1),
            ],
        )
    ]


def user_payload(user_id: int, *, username: str | None = None, bot: bool = False) -> dict[str, Any]:
    name = username or f"user{user_id % 10000}"
    return {
        "id": str(user_id),
        "username": name,
        "global_name": None if bot else name.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def bot_user_payload(user_id: int, username: str) -> dict[str, Any]:
    data = user_payload(user_id, username=username, bot=True)
    data.update(verified=True, mfa_enabled=False, flags=0, email=None)
    return data


def application_payload(app_id: int, name: str) -> dict[str, Any]:
    return {
        "id": str(app_id),
        "name": name,
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": user_payload(OWNER_USER_ID, username="owner"),
        "verify_key": "0" * 64,
        "team": None,
        "flags": 0,
        "bot": bot_user_payload(app_id, name),
        "summary": "",
        "interactions_endpoint_url": None,
    }


def channel_payload(spec: ChannelSpec, guild_id: int) -> dict[str, Any]:
    return {
        "id": str(spec.id),
        "type": spec.type,
        "guild_id": str(guild_id),
        "name": spec.name,
        "position": spec.position,
        "permission_overwrites": [],
        "parent_id": None,
        "topic": spec.topic,
        "nsfw": False,
        "rate_limit_per_user": 0,
        "last_message_id": None,
        "flags": 0,
    }


def member_payload(
    user: dict[str, Any], *, joined_at: str, permissions: int | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "user": user,
        "roles": [],
        "joined_at": joined_at,
        "nick": None,
        "avatar": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "premium_since": None,
        "communication_disabled_until": None,
    }
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def guild_create_payload(spec: GuildSpec, bot_user: dict[str, Any]) -> dict[str, Any]:
    """A full GUILD_CREATE: without it discord.TextChannel options fail to transform."""
    everyone = {
        "id": str(spec.id),
        "name": "@everyone",
        "permissions": str(spec.everyone_permissions),
        "position": 0,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }
    return {
        "id": str(spec.id),
        "name": spec.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(spec.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [everyone],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "max_members": 500000,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "joined_at": spec.joined_at,
        "large": False,
        "unavailable": False,
        "member_count": 2,
        "voice_states": [],
        "members": [member_payload(bot_user, joined_at=spec.joined_at)],
        "channels": [channel_payload(c, spec.id) for c in spec.channels],
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def message_payload(
    *,
    message_id: int,
    channel_id: int,
    author: dict[str, Any],
    body: dict[str, Any],
    attachments: list[dict[str, Any]],
    guild_id: int | None,
    webhook_id: int | None = None,
    application_id: int | None = None,
    timestamp: str | None = None,
) -> dict[str, Any]:
    """The message Discord answers with, from what the client posted."""
    data: dict[str, Any] = {
        "id": str(message_id),
        "type": 0,
        "channel_id": str(channel_id),
        "author": author,
        "content": body.get("content") or "",
        "timestamp": timestamp or iso_now(),
        "edited_timestamp": None,
        "tts": bool(body.get("tts", False)),
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": attachments,
        "embeds": body.get("embeds") or [],
        "components": body.get("components") or [],
        "pinned": False,
        "flags": int(body.get("flags") or 0),
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    if application_id is not None:
        data["application_id"] = str(application_id)
    return data
