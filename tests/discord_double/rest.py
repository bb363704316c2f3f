"""Discord's REST API, the parts a slash-command bot uses, answered as Discord answers them.

Every request is recorded (also unknown routes, answered 404 so a test notices). JSON answers
carry `Content-Type: application/json` exactly: aiohttp's json_response adds `; charset=utf-8`,
which discord.py does not recognise as JSON.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web
from multidict import CIMultiDict

from .commands import validate_commands
from .faults import unknown_interaction, unknown_webhook
from .messages import StoredMessage, message_error
from .payloads import application_payload, channel_payload
from .records import RecordedFile, RecordedRequest

if TYPE_CHECKING:
    from . import DiscordDouble
    from .interactions import InteractionState

API_PREFIX = "/api/v10"
Reply = tuple[int, Any]
Handler = Callable[[RecordedRequest, dict[str, str]], Awaitable[Reply]]
LOADING = 128  # message flag of a deferred "is thinking..." response


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    bot_auth: bool


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> web.Response:
    if status == 204 or data is None:
        return web.Response(status=status, headers=headers)
    body = json.dumps(data).encode()
    return web.Response(
        status=status, body=body, headers={**(headers or {}), "Content-Type": "application/json"}
    )


async def parse_request(request: web.Request) -> RecordedRequest:
    """Method, path, query, headers, JSON (or payload_json) and files, received now."""
    received = time.monotonic()
    path = (
        request.path[len(API_PREFIX) :]
        if request.path.startswith(API_PREFIX + "/")
        else request.path
    )
    data: Any = None
    files: list[RecordedFile] = []
    raw = b""
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            content = await part.read(decode=False)  # type: ignore[union-attr]
            if part.name == "payload_json":  # type: ignore[union-attr]
                data = json.loads(content)
            else:
                ctype = part.headers.get("Content-Type", "application/octet-stream")  # type: ignore[union-attr]
                files.append(
                    RecordedFile(part.name or "", part.filename or "", ctype, bytes(content))
                )  # type: ignore[union-attr]
    elif request.can_read_body:
        raw = await request.read()
        if raw:
            try:
                data = json.loads(raw)
            except ValueError:
                data = None
    return RecordedRequest(
        request.method,
        path,
        dict(request.query),
        CIMultiDict(request.headers),
        data,
        files,
        received,
        raw,
    )


class RestApi:
    def __init__(self, double: DiscordDouble) -> None:
        self._d = double
        self._routes: list[_Route] = []
        app, tok, mid = r"(?P<app>\d+)", r"(?P<token>[^/]+)", r"(?P<message>@original|\d+)"
        add = self._add
        add("GET", "/gateway", self._gateway, False)
        add("GET", "/gateway/bot", self._gateway, True)
        add("GET", "/users/@me", self._users_me, True)
        add("GET", "/oauth2/applications/@me", self._app_me, True)
        add("GET", "/applications/@me", self._app_me, True)
        for method in ("GET", "PUT"):
            add(method, rf"/applications/{app}/commands", self._commands, True)
            add(
                method, rf"/applications/{app}/guilds/(?P<guild>\d+)/commands", self._commands, True
            )
        add("POST", rf"/interactions/(?P<interaction>\d+)/{tok}/callback", self._callback, False)
        add("POST", rf"/webhooks/{app}/{tok}", self._followup, False)
        for method in ("GET", "PATCH", "DELETE"):
            add(method, rf"/webhooks/{app}/{tok}/messages/{mid}", self._webhook_message, False)
        add("GET", r"/channels/(?P<channel>\d+)", self._channel, True)
        add("POST", r"/channels/(?P<channel>\d+)/typing", self._typing, True)
        add("POST", r"/channels/(?P<channel>\d+)/messages", self._channel_post, True)
        for method in ("GET", "PATCH", "DELETE"):
            add(
                method,
                r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)",
                self._channel_message,
                True,
            )

    def _add(self, method: str, path: str, handler: Handler, bot_auth: bool) -> None:
        self._routes.append(_Route(method, re.compile(f"^{path}$"), handler, bot_auth))

    async def handle(self, request: web.Request) -> web.Response:
        record = await parse_request(request)
        if request.method == "GET" and record.path.startswith("/attachments/"):
            return self._attachment(record)
        status, data, headers = await self._answer(request, record)
        record.status, record.response = status, data
        if not self._d.keep_files:
            record.body = b""
            for file in record.files:
                file.data = b""
        self._d.requests.append(record)
        if record.unknown_route:
            self._d.unknown_routes.append(record)
        return json_response(status, data, headers)

    async def _answer(
        self, request: web.Request, record: RecordedRequest
    ) -> tuple[int, Any, dict[str, str]]:
        fault = self._d.faults.take(record.method, record.path)
        if fault is not None:
            return fault.status, fault.body, fault.headers
        for route in self._routes:
            match = (
                route.pattern.match(record.path) if request.path.startswith(API_PREFIX) else None
            )
            if match is None or route.method != record.method:
                continue
            if route.bot_auth and record.headers.get("Authorization") != f"Bot {self._d.token}":
                return 401, {"message": "401: Unauthorized", "code": 0}, {}
            headers: dict[str, str] = {}
            if route.bot_auth:  # interaction callbacks and webhooks are not rate limited
                limited, headers = self._d.rate_limits.check(record.method, record.path)
                if limited is not None:
                    return limited.status, limited.body, limited.headers
            status, data = await route.handler(record, match.groupdict())
            return status, data, headers
        record.unknown_route = True
        return 404, {"message": "404: Not Found", "code": 0}, {}

    # -- login, gateway, commands ----------------------------------------------------------
    async def _gateway(self, record: RecordedRequest, _: dict[str, str]) -> Reply:
        limit = {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}
        return 200, {
            "url": self._d.gateway_url,
            "shards": self._d.shard_count,
            "session_start_limit": limit,
        }

    async def _users_me(self, record: RecordedRequest, _: dict[str, str]) -> Reply:
        return 200, self._d.bot_user

    async def _app_me(self, record: RecordedRequest, _: dict[str, str]) -> Reply:
        return 200, application_payload(self._d.application_id, self._d.bot_name)

    async def _commands(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        if int(params["app"]) != self._d.application_id:
            return 404, {"message": "Unknown Application", "code": 10002}
        scope = int(params["guild"]) if params.get("guild") else None
        if scope is not None and self._d.guild(scope) is None:
            return 403, {"message": "Missing Access", "code": 50001}
        if record.method == "GET":
            return 200, self._d.command_store.list(scope)
        errors = validate_commands(record.json, is_global=scope is None)
        if errors is not None:
            return 400, {"message": "Invalid Form Body", "code": 50035, "errors": errors}
        return 200, self._d.command_store.overwrite(scope, record.json)

    # -- interactions and their webhooks ------------------------------------------------------
    async def _callback(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        state = self._d.interaction_state(int(params["interaction"]))
        if (
            state is None
            or state.token != params["token"]
            or state.token in self._d.faults.expired_tokens
        ):
            fault = unknown_interaction()
            return fault.status, fault.body
        deadline = self._d.callback_deadline
        if deadline is not None and record.received_at - state.created_at > deadline:
            fault = unknown_interaction()
            return fault.status, fault.body
        if state.callback_type is not None:
            return 400, {"message": "Interaction has already been acknowledged.", "code": 40060}
        body = record.json or {}
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        if kind in (4, 7):
            error = message_error(data, record.files, size_limit=state.size_limit)
            if error is not None:
                return error
        state.callback_type = kind
        if kind == 8:
            state.choices = list(data.get("choices") or [])
        message: StoredMessage | None = None
        if kind in (4, 5):
            flags = int(data.get("flags") or 0) | (LOADING if kind == 5 else 0)
            message = self._d.store.create(
                state.channel_id,
                state.guild_id,
                {**data, "flags": flags},
                record.files,
                kind="original",
                interaction_id=state.id,
            )
            state.original_id = message.id
        if record.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        info: dict[str, Any] = {"id": str(state.id), "type": state.type}
        if message is not None:
            info.update(
                response_message_id=str(message.id),
                response_message_loading=kind == 5,
                response_message_ephemeral=message.ephemeral,
            )
        resource: dict[str, Any] = {"type": kind}
        if message is not None and kind == 4:
            resource["message"] = message.data
        return 200, {"interaction": info, "resource": resource}

    def _webhook_state(self, params: dict[str, str]) -> InteractionState | None:
        state = self._d.interaction_by_token(params["token"])
        if int(params["app"]) != self._d.application_id or state is None:
            return None
        if state.token in self._d.faults.expired_tokens or state.callback_type is None:
            return None  # Discord knows no webhook for a token not yet acknowledged
        return state

    async def _followup(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        state = self._webhook_state(params)
        if state is None:
            fault = unknown_webhook()
            return fault.status, fault.body
        error = message_error(record.json, record.files, size_limit=state.size_limit)
        if error is not None:
            return error
        original = self._d.message(state.original_id) if state.original_id else None
        if (
            original is not None
            and not original.deleted
            and int(original.data.get("flags") or 0) & LOADING
        ):
            # The first followup after a deferred response edits the "thinking" message.
            body = {**(record.json or {}), "flags": int(original.data["flags"]) & ~LOADING}
            message = self._d.store.edit(original, body, record.files)
        else:
            message = self._d.store.create(
                state.channel_id,
                state.guild_id,
                record.json or {},
                record.files,
                kind="followup",
                interaction_id=state.id,
            )
        wait = record.query.get("wait") in ("1", "true", "True")
        return (200, message.data) if wait else (204, None)

    async def _webhook_message(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        state = self._webhook_state(params)
        if state is None:
            fault = unknown_webhook()
            return fault.status, fault.body
        wanted = params["message"]
        message_id = state.original_id if wanted == "@original" else int(wanted)
        message = self._d.message(message_id) if message_id else None
        if message is None or message.deleted or message.interaction_id != state.id:
            return 404, {"message": "Unknown Message", "code": 10008}
        return self._message_op(record, message, state.size_limit)

    # -- channels ------------------------------------------------------------------------------
    def _channel_lookup(self, channel_id: int) -> tuple[int, Any] | None:
        fault = self._d.faults.channel_errors.get(channel_id)
        if fault is not None:
            return fault.status, fault.body
        if self._d.channel_guild(channel_id) is None and not self._d.chat.is_dm_channel(channel_id):
            return 404, {"message": "Unknown Channel", "code": 10003}
        return None

    async def _channel(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        channel_id = int(params["channel"])
        guild = self._d.channel_guild(channel_id)
        if guild is None:
            return 404, {"message": "Unknown Channel", "code": 10003}
        spec = guild.channel(channel_id)
        assert spec is not None
        return 200, channel_payload(spec, guild.id)

    async def _typing(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        return self._channel_lookup(int(params["channel"])) or (204, None)

    async def _channel_post(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        channel_id = int(params["channel"])
        failure = self._channel_lookup(channel_id)
        if failure is not None:
            return failure
        error = message_error(record.json, record.files, size_limit=self._d.attachment_size_limit)
        if error is not None:
            return error
        body = record.json or {}
        reference = body.get("message_reference")
        if reference is not None:
            # Discord refuses a reply to a message that is not in this channel.
            target = self._d.message(int(reference.get("message_id") or 0))
            if target is None or target.channel_id != channel_id:
                return 400, {
                    "message": "Invalid Form Body",
                    "code": 50035,
                    "errors": {
                        "message_reference": {
                            "_errors": [
                                {"code": "REPLIES_UNKNOWN_MESSAGE", "message": "Unknown message"}
                            ]
                        }
                    },
                }
        guild = self._d.channel_guild(channel_id)
        message = self._d.store.create(
            channel_id, guild.id if guild else None, body, record.files, kind="channel"
        )
        if reference is not None:
            message.data["message_reference"] = {
                "type": 0,
                "message_id": str(reference["message_id"]),
                "channel_id": str(channel_id),
            }
            message.data["type"] = 19
        return 200, message.data

    async def _channel_message(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        channel_id = int(params["channel"])
        failure = self._channel_lookup(channel_id)
        if failure is not None:
            return failure
        message = self._d.message(int(params["message"]))
        if message is None or message.deleted or message.channel_id != channel_id:
            return 404, {"message": "Unknown Message", "code": 10008}
        return self._message_op(record, message, self._d.attachment_size_limit)

    # -- message storage -----------------------------------------------------------------------
    def _message_op(
        self, record: RecordedRequest, message: StoredMessage, size_limit: int
    ) -> Reply:
        if record.method == "GET":
            return 200, message.data
        if record.method == "DELETE":
            message.deleted = True
            return 204, None
        error = message_error(record.json, record.files, size_limit=size_limit, editing=True)
        if error is not None:
            return error
        body = dict(record.json or {})
        if "flags" not in body:  # an edit keeps the flags, but resolves a "thinking" message
            body["flags"] = int(message.data.get("flags") or 0) & ~LOADING
        return 200, self._d.store.edit(message, body, record.files).data

    def _attachment(self, record: RecordedRequest) -> web.Response:
        """The CDN: attachment URLs in answered messages serve the uploaded bytes."""
        parts = record.path.split("/")  # "", "attachments", channel, attachment id, filename
        file = (
            self._d.store.attachment_bytes.get(int(parts[3]))
            if len(parts) > 3 and parts[3].isdigit()
            else None
        )
        record.status = 200 if file is not None else 404
        self._d.requests.append(record)
        if file is None:
            return json_response(404, {"message": "404: Not Found", "code": 0})
        return web.Response(body=file.data, headers={"Content-Type": file.content_type})
