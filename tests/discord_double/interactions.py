"""INTERACTION_CREATE payloads built from the synced commands, and handles to await answers.

Option types come from the command as the bot synced it (so `{"days": 5}` is sent as an
INTEGER if the bot declared an integer, as a NUMBER if it declared a float), and the options
are checked like the Discord client checks them before sending (known names, required ones,
choices, ranges), so a test cannot send what no user could.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .commands import (
    ATTACHMENT,
    BOOLEAN,
    CHANNEL,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    ROLE,
    STRING,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
)
from .messages import StoredMessage
from .payloads import GuildSpec, channel_payload, member_payload, user_payload
from .records import RecordedRequest

if TYPE_CHECKING:
    from . import DiscordDouble

APPLICATION_COMMAND, AUTOCOMPLETE = 2, 4


@dataclass
class InteractionState:
    """What the double tracks per interaction (acknowledgement, original message...)."""

    id: int
    token: str
    type: int
    channel_id: int
    guild_id: int | None
    size_limit: int
    payload: dict[str, Any]
    created_at: float = field(default_factory=time.monotonic)
    callback_type: int | None = None
    original_id: int | None = None
    choices: list[dict[str, Any]] | None = None


def _infer_type(value: Any) -> int:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    return STRING


def _convert(name: str, kind: int, value: Any) -> Any:
    if kind == STRING:
        if not isinstance(value, str):
            raise ValueError(f"option {name!r} is a string option, got {value!r}")
        return value
    if kind == INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"option {name!r} is an integer option, got {value!r}")
        return value
    if kind == NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"option {name!r} is a number option, got {value!r}")
        return value
    if kind == BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError(f"option {name!r} is a boolean option, got {value!r}")
        return value
    if kind == ATTACHMENT:
        raise ValueError("attachment options are not supported by the double")
    return str(int(getattr(value, "id", value)))  # user, channel, role, mentionable: an id


def _check(definition: dict[str, Any], value: Any) -> None:
    name = definition["name"]
    choices = definition.get("choices") or []
    if choices and value not in [c["value"] for c in choices]:
        raise ValueError(f"option {name!r}: {value!r} is not one of the choices {choices}")
    low, high = definition.get("min_value"), definition.get("max_value")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"option {name!r}: {value!r} is outside [{low}, {high}]")
    low, high = definition.get("min_length"), definition.get("max_length")
    if (low is not None and len(value) < low) or (high is not None and len(value) > high):
        raise ValueError(f"option {name!r}: length of {value!r} is outside [{low}, {high}]")


def _resolve(
    kind: int, value: str, guild: GuildSpec | None, permissions: int, resolved: dict[str, Any]
) -> None:
    """Fill data.resolved for USER/CHANNEL/ROLE/MENTIONABLE options as Discord does."""
    if kind == CHANNEL:
        spec = guild.channel(int(value)) if guild else None
        if spec is None:
            raise ValueError(
                f"channel {value} is not a channel of guild {guild.id if guild else None}"
            )
        resolved.setdefault("channels", {})[value] = {
            "id": value,
            "type": spec.type,
            "name": spec.name,
            "guild_id": str(guild.id),  # type: ignore[union-attr]
            "permissions": str(permissions),
            "parent_id": None,
            "position": spec.position,
            "topic": spec.topic,
            "nsfw": False,
            "flags": 0,
        }
    elif kind == ROLE or (kind == MENTIONABLE and guild is not None and int(value) == guild.id):
        everyone = guild is not None and int(value) == guild.id
        resolved.setdefault("roles", {})[value] = {
            "id": value,
            "name": "@everyone" if everyone else f"role{int(value) % 10000}",
            "permissions": str(guild.everyone_permissions if guild else 0),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
    elif kind in (USER, MENTIONABLE):
        resolved.setdefault("users", {})[value] = user_payload(int(value))
        if guild is not None:
            member = member_payload(
                user_payload(int(value)), joined_at=guild.joined_at, permissions=permissions
            )
            member.pop("user")
            resolved.setdefault("members", {})[value] = member


def build_options(
    command: dict[str, Any] | None,
    subcommand: str | None,
    values: Mapping[str, Any],
    *,
    focused: str | None,
    guild: GuildSpec | None,
    permissions: int,
    validate: bool,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """data.options (with subcommands nested) and data.resolved for a command invocation."""
    definitions: list[dict[str, Any]] = (command or {}).get("options") or []
    path = subcommand.split() if subcommand else []
    kinds: list[int] = []
    for name in path:
        found = next(
            (
                o
                for o in definitions
                if o["name"] == name and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
            ),
            None,
        )
        if found is None and command is not None:
            raise ValueError(f"no subcommand or group {name!r} in /{command['name']}")
        kinds.append(
            found["type"]
            if found
            else (SUB_COMMAND_GROUP if len(kinds) < len(path) - 1 else SUB_COMMAND)
        )
        definitions = (found or {}).get("options") or []
    if command is not None and any(
        o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in definitions
    ):
        raise ValueError(
            f"/{command['name']} needs subcommand=, one of {[o['name'] for o in definitions]}"
        )
    by_name = {o["name"]: o for o in definitions}
    options: list[dict[str, Any]] = []
    resolved: dict[str, Any] = {}
    for name, value in values.items():
        definition = by_name.get(name)
        if definition is None and command is not None and validate:
            raise ValueError(f"/{command['name']} has no option {name!r}; it has {sorted(by_name)}")
        kind = definition["type"] if definition else _infer_type(value)
        if name == focused:
            options.append({"name": name, "type": kind, "value": str(value), "focused": True})
            continue
        converted = _convert(name, kind, value)
        if definition is not None and validate and kind in (STRING, INTEGER, NUMBER):
            _check(definition, converted)
        if kind in (USER, CHANNEL, ROLE, MENTIONABLE):
            _resolve(kind, converted, guild, permissions, resolved)
        options.append({"name": name, "type": kind, "value": converted})
    missing = [o["name"] for o in definitions if o.get("required") and o["name"] not in values]
    if missing and validate and focused is None:
        raise ValueError(f"required options missing: {missing}")
    for name, kind in reversed(list(zip(path, kinds, strict=True))):
        options = [{"name": name, "type": kind, "options": options}]
    return options, resolved


@dataclass
class InteractionHandle:
    """An interaction the double sent; await what the bot answered to it."""

    double: DiscordDouble
    state: InteractionState

    @property
    def id(self) -> int:
        return self.state.id

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def payload(self) -> dict[str, Any]:
        return self.state.payload

    def _is_callback(self, r: RecordedRequest) -> bool:
        return r.method == "POST" and r.path == f"/interactions/{self.id}/{self.token}/callback"

    def _is_webhook(self, r: RecordedRequest) -> bool:
        base = f"/webhooks/{self.double.application_id}/{self.token}"
        return r.path == base or r.path.startswith(base + "/")

    def _is_followup(self, r: RecordedRequest) -> bool:
        return (
            r.method == "POST" and r.path == f"/webhooks/{self.double.application_id}/{self.token}"
        )

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request about this interaction (callback, followups, edits), retries included."""
        return [r for r in self.double.requests if self._is_callback(r) or self._is_webhook(r)]

    @property
    def followups(self) -> list[RecordedRequest]:
        """Successful followup posts, in order."""
        return [r for r in self.double.requests if self._is_followup(r) and r.ok]

    @property
    def messages(self) -> list[StoredMessage]:
        """The messages this interaction produced (original response first), not deleted."""
        return [m for m in self.double.messages if m.interaction_id == self.id and not m.deleted]

    async def wait_callback(self, timeout: float = 5.0) -> RecordedRequest:
        """The first answered callback (any type); `.json["type"]` says which."""
        found = await self.double.requests.wait(
            lambda r: self._is_callback(r) and r.ok,
            timeout=timeout,
            what=f"a callback for interaction {self.id}",
        )
        return found[0]

    async def wait_defer(self, timeout: float = 5.0) -> RecordedRequest:
        """The callback, which must be a defer (type 5, or 6 for components)."""
        callback = await self.wait_callback(timeout)
        if callback.json.get("type") not in (5, 6):
            raise AssertionError(
                f"expected a defer callback, got type {callback.json.get('type')}: {callback.json}"
            )
        return callback

    async def wait_followup(self, timeout: float = 5.0, index: int = 0) -> RecordedRequest:
        """The `index`-th successful followup (POST /webhooks/{app}/{token}), with files."""
        return (await self.wait_followups(index + 1, timeout))[index]

    async def wait_followups(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        return await self.double.requests.wait(
            lambda r: self._is_followup(r) and r.ok,
            timeout=timeout,
            count=count,
            what=f"{count} followup(s) for interaction {self.id}",
        )

    async def wait_original_edit(self, timeout: float = 5.0) -> RecordedRequest:
        """A successful PATCH of the original response (edit_original_response)."""
        found = await self.double.requests.wait(
            lambda r: (
                r.method == "PATCH"
                and self._is_webhook(r)
                and r.path.endswith("/messages/@original")
                and r.ok
            ),
            timeout=timeout,
            what=f"an edit of the original response of interaction {self.id}",
        )
        return found[0]

    async def wait_reply(self, timeout: float = 5.0) -> StoredMessage:
        """The first message a user would see: a type 4 response, a followup, or the edit that
        resolves a deferred "thinking" response, however the bot chose to answer."""

        def visible() -> StoredMessage | None:
            return next((m for m in self.messages if not int(m.data.get("flags") or 0) & 128), None)

        # A request is logged before the double has answered (and stored) it, so waiting on
        # the request log alone can miss the last message: poll the store as well.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (reply := visible()) is None and loop.time() < deadline:
            with contextlib.suppress(TimeoutError):
                await self.double.requests.wait(
                    lambda r: visible() is not None,
                    timeout=min(0.05, max(0.0, deadline - loop.time())),
                    what=f"a visible reply to interaction {self.id}",
                )
        if reply is None:
            await self.double.requests.wait(
                lambda r: visible() is not None, timeout=0, what=f"a visible reply to {self.id}"
            )
        assert reply is not None
        return reply

    async def wait_choices(self, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The autocomplete answer's choices (callback type 8)."""
        callback = await self.wait_callback(timeout)
        if callback.json.get("type") != 8:
            raise AssertionError(f"expected an autocomplete callback (type 8), got {callback.json}")
        return list(callback.json.get("data", {}).get("choices") or [])


def interaction_payload(
    state: InteractionState,
    data: dict[str, Any],
    guild: GuildSpec | None,
    *,
    application_id: int,
    user_id: int,
    permissions: int,
    app_permissions: int,
    locale: str,
) -> dict[str, Any]:
    """A complete INTERACTION_CREATE `d`, with every key discord.py 2.7.1 reads."""
    user = user_payload(user_id)
    payload: dict[str, Any] = {
        "id": str(state.id),
        "application_id": str(application_id),
        "type": state.type,
        "token": state.token,
        "version": 1,
        "data": data,
        "attachment_size_limit": state.size_limit,
        "app_permissions": str(app_permissions),
        "locale": locale,
        "entitlements": [],
        "channel_id": str(state.channel_id),
    }
    if guild is not None:
        spec = guild.channel(state.channel_id)
        channel = (
            channel_payload(spec, guild.id)
            if spec
            else {
                "id": str(state.channel_id),
                "type": 0,
                "guild_id": str(guild.id),
                "name": "unknown",
                "position": 0,
            }
        )
        payload.update(
            guild_id=str(guild.id),
            guild={"id": str(guild.id), "locale": "en-US", "features": []},
            guild_locale="en-US",
            channel={**channel, "permissions": str(permissions)},
            member=member_payload(user, joined_at=guild.joined_at, permissions=permissions),
            authorizing_integration_owners={"0": str(guild.id)},
            context=0,
        )
    else:
        payload.update(
            user=user,
            channel={"id": str(state.channel_id), "type": 1, "recipients": [user], "flags": 0},
            authorizing_integration_owners={"0": "0"},
            context=1,
        )
    return payload
