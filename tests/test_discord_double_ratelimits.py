"""The double enforces Discord's rate limits, answers them as Discord does, and counts 429s.

Raw HTTP first (what exactly comes back), then the REAL discord.py client, which must read
the headers and never be refused on a route bucket; the global limit it only learns of from
a 429, which is what the bot's own pacer (bot/pacing.py) is for.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import discord
import pytest

from tests.discord_double import DEFAULT_CHANNEL_ID, SECOND_CHANNEL_ID, DiscordDouble

pytestmark = pytest.mark.timeout(60)


async def post(session: aiohttp.ClientSession, double: DiscordDouble, path: str, **kw):
    headers = {"Authorization": f"Bot {double.token}"}
    async with session.request(
        kw.pop("method", "POST"), double.api_base_url + path, headers=headers, **kw
    ) as resp:
        return resp.status, dict(resp.headers), await resp.json(content_type=None)


async def test_a_channel_takes_five_messages_per_five_seconds_then_429() -> None:
    async with DiscordDouble() as double, aiohttp.ClientSession() as session:
        path = f"/channels/{DEFAULT_CHANNEL_ID}/messages"
        answers = [await post(session, double, path, json={"content": f"m{i}"}) for i in range(6)]
        other = await post(session, double, f"/channels/{SECOND_CHANNEL_ID}/messages",
                           json={"content": "another channel, another bucket"})  # fmt: skip
    assert [a[0] for a in answers] == [200] * 5 + [429]
    assert [a[1]["X-RateLimit-Remaining"] for a in answers[:5]] == ["4", "3", "2", "1", "0"]
    assert {a[1]["X-RateLimit-Limit"] for a in answers} == {"5"}
    assert len({a[1]["X-RateLimit-Bucket"] for a in answers}) == 1
    status, headers, body = answers[5]
    assert body["global"] is False and 0 < body["retry_after"] <= 5.0
    assert headers["X-RateLimit-Scope"] == "user" and "Via" in headers
    assert float(headers["X-RateLimit-Reset-After"]) <= 5.0
    assert int(headers["Retry-After"]) >= 1
    assert other[0] == 200 and other[1]["X-RateLimit-Remaining"] == "4"
    assert len(double.channel_messages(DEFAULT_CHANNEL_ID)) == 5  # the refused one is not kept
    assert (double.rate_limits.route_429s, double.rate_limits.global_429s) == (1, 0)


async def test_more_than_fifty_requests_in_a_second_get_a_global_429() -> None:
    async with DiscordDouble() as double, aiohttp.ClientSession() as session:
        started = time.monotonic()
        # 51 different channel routes: no route bucket fills, only the global window.
        first = await asyncio.gather(*(
            post(session, double, f"/channels/{1400000000000000000 + i}", method="GET")
            for i in range(50)
        ))  # fmt: skip
        last = await post(session, double, "/channels/1400000000000000050", method="GET")
        took = time.monotonic() - started
        answers = [*first, last]
    assert took < 1.0, "the machine was too slow to send 51 requests in a second"
    assert [a[0] for a in answers[:50]] == [404] * 50  # unknown channels, but counted
    status, headers, body = answers[50]
    assert status == 429 and body["global"] is True and headers["X-RateLimit-Global"] == "true"
    assert headers["X-RateLimit-Scope"] == "global"
    assert double.rate_limits.global_429s == 1 and double.rate_limits.peak_per_second == 50


async def test_interaction_callbacks_are_exempt() -> None:
    async with DiscordDouble(callback_deadline=None) as double, aiohttp.ClientSession() as s:
        for i in range(55):
            url = f"{double.api_base_url}/interactions/{i + 1}/tok/callback"
            async with s.post(url, json={"type": 5}) as resp:
                assert resp.status == 404 and "X-RateLimit-Limit" not in resp.headers
    assert double.rate_limits.total_429s == 0 and double.rate_limits.checked == 0


async def test_discord_py_reads_the_headers_and_waits_instead_of_being_refused() -> None:
    async with DiscordDouble() as double:
        with double.point_discord_py():
            client = discord.Client(intents=discord.Intents.none())
            await client.login(double.token)
            try:
                channel = client.get_partial_messageable(DEFAULT_CHANNEL_ID)
                started = time.monotonic()
                await asyncio.gather(*(channel.send(f"n{i}") for i in range(7)))
                took = time.monotonic() - started
            finally:
                await client.close()
    assert len(double.channel_messages(DEFAULT_CHANNEL_ID)) == 7
    assert double.rate_limits.route_429s == 0
    assert took >= 4.0  # the sixth message waited for the bucket to reset
