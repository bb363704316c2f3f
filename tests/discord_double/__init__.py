"""A local Discord (REST + gateway) on 127.0.0.1 for running the REAL discord.py client.

Facts it follows: /work/shared/notes/discord-double.md. Quick start (pytest, asyncio_mode=auto)::

    from tests.discord_double import DiscordDouble, ADMIN_PERMISSIONS

    async with DiscordDouble() as double:
        with double.point_discord_py():           # Route.BASE + DEFAULT_GATEWAY, restored after
            bot = make_bot()                      # commands.Bot(..., guild_ready_timeout=0.05)
            await bot.login(double.token)
            task = asyncio.create_task(bot.connect())
            await asyncio.wait_for(bot.wait_until_ready(), 5)
            await bot.tree.sync()                 # validated like Discord; 400 50035 if invalid
            handle = await double.send_slash("price", {"symbol": "AAPL", "days": 5})
            await handle.wait_defer()             # callback type 5 arrived
            followup = await handle.wait_followup()
            followup.json["embeds"], followup.files[0].data   # payload_json + files[n] bytes
            await bot.close(); await task

Defaults: one guild DEFAULT_GUILD_ID ("Test Guild") with text channels DEFAULT_CHANNEL_ID
("general") and SECOND_CHANNEL_ID ("market-alerts"); users run commands as DEFAULT_USER_ID
with MEMBER_PERMISSIONS (no MANAGE_GUILD; ADMIN_PERMISSIONS has it). Pass guilds=[GuildSpec(
id, name, channels=[ChannelSpec(id, name)])] for others. Wait predicates that raise count as
no match. Timeouts raise DoubleTimeout (a TimeoutError) listing the last requests received.

A bot in a subprocess: ``threaded = run_in_thread()`` (see threaded.py), give the bot
``threaded.double.env()`` (DISCORD_API_BASE_URL, DISCORD_GATEWAY_URL) and the token, and call
the double's coroutines through ``await threaded.arun(coro)`` / ``threaded.run(coro)``.

Public API of DiscordDouble (all coroutines run on the double's event loop):
  construction: DiscordDouble(token=, application_id=, bot_name=, guilds=[GuildSpec...],
      privileged_intents=0, shard_count=1, callback_deadline=3.0, attachment_size_limit=10 MiB,
      rate_limits=True, keep_files=True)
  start()/stop() or `async with`; api_base_url, gateway_url, resume_gateway_url, base_url;
      point_discord_py() (context manager; restores discord.py's URLs after); env()
  requests: EventLog of RecordedRequest (method, path relative to the API base, query,
      headers, json, files, received_at=time.monotonic(), status, response); unknown_routes
  mark() -> index; wait_for(pred, timeout=5, after=0) -> RecordedRequest; call_api(method,
      path, json=None, auth=True) -> (status, body, content_type) for raw checks;
      wait_for_count(pred, count, ...) -> list; find(method, path_regex) -> list
  commands(guild_id=None) -> the synced commands (ids, versions)
  send_slash(name, options=None, *, guild_id=DEFAULT, channel_id=DEFAULT, user_id=DEFAULT,
      permissions=MEMBER_PERMISSIONS, subcommand=None, app_permissions=BOT_PERMISSIONS,
      locale="en-US", validate=True) -> InteractionHandle; guild_id=None sends it from a DM
  send_autocomplete(name, options, focused, ...) -> list of choices (the type 8 answer)
  people writing (double.chat, see chat.py): post(content, user_id=, guild_id=None for a DM,
      reply_to=StoredMessage, ping_reply=) dispatches MESSAGE_CREATE as Discord does (intents,
      content only for mentions and DMs); wait_reply_to(message); click(message, custom_id)
  InteractionHandle: id, token, payload, requests, followups, messages, wait_callback(),
      wait_defer(), wait_followup(index=0), wait_followups(n), wait_original_edit(),
      wait_reply() -> StoredMessage, wait_choices()
  messages: StoredMessage list (kind original/followup/channel, data, files with bytes);
      channel_messages(channel_id)
  gateway: dispatch(event, data, guild_id=None); drop_gateway(code=4000, abort=False) (the
      client resumes via resume_gateway_url and gets what it missed); send_reconnect();
      invalidate_session(resumable=False); wait_gateway(pred) over the client's GatewayFrames;
      wait_identify()/wait_resume()
  rate limits (double.rate_limits, ratelimits.py): Discord's global 50 requests/s per token
      and per-route buckets (5 messages / 5 s per channel...) with X-RateLimit-* headers on
      every bot-token answer; route_429s, global_429s, total_429s, peak_per_second count them
  faults (double.faults): rate_limit(path_regex, method=None, times=1, retry_after=0.25,
      is_global=False); server_error(path_regex, times=1, status=500);
      fail_followups(times=1, status=500); expire_interaction(token);
      channel_error(channel_id, 403|404); clear(); pending()
Realism the bot must live with: an interaction callback after `callback_deadline` seconds
gets 404 10062; a second callback 400 40060; a followup before any callback 404 10015; the
first followup after a defer edits the "thinking" message; message limits (2000 chars, 10
embeds, embed sizes, attachment_size_limit) answer 400/413; privileged intents not enabled
close the gateway with 4014. An AutoShardedClient asks GET /gateway/bot (shards=shard_count);
discord.py itself waits 5 s before identifying each shard after the first.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import socket
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from aiohttp import web

from .chat import Chat
from .commands import CommandStore
from .faults import Faults
from .gateway import INVALID_SESSION, RECONNECT, Gateway
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    InteractionHandle,
    InteractionState,
    build_options,
    interaction_payload,
)
from .messages import MessageStore, StoredMessage
from .payloads import (
    ADMIN_PERMISSIONS,
    APPLICATION_ID,
    BOT_PERMISSIONS,
    DEFAULT_CHANNEL_ID,
    DEFAULT_GUILD_ID,
    DEFAULT_USER_ID,
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    SECOND_CHANNEL_ID,
    ChannelSpec,
    GuildSpec,
    Snowflakes,
    bot_user_payload,
    default_guilds,
)
from .ratelimits import RateLimiter
from .records import DoubleTimeout, EventLog, GatewayFrame, RecordedFile, RecordedRequest
from .rest import RestApi
from .threaded import ThreadedDouble, run_in_thread

__all__ = [
    "ADMIN_PERMISSIONS",
    "APPLICATION_ID",
    "BOT_PERMISSIONS",
    "DEFAULT_CHANNEL_ID",
    "DEFAULT_GUILD_ID",
    "DEFAULT_USER_ID",
    "MANAGE_GUILD",
    "MEMBER_PERMISSIONS",
    "SECOND_CHANNEL_ID",
    "ChannelSpec",
    "DiscordDouble",
    "DoubleTimeout",
    "GatewayFrame",
    "GuildSpec",
    "InteractionHandle",
    "RecordedFile",
    "RecordedRequest",
    "StoredMessage",
    "ThreadedDouble",
    "run_in_thread",
]

_DEFAULT: Any = object()


class DiscordDouble:
    """See the module docstring for the API."""

    def __init__(
        self,
        *,
        token: str = "double-bot-token",
        application_id: int = APPLICATION_ID,
        bot_name: str = "marketbot",
        guilds: list[GuildSpec] | None = None,
        privileged_intents: int = 0,
        shard_count: int = 1,
        callback_deadline: float | None = 3.0,
        attachment_size_limit: int = 10 * 1024 * 1024,
        rate_limits: bool = True,
        keep_files: bool = True,
        host: str = "127.0.0.1",
    ) -> None:
        self.token = token
        self.application_id = application_id
        self.bot_name = bot_name
        self.bot_user = bot_user_payload(application_id, bot_name)
        self.guilds = guilds if guilds is not None else default_guilds()
        self.privileged_intents = privileged_intents
        self.shard_count = shard_count
        self.callback_deadline = callback_deadline
        self.attachment_size_limit = attachment_size_limit
        self.host = host
        self.port = 0
        self.ids = Snowflakes()
        self.requests: EventLog[RecordedRequest] = EventLog()
        self.unknown_routes: list[RecordedRequest] = []
        self.store = MessageStore(self)
        self.messages: list[StoredMessage] = self.store.items  # the same list, for reading
        self.command_store = CommandStore(application_id, self.ids)
        self.faults = Faults()
        self.rate_limits = RateLimiter(enabled=rate_limits)
        #: False: uploaded bytes are dropped once answered (sizes kept), for load runs of
        #: thousands of posts with charts.
        self.keep_files = keep_files
        self._channel_index: dict[int, GuildSpec] = {}
        self.gateway = Gateway(self)
        self._interactions: dict[int, InteractionState] = {}
        self._tokens: dict[str, InteractionState] = {}
        self._rest = RestApi(self)
        self.chat = Chat(self)
        self._runner: web.AppRunner | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway-resume", self.gateway.handle)
        app.router.add_route("*", "/{tail:.*}", self._rest.handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self.gateway.close_all()
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordDouble:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        """What DISCORD_API_BASE_URL / discord.http.Route.BASE should be."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """What DISCORD_GATEWAY_URL / DiscordWebSocket.DEFAULT_GATEWAY should be."""
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway-resume"

    def env(self) -> dict[str, str]:
        """Environment for a bot process (the product reads these two settings)."""
        return {"DISCORD_API_BASE_URL": self.api_base_url, "DISCORD_GATEWAY_URL": self.gateway_url}

    @contextlib.contextmanager
    def point_discord_py(self) -> Iterator[None]:
        """Point this process's discord.py at the double (via bot.endpoints), restore after."""
        import discord.gateway
        import discord.http

        from bot.endpoints import apply_discord_endpoints

        saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        apply_discord_endpoints(self.api_base_url, self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved

    # -- lookups ----------------------------------------------------------------------------------
    def guild(self, guild_id: int) -> GuildSpec | None:
        return next((g for g in self.guilds if g.id == guild_id), None)

    def channel_guild(self, channel_id: int) -> GuildSpec | None:
        """The guild holding the channel (indexed: a load run has thousands of channels)."""
        known = self._channel_index.get(channel_id)
        if known is not None and known.channel(channel_id) is not None:
            return known
        found = next((g for g in self.guilds if g.channel(channel_id) is not None), None)
        if found is not None:
            self._channel_index[channel_id] = found
        return found

    def message(self, message_id: int | None) -> StoredMessage | None:
        return self.store.get(message_id)

    def channel_messages(self, channel_id: int) -> list[StoredMessage]:
        return [m for m in self.messages if m.channel_id == channel_id and not m.deleted]

    def interaction_state(self, interaction_id: int) -> InteractionState | None:
        return self._interactions.get(interaction_id)

    def interaction_by_token(self, token: str) -> InteractionState | None:
        return self._tokens.get(token)

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """The commands as last synced, globally (None) or for a guild."""
        return self.command_store.list(guild_id)

    # -- waiting on requests -------------------------------------------------------------------
    def mark(self) -> int:
        """Index to pass as `after=` so only later requests count."""
        return len(self.requests.items)

    def find(
        self, method: str | None = None, path: str = ".*", *, after: int = 0
    ) -> list[RecordedRequest]:
        pattern = re.compile(path)
        return self.requests.matching(
            lambda r: (method is None or r.method == method) and bool(pattern.search(r.path)),
            after=after,
        )

    async def call_api(
        self, method: str, path: str, json: Any = None, *, auth: bool = True
    ) -> tuple[int, Any, str]:
        """Call the double's REST API as a client would (path relative to the API base, e.g.
        "/users/@me"); returns (status, parsed JSON or None, Content-Type). Recorded too."""
        import aiohttp

        headers = {"Authorization": f"Bot {self.token}"} if auth else {}
        async with aiohttp.ClientSession() as session:
            url = self.api_base_url + path
            async with session.request(method, url, json=json, headers=headers) as resp:
                body = await resp.json(content_type=None) if resp.status != 204 else None
                return resp.status, body, resp.headers.get("Content-Type", "")

    async def wait_for(
        self, predicate: Callable[[RecordedRequest], bool], timeout: float = 5.0, *, after: int = 0
    ) -> RecordedRequest:
        """The first request (already received or coming) from index `after` that matches."""
        return (await self.requests.wait(predicate, timeout=timeout, after=after))[0]

    async def wait_for_count(
        self,
        predicate: Callable[[RecordedRequest], bool],
        count: int,
        timeout: float = 5.0,
        *,
        after: int = 0,
    ) -> list[RecordedRequest]:
        return await self.requests.wait(predicate, timeout=timeout, count=count, after=after)

    async def wait_gateway(
        self, predicate: Callable[[GatewayFrame], bool], timeout: float = 5.0, *, after: int = 0
    ) -> GatewayFrame:
        """A frame the client sent (op, d) or a connection event, from index `after` on."""
        return (
            await self.gateway.frames.wait(
                predicate, timeout=timeout, after=after, what="a gateway frame"
            )
        )[0]

    async def wait_identify(self, timeout: float = 5.0) -> GatewayFrame:
        return await self.wait_gateway(lambda f: f.op == 2, timeout)

    async def wait_resume(self, timeout: float = 5.0, *, after: int = 0) -> GatewayFrame:
        return await self.wait_gateway(lambda f: f.op == 6, timeout, after=after)

    # -- gateway control ---------------------------------------------------------------------------
    async def dispatch(
        self, event: str, data: dict[str, Any], *, guild_id: int | None = None
    ) -> int:
        return await self.gateway.dispatch(event, data, guild_id=guild_id)

    async def drop_gateway(self, *, code: int = 4000, abort: bool = False) -> None:
        await self.gateway.drop(code=code, abort=abort)

    async def send_reconnect(self) -> None:
        await self.gateway.send_op(RECONNECT)

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        await self.gateway.send_op(INVALID_SESSION, resumable)

    # -- interactions ----------------------------------------------------------------------------
    async def send_slash(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        guild_id: int | None = _DEFAULT,
        channel_id: int = _DEFAULT,
        user_id: int = DEFAULT_USER_ID,
        permissions: int = MEMBER_PERMISSIONS,
        subcommand: str | None = None,
        app_permissions: int = BOT_PERMISSIONS,
        locale: str = "en-US",
        validate: bool = True,
    ) -> InteractionHandle:
        """A user runs /name (subcommand "sub" or "group sub") with `options` by name."""
        return await self._send(
            APPLICATION_COMMAND,
            name,
            options or {},
            None,
            guild_id,
            channel_id,
            user_id,
            permissions,
            subcommand,
            app_permissions,
            locale,
            validate,
        )

    async def send_autocomplete(
        self,
        name: str,
        options: Mapping[str, Any],
        focused: str,
        *,
        guild_id: int | None = _DEFAULT,
        channel_id: int = _DEFAULT,
        user_id: int = DEFAULT_USER_ID,
        permissions: int = MEMBER_PERMISSIONS,
        subcommand: str | None = None,
        timeout: float = 5.0,
    ) -> list[dict[str, Any]]:
        """A user types into option `focused`; returns the choices the bot answered."""
        handle = await self._send(
            AUTOCOMPLETE,
            name,
            options,
            focused,
            guild_id,
            channel_id,
            user_id,
            permissions,
            subcommand,
            BOT_PERMISSIONS,
            "en-US",
            True,
        )
        return await handle.wait_choices(timeout)

    def register_interaction(self, state: InteractionState) -> None:
        """Make an interaction's callbacks and webhooks answerable (see chat.click too)."""
        self._interactions[state.id] = state
        self._tokens[state.token] = state

    async def _send(
        self,
        kind: int,
        name: str,
        values: Mapping[str, Any],
        focused: str | None,
        guild_id: Any,
        channel_id: Any,
        user_id: int,
        permissions: int,
        subcommand: str | None,
        app_permissions: int,
        locale: str,
        validate: bool,
    ) -> InteractionHandle:
        if guild_id is _DEFAULT:
            guild_id = self.guilds[0].id if self.guilds else None
        guild = self.guild(guild_id) if guild_id is not None else None
        if guild_id is not None and guild is None:
            raise ValueError(f"guild {guild_id} is not configured in the double")
        if channel_id is _DEFAULT:
            channel_id = guild.channels[0].id if guild and guild.channels else self.ids.next()
        command = self.command_store.find(name, guild_id)
        if command is None and validate:
            raise LookupError(
                f"/{name} was not synced (globally or for guild {guild_id}); synced: {[c['name'] for s in self.command_store.scopes.values() for c in s]}"
            )
        options, resolved = build_options(
            command,
            subcommand,
            values,
            focused=focused,
            guild=guild,
            permissions=permissions,
            validate=validate,
        )
        data: dict[str, Any] = {
            "id": command["id"] if command else str(self.ids.next()),
            "name": name,
            "type": 1,
            "options": options,
        }
        if command is not None and command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        if resolved:
            data["resolved"] = resolved
        state = InteractionState(
            self.ids.next(),
            secrets.token_urlsafe(48),
            kind,
            channel_id,
            guild_id,
            self.attachment_size_limit,
            {},
        )
        state.payload = interaction_payload(
            state,
            data,
            guild,
            application_id=self.application_id,
            user_id=user_id,
            permissions=permissions,
            app_permissions=app_permissions,
            locale=locale,
        )
        self.register_interaction(state)
        await self.gateway.dispatch("INTERACTION_CREATE", state.payload, guild_id=guild_id)
        return InteractionHandle(self, state)
