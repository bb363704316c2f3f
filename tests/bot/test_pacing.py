"""The bot's own pace under Discord's global limit, against the double that enforces it."""

from __future__ import annotations

import asyncio
import time

import discord
import pytest

from bot.pacing import BOT_REQUESTS_PER_SECOND, GlobalPacer, pace_requests, share_of_global_limit
from tests.discord_double import ChannelSpec, DiscordDouble, GuildSpec

pytestmark = pytest.mark.timeout(60)
GUILD = 1300000000000000500


def many_channels(count: int) -> list[GuildSpec]:
    channels = [ChannelSpec(GUILD + 1 + i, f"c{i}", position=i) for i in range(count)]
    return [GuildSpec(GUILD, "Many channels", channels)]


async def test_the_pacer_holds_rate_plus_burst_in_any_second() -> None:
    pacer = GlobalPacer(rate=20.0, burst=2)
    stamps = []
    started = time.monotonic()
    for _ in range(42):
        await pacer.acquire()
        stamps.append(time.monotonic())
    took = time.monotonic() - started
    assert took >= (42 - 2) / 20.0 * 0.95
    most = max(sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps)
    assert most <= 22
    assert pacer.requests == 42


def test_each_process_gets_its_share_of_the_token() -> None:
    assert share_of_global_limit(1, 1) == BOT_REQUESTS_PER_SECOND == 40.0
    assert share_of_global_limit(1, 2) == 20.0
    assert share_of_global_limit(3, 4) == pytest.approx(30.0)
    # Two processes with one shard of two each stay under Discord's 50 together.
    assert 2 * share_of_global_limit(1, 2) <= 50


#: The test double's global limit, lowered so that even a loaded machine sends faster
#: than it unpaced; the pacer keeps the same ratio to it as the real one to Discord's 50.
LIMIT, RATE = 20, 16.0


async def post_to_every_channel(
    double: DiscordDouble, count: int, paced: bool
) -> tuple[float, list[BaseException]]:
    client = discord.Client(intents=discord.Intents.none())
    if paced:
        pace_requests(client.http, GlobalPacer(RATE))
    await client.login(double.token)
    try:
        started = time.monotonic()
        channels = [client.get_partial_messageable(GUILD + 1 + i) for i in range(count)]
        sent = await asyncio.gather(
            *(c.send(f"post {i}") for i, c in enumerate(channels)), return_exceptions=True
        )
        return time.monotonic() - started, [e for e in sent if isinstance(e, BaseException)]
    finally:
        await client.close()


async def test_posts_to_many_channels_unpaced_hit_the_global_limit_paced_do_not() -> None:
    count = 60
    async with DiscordDouble(guilds=many_channels(count)) as double:
        double.rate_limits.global_per_second = LIMIT
        with double.point_discord_py():
            await post_to_every_channel(double, count, paced=False)
            unpaced = double.rate_limits.global_429s
            before = len([m for m in double.messages if m.kind == "channel"])
            double.rate_limits.recent.clear()
            double.rate_limits.global_429s = double.rate_limits.peak_per_second = 0
            await asyncio.sleep(1.0)
            took, failed = await post_to_every_channel(double, count, paced=True)
    # discord.py alone learns of the global limit only from 429s (it retries, 5 tries at
    # most: some posts may even be lost)...
    assert unpaced > 0
    assert failed == []
    # ...paced, none: every post arrived, none refused, never more than the limit in a second.
    assert double.rate_limits.global_429s == 0 and double.rate_limits.route_429s == 0
    assert double.rate_limits.peak_per_second <= LIMIT
    posted = [m for m in double.messages if m.kind == "channel"]
    assert len(posted) - before == count
    assert took >= (count - 2) / RATE * 0.9
