"""The Discord double works with the REAL discord.py client (and refuses what Discord refuses).

A small bot defined here (not the product's) logs in, syncs, receives interactions through the
gateway and answers them over REST; assertions are on what the double received.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import struct
import sys
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.discord_double import (
    ADMIN_PERMISSIONS,
    APPLICATION_ID,
    DEFAULT_CHANNEL_ID,
    DEFAULT_GUILD_ID,
    DEFAULT_USER_ID,
    MEMBER_PERMISSIONS,
    SECOND_CHANNEL_ID,
    DiscordDouble,
    run_in_thread,
)

pytestmark = pytest.mark.timeout(30)


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    """A valid PNG built by hand, so the bytes are known independently of any library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(
        b"\x00" + b"".join(bytes((40 * x, 80 * y, 200)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG = tiny_png()
SYMBOLS = ["AAPL", "AMZN", "MSFT", "NVDA"]
REPO = Path(__file__).resolve().parents[1]
SUBPROCESS_BOT = """
import os, discord
from discord.ext import commands
from bot.endpoints import apply_discord_endpoints

apply_discord_endpoints(os.environ["DISCORD_API_BASE_URL"], os.environ["DISCORD_GATEWAY_URL"])
bot = commands.Bot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05)

@bot.tree.command(name="ping", description="Ping")
async def ping(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("pong")

@bot.event
async def on_ready() -> None:
    await bot.tree.sync()

bot.run(os.environ["SAMPLE_BOT_TOKEN"], log_handler=None)
"""


class SampleBot(commands.Bot):
    """A minimal slash-command bot; records what its commands saw."""

    def __init__(self) -> None:
        super().__init__(
            command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05
        )
        self.calls: list[dict[str, Any]] = []
        self.errors: list[BaseException] = []
        self._add_commands()

    def _add_commands(self) -> None:
        @self.tree.command(name="chart", description="Chart a symbol")
        async def chart(
            interaction: discord.Interaction,
            symbol: str,
            days: int,
            channel: discord.TextChannel | None = None,
            scale: float = 1.0,
            log: bool = False,
        ) -> None:
            self.calls.append(
                {
                    "symbol": symbol,
                    "days": days,
                    "channel": channel,
                    "scale": scale,
                    "log": log,
                    "manage_guild": interaction.permissions.manage_guild,
                }
            )
            try:
                await interaction.response.defer(thinking=True)
                embed = discord.Embed(title=f"{symbol} over {days} days", description="closes")
                await interaction.followup.send(
                    embed=embed, file=discord.File(io.BytesIO(PNG), "chart.png")
                )
            except discord.HTTPException as exc:
                self.errors.append(exc)

        @self.tree.command(name="quote", description="Latest price")
        async def quote(interaction: discord.Interaction, symbol: str) -> None:
            await interaction.response.send_message(f"{symbol}: 1.00")

        @quote.autocomplete("symbol")
        async def quote_symbols(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            return [
                app_commands.Choice(name=s, value=s)
                for s in SYMBOLS
                if s.startswith(current.upper())
            ]

        watch = app_commands.Group(name="watch", description="Your watchlist")

        @watch.command(name="add", description="Watch a symbol")
        async def watch_add(interaction: discord.Interaction, symbol: str) -> None:
            self.calls.append({"watch_add": symbol})
            await interaction.response.send_message(f"watching {symbol}", ephemeral=True)

        self.tree.add_command(watch)


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    async with DiscordDouble() as d:
        with d.point_discord_py():
            yield d


@contextlib.asynccontextmanager
async def running(bot: commands.Bot, token: str) -> AsyncIterator[commands.Bot]:
    await bot.login(token)
    task = asyncio.create_task(bot.connect())
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 5)
        yield bot
    finally:
        await bot.close()
        await asyncio.wait_for(task, 5)


async def until(condition: Any, timeout: float = 5.0) -> None:
    """Wait for the bot to have reacted (an answer the double gave is read by the bot after)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_login_ready_guild_cache_and_sync(double: DiscordDouble) -> None:
    bot = SampleBot()
    async with running(bot, double.token):
        assert bot.user is not None and bot.user.id == APPLICATION_ID
        assert bot.application_id == APPLICATION_ID
        guild = bot.get_guild(DEFAULT_GUILD_ID)
        assert guild is not None and isinstance(
            guild.get_channel(DEFAULT_CHANNEL_ID), discord.TextChannel
        )
        assert guild.me is not None and guild.default_role.id == DEFAULT_GUILD_ID

        synced = await bot.tree.sync()

        stored = double.commands()
        assert sorted(c.name for c in synced) == ["chart", "quote", "watch"]
        assert {c.name: c.id for c in synced} == {c["name"]: int(c["id"]) for c in stored}
        put = double.find("PUT", rf"^/applications/{APPLICATION_ID}/commands$")
        assert len(put) == 1 and put[0].headers["Authorization"] == f"Bot {double.token}"
        identify = await double.wait_identify()
        assert identify.d["token"] == double.token and identify.path == "/gateway"
    assert double.unknown_routes == []


async def test_sync_again_keeps_command_ids(double: DiscordDouble) -> None:
    bot = SampleBot()
    async with running(bot, double.token):
        first = {c.name: c.id for c in await bot.tree.sync()}
        second = {c.name: c.id for c in await bot.tree.sync()}
    assert first == second


async def test_too_long_description_fails_sync(double: DiscordDouble) -> None:
    bot = SampleBot()

    @bot.tree.command(name="verbose", description="x" * 101)
    async def verbose(interaction: discord.Interaction) -> None:
        pass

    async with running(bot, double.token):
        with pytest.raises(app_commands.CommandSyncFailure) as failure:
            await bot.tree.sync()
    assert failure.value.status == 400 and failure.value.code == 50035
    assert "In command 'verbose'" in str(failure.value)
    assert "Must be between 1 and 100 in length." in str(failure.value)
    assert double.commands() == []


async def test_slash_defer_followup_embed_and_file(double: DiscordDouble) -> None:
    bot = SampleBot()
    async with running(bot, double.token):
        await bot.tree.sync()
        handle = await double.send_slash(
            "chart",
            {"symbol": "AAPL", "days": 30, "channel": SECOND_CHANNEL_ID, "scale": 2.5, "log": True},
            permissions=MEMBER_PERMISSIONS,
        )
        defer = await handle.wait_defer()
        followup = await handle.wait_followup()

    assert defer.query["with_response"] == "1" and defer.json == {"type": 5}
    assert "Authorization" not in followup.headers
    assert followup.json["embeds"][0]["title"] == "AAPL over 30 days"
    assert followup.json["attachments"] == [{"id": 0, "filename": "chart.png"}]
    assert [(f.field, f.filename, f.data) for f in followup.files] == [
        ("files[0]", "chart.png", PNG)
    ]
    call = bot.calls[0]
    assert (call["symbol"], call["days"], call["scale"], call["log"]) == ("AAPL", 30, 2.5, True)
    assert (
        isinstance(call["channel"], discord.TextChannel) and call["channel"].id == SECOND_CHANNEL_ID
    )
    assert call["manage_guild"] is False
    # The first followup after a defer replaces the "thinking" message.
    reply = await handle.wait_reply()
    assert reply.kind == "original" and reply.embeds[0]["title"] == "AAPL over 30 days"
    assert reply.files[0].data == PNG and bot.errors == []


async def test_admin_permissions_reach_the_command(double: DiscordDouble) -> None:
    bot = SampleBot()
    async with running(bot, double.token):
        await bot.tree.sync()
        handle = await double.send_slash(
            "chart", {"symbol": "MSFT", "days": 5}, permissions=ADMIN_PERMISSIONS
        )
        await handle.wait_followup()
    assert bot.calls[0]["manage_guild"] is True
    assert handle.payload["member"]["permissions"] == str(ADMIN_PERMISSIONS)


async def test_guild_scoped_command_and_subcommand(double: DiscordDouble) -> None:
    bot = SampleBot()
    guild = discord.Object(DEFAULT_GUILD_ID)
    bot.tree.copy_global_to(guild=guild)
    async with running(bot, double.token):
        await bot.tree.sync(guild=guild)
        assert double.commands() == []
        handle = await double.send_slash("watch", {"symbol": "NVDA"}, subcommand="add")
        reply = await handle.wait_reply()
    assert handle.payload["data"]["guild_id"] == str(DEFAULT_GUILD_ID)
    assert handle.payload["data"]["options"] == [
        {"name": "add", "type": 1, "options": [{"name": "symbol", "type": 3, "value": "NVDA"}]}
    ]
    assert bot.calls == [{"watch_add": "NVDA"}]
    assert reply.content == "watching NVDA" and reply.ephemeral


async def test_autocomplete_round_trip(double: DiscordDouble) -> None:
    bot = SampleBot()
    async with running(bot, double.token):
        await bot.tree.sync()
        choices = await double.send_autocomplete("quote", {"symbol": "a"}, focused="symbol")
    assert choices == [{"name": "AAPL", "value": "AAPL"}, {"name": "AMZN", "value": "AMZN"}]


async def test_followup_429_is_retried_by_discord_py(double: DiscordDouble) -> None:
    bot = SampleBot()
    async with running(bot, double.token):
        await bot.tree.sync()
        double.faults.rate_limit(r"^/webhooks/", method="POST", times=1, retry_after=0.2)
        handle = await double.send_slash("chart", {"symbol": "AAPL", "days": 1})
        followup = await handle.wait_followup()
    attempts = [
        r for r in handle.requests if r.method == "POST" and r.path.startswith("/webhooks/")
    ]
    assert [r.status for r in attempts] == [429, 200]
    assert attempts[0].response["retry_after"] == 0.2
    assert followup.files[0].data == PNG and bot.errors == [] and double.faults.pending() == 0


async def test_global_429_and_5xx_are_retried(double: DiscordDouble) -> None:
    bot = SampleBot()
    async with running(bot, double.token):
        await bot.tree.sync()
        double.faults.rate_limit(r"/messages$", is_global=True, retry_after=0.1)
        message = await bot.get_channel(DEFAULT_CHANNEL_ID).send("hello")  # type: ignore[union-attr]
        double.faults.fail_followups(times=1, status=502)
        handle = await double.send_slash("chart", {"symbol": "AAPL", "days": 1})
        await handle.wait_followup()
    posts = double.find("POST", rf"^/channels/{DEFAULT_CHANNEL_ID}/messages$")
    assert [r.status for r in posts] == [429, 200] and posts[0].response["global"] is True
    assert double.channel_messages(DEFAULT_CHANNEL_ID)[0].id == message.id
    followups = [
        r for r in handle.requests if r.method == "POST" and r.path.startswith("/webhooks/")
    ]
    assert [r.status for r in followups] == [502, 200] and bot.errors == []


async def test_expired_interaction_refuses_the_callback(double: DiscordDouble) -> None:
    bot = SampleBot()
    async with running(bot, double.token):
        await bot.tree.sync()
        handle = await double.send_slash("chart", {"symbol": "AAPL", "days": 1})
        double.faults.expire_interaction(handle.token)  # before the bot's loop runs again
        await until(lambda: bot.errors)
    assert isinstance(bot.errors[0], discord.NotFound) and bot.errors[0].code == 10062


async def test_followup_after_token_expiry_is_unknown_webhook(double: DiscordDouble) -> None:
    bot = SampleBot()
    async with running(bot, double.token):
        await bot.tree.sync()
        # A 429 holds the followup back long enough to expire the token after the defer.
        double.faults.rate_limit(r"^/webhooks/", times=1, retry_after=0.2)
        handle = await double.send_slash("chart", {"symbol": "AAPL", "days": 1})
        await handle.wait_defer()
        double.faults.expire_interaction(handle.token)
        await until(lambda: bot.errors)
    assert isinstance(bot.errors[0], discord.NotFound) and bot.errors[0].code == 10015


async def test_late_callback_is_refused() -> None:
    async with DiscordDouble(callback_deadline=0.0) as double:
        bot = SampleBot()
        with double.point_discord_py():
            async with running(bot, double.token):
                await bot.tree.sync()
                await double.send_slash("chart", {"symbol": "AAPL", "days": 1})
                await until(lambda: bot.errors)
    assert isinstance(bot.errors[0], discord.NotFound) and bot.errors[0].code == 10062


async def test_channel_messages_and_channel_faults(double: DiscordDouble) -> None:
    bot = SampleBot()
    async with running(bot, double.token):
        channel = bot.get_channel(DEFAULT_CHANNEL_ID)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("daily report", file=discord.File(io.BytesIO(PNG), "report.png"))
        assert await sent.attachments[0].read() == PNG
        second = bot.get_channel(SECOND_CHANNEL_ID)
        assert isinstance(second, discord.TextChannel)
        double.faults.channel_error(SECOND_CHANNEL_ID, 403)
        with pytest.raises(discord.Forbidden) as forbidden:
            await second.send("x")
        double.faults.channel_error(SECOND_CHANNEL_ID, 404)
        with pytest.raises(discord.NotFound) as gone:
            await second.send("x")
    assert (forbidden.value.code, gone.value.code) == (50013, 10003)
    stored = double.channel_messages(DEFAULT_CHANNEL_ID)
    assert [(m.content, m.files[0].data) for m in stored] == [("daily report", PNG)]
    post = double.find("POST", rf"^/channels/{DEFAULT_CHANNEL_ID}/messages$")[0]
    assert post.headers["Authorization"] == f"Bot {double.token}"


@pytest.mark.parametrize("abort", [False, True], ids=["close-4000", "network-abort"])
async def test_gateway_drop_resumes_and_replays_missed_events(
    double: DiscordDouble, abort: bool
) -> None:
    bot = SampleBot()
    async with running(bot, double.token):
        await bot.tree.sync()
        resumed = asyncio.ensure_future(bot.wait_for("resumed", timeout=5))
        mark = len(double.gateway.frames)
        await double.drop_gateway(abort=abort)
        await double.wait_gateway(lambda f: f.event == "disconnect", after=mark)
        handle = await double.send_slash("quote", {"symbol": "AAPL"})  # sent while away
        frame = await double.wait_resume(after=mark)
        await resumed
        reply = await handle.wait_reply()
        session = double.gateway.session_for(DEFAULT_GUILD_ID)
    assert frame.path == "/gateway-resume" and frame.d["session_id"] == session.session_id
    assert reply.content == "AAPL: 1.00" and session.resumes == 1
    sequences = [f["s"] for f in session.history]
    assert sequences == list(range(1, len(sequences) + 1))
    # The interaction was sent while the bot was away: it arrived through the RESUME replay.
    created = next(f for f in session.history if f["t"] == "INTERACTION_CREATE")
    assert created["s"] > frame.d["seq"]


async def test_auto_sharded_client_asks_gateway_bot(double: DiscordDouble) -> None:
    # One shard: discord.py waits 5 s before identifying each further shard.
    bot = commands.AutoShardedBot(
        command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05
    )
    async with running(bot, double.token):
        guild = bot.get_guild(DEFAULT_GUILD_ID)
        assert bot.shard_count == 1 and guild is not None and guild.shard_id == 0
    assert [r.status for r in double.find("GET", r"^/gateway/bot$")] == [200]
    assert (await double.wait_identify()).d["shard"] == [0, 1]
    ready = double.gateway.session_for(DEFAULT_GUILD_ID).history[0]
    assert (ready["t"], ready["d"]["shard"]) == ("READY", [0, 1])


async def test_privileged_intents_not_enabled_close_the_gateway(double: DiscordDouble) -> None:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.all(), guild_ready_timeout=0.05)
    await bot.login(double.token)
    with pytest.raises(discord.PrivilegedIntentsRequired):
        await asyncio.wait_for(bot.connect(), 5)
    await bot.close()


async def test_slash_from_a_dm(double: DiscordDouble) -> None:
    bot = SampleBot()
    async with running(bot, double.token):
        await bot.tree.sync()
        handle = await double.send_slash("quote", {"symbol": "NVDA"}, guild_id=None)
        reply = await handle.wait_reply()
    assert "guild_id" not in handle.payload and handle.payload["user"]["id"] == str(DEFAULT_USER_ID)
    assert reply.content == "NVDA: 1.00" and reply.kind == "original"


async def test_wrong_token_is_a_login_failure(double: DiscordDouble) -> None:
    bot = SampleBot()
    with pytest.raises(discord.LoginFailure):
        await bot.login("not-the-token")
    await bot.close()
    me = double.find("GET", r"^/users/@me$")
    assert [r.status for r in me] == [401]


async def test_double_in_a_thread_serves_a_bot_on_another_loop() -> None:
    with run_in_thread() as threaded:
        with threaded.double.point_discord_py():
            bot = SampleBot()
            async with running(bot, threaded.double.token):
                await bot.tree.sync()
                handle = await threaded.arun(
                    threaded.double.send_slash("quote", {"symbol": "MSFT"})
                )
                reply = await threaded.arun(handle.wait_reply())
    assert reply.content == "MSFT: 1.00"


async def test_bot_in_a_subprocess_finds_the_double_through_env(double: DiscordDouble) -> None:
    env = {**os.environ, **double.env(), "SAMPLE_BOT_TOKEN": double.token, "PYTHONPATH": str(REPO)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SUBPROCESS_BOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        await double.wait_for(lambda r: r.method == "PUT" and r.ok, timeout=20)
        handle = await double.send_slash("ping")
        reply = await handle.wait_reply()
    finally:
        proc.terminate()
        stderr = (await proc.communicate())[1].decode()
    assert reply.content == "pong", stderr
    assert [c["name"] for c in double.commands()] == ["ping"]
