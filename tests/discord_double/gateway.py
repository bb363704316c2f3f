"""The gateway websocket: HELLO, heartbeats, IDENTIFY -> READY + GUILD_CREATEs, RESUME.

Frames are plain-text JSON: discord.py asks for zlib-stream but only inflates binary frames.
Each session keeps every dispatch it was sent, so after a dropped connection the client's
RESUME replays what it missed (events sent while it was away are queued, as Discord does).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .payloads import guild_create_payload, member_payload
from .records import EventLog, GatewayFrame

if TYPE_CHECKING:
    from . import DiscordDouble

HELLO, HEARTBEAT, IDENTIFY, PRESENCE, RESUME, RECONNECT = 10, 1, 2, 3, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HEARTBEAT_ACK, DISPATCH = 8, 9, 11, 0
GUILDS_INTENT = 1 << 0
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content


@dataclass
class GatewaySession:
    """One IDENTIFY'd session; survives a dropped connection until the client resumes it."""

    session_id: str
    shard: tuple[int, int]
    intents: int
    seq: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    resumes: int = 0

    def owns_guild(self, guild_id: int | None) -> bool:
        shard_id, count = self.shard
        return guild_id is None or (guild_id >> 22) % count == shard_id


class Gateway:
    def __init__(self, double: DiscordDouble) -> None:
        self._double = double
        self.sessions: dict[str, GatewaySession] = {}
        self.frames: EventLog[GatewayFrame] = EventLog()
        self._sockets: dict[web.WebSocketResponse, asyncio.BaseTransport | None] = {}

    # -- connection handling -------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self._sockets[ws] = request.transport
        self._log(None, dict(request.query), event="connect", path=request.path)
        session: GatewaySession | None = None
        try:
            await self._send_raw(ws, {"op": HELLO, "d": {"heartbeat_interval": 41250}})
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op, data = frame.get("op"), frame.get("d")
                self._log(op, data, path=request.path, session=session)
                if op == HEARTBEAT:
                    await self._send_raw(ws, {"op": HEARTBEAT_ACK})
                elif op == IDENTIFY:
                    session = await self._identify(ws, data)
                elif op == RESUME:
                    session = await self._resume(ws, data)
                elif op == REQUEST_MEMBERS and session is not None:
                    await self._members_chunk(session, data)
        finally:
            self._sockets.pop(ws, None)
            if session is not None and session.ws is ws:
                session.ws = None
            self._log(None, ws.close_code, event="disconnect", path=request.path, session=session)
        return ws

    async def _identify(
        self, ws: web.WebSocketResponse, data: dict[str, Any]
    ) -> GatewaySession | None:
        double = self._double
        if data.get("token") != double.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        intents = int(data.get("intents") or 0)
        if intents & PRIVILEGED_INTENTS & ~double.privileged_intents:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        shard = tuple(data.get("shard") or (0, 1))
        if len(shard) != 2 or not 0 <= int(shard[0]) < int(shard[1]):
            await ws.close(code=4010, message=b"Invalid shard.")
            return None
        session = GatewaySession(uuid.uuid4().hex, (int(shard[0]), int(shard[1])), intents, ws=ws)
        self.sessions[session.session_id] = session
        guilds = [g for g in double.guilds if session.owns_guild(g.id)]
        ready: dict[str, Any] = {
            "v": 10,
            "user": double.bot_user,
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": double.resume_gateway_url,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "application": {"id": str(double.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": [],
            "_trace": ["discord-double"],
        }
        if data.get("shard") is not None:
            ready["shard"] = list(session.shard)
        await self._dispatch(session, "READY", ready)
        if intents & GUILDS_INTENT:
            for guild in guilds:
                await self._dispatch(
                    session, "GUILD_CREATE", guild_create_payload(guild, double.bot_user)
                )
        return session

    async def _resume(
        self, ws: web.WebSocketResponse, data: dict[str, Any]
    ) -> GatewaySession | None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self._double.token:
            await self._send_raw(ws, {"op": INVALID_SESSION, "d": False})
            return None
        seq = int(data.get("seq") or 0)
        async with session.lock:
            session.ws = ws
            session.resumes += 1
            for frame in session.history:
                if frame["s"] > seq:
                    await self._send_raw(ws, frame)
        await self._dispatch(session, "RESUMED", {"_trace": ["discord-double"]})
        return session

    async def _members_chunk(self, session: GatewaySession, data: dict[str, Any]) -> None:
        guild_id = int(data.get("guild_id"))
        members = [
            member_payload(self._double.bot_user, joined_at=g.joined_at)
            for g in self._double.guilds
            if g.id == guild_id
        ]
        chunk = {
            "guild_id": str(guild_id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
            "presences": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self._dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)

    # -- sending --------------------------------------------------------------------------
    def session_for(self, guild_id: int | None) -> GatewaySession:
        """The newest session whose shard owns the guild (the one Discord would use)."""
        for session in reversed(list(self.sessions.values())):
            if session.owns_guild(guild_id):
                return session
        raise RuntimeError("no bot has IDENTIFY'd on the gateway yet (is the client connected?)")

    async def dispatch(
        self, event: str, data: dict[str, Any], *, guild_id: int | None = None
    ) -> int:
        """Send (or queue for RESUME, if disconnected) a dispatch; returns its sequence number."""
        return await self._dispatch(self.session_for(guild_id), event, data)

    async def _dispatch(self, session: GatewaySession, event: str, data: dict[str, Any]) -> int:
        async with session.lock:
            session.seq += 1
            frame = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
            session.history.append(frame)
            if session.ws is not None and not session.ws.closed:
                try:
                    await self._send_raw(session.ws, frame)
                except ConnectionError:
                    pass  # dropped meanwhile: it is in history for the RESUME
            return session.seq

    async def send_op(self, op: int, d: Any = None, *, guild_id: int | None = None) -> None:
        session = self.session_for(guild_id)
        if session.ws is not None:
            await self._send_raw(session.ws, {"op": op, "d": d})

    async def drop(self, *, code: int = 4000, abort: bool = False) -> None:
        """Cut every gateway connection: a close frame with `code` (4000 is resumable), or an
        abrupt transport abort (a network failure). Sessions stay resumable."""
        for ws, transport in list(self._sockets.items()):
            if abort:
                if transport is not None:
                    transport.abort()
            else:
                await ws.close(code=code, message=b"dropped by the test double")

    async def close_all(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001)

    @staticmethod
    async def _send_raw(ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        await ws.send_str(json.dumps(frame))

    def _log(
        self,
        op: int | None,
        d: Any,
        *,
        event: str = "",
        path: str = "",
        session: GatewaySession | None = None,
    ) -> None:
        sid = session.session_id if session else None
        self.frames.append(
            GatewayFrame(op, d, time.monotonic(), event=event, path=path, session_id=sid)
        )
