"""End to end: the real discord.py client running marketbot against the Discord double."""

from __future__ import annotations

import asyncio
import io
import json
import time
from pathlib import Path

import pytest
from PIL import Image

from commands.registry import COMMANDS
from commands.spec import flatten
from tests.bot.conftest import RunningBot, discord_double, start_bot, stop_bot
from tests.bot.embeds import field
from tests.discord_double import (
    ADMIN_PERMISSIONS,
    DEFAULT_GUILD_ID,
    MEMBER_PERMISSIONS,
)
from tests.real_data import closes_on

pytestmark = pytest.mark.timeout(60)
EPHEMERAL = 64


def embed_of(message) -> dict:
    return message.data["embeds"][0]


async def test_login_ready_and_sync_passes_discord_limits(running: RunningBot) -> None:
    synced = running.double.commands()
    names = {c["name"] for c in synced}
    assert {"quote", "returns", "compare", "basket", "help", "about"} <= names
    # Every command the specs define is synced, subcommands nested under their group.
    basket = next(c for c in synced if c["name"] == "basket")
    subs = {o["name"] for o in basket["options"]}
    assert subs == {n.split()[1] for n, _ in flatten(COMMANDS) if n.startswith("basket ")}
    returns = next(c for c in synced if c["name"] == "returns")
    period = next(o for o in returns["options"] if o["name"] == "period")
    assert [c["value"] for c in period["choices"]][:3] == ["1d", "5d", "1w"]
    target = next(o for o in returns["options"] if o["name"] == "target")
    assert target["autocomplete"] is True and target["required"] is True


async def test_sync_only_when_definitions_change(tmp_path: Path) -> None:
    async with discord_double() as double:
        bot, task = await start_bot(double, tmp_path)
        assert bot.synced is True
        await stop_bot(bot, task)
        puts = len(double.find("PUT", r"/applications/\d+/commands"))
        bot, task = await start_bot(double, tmp_path)
        assert bot.synced is False  # same hash: no PUT
        await stop_bot(bot, task)
        assert len(double.find("PUT", r"/applications/\d+/commands")) == puts == 1


async def test_dev_guild_sync_goes_to_that_guild(tmp_path: Path) -> None:
    async with discord_double() as double:
        gid = DEFAULT_GUILD_ID
        bot, task = await start_bot(double, tmp_path, dev_guild=gid)
        try:
            assert double.find("PUT", rf"/applications/\d+/guilds/{gid}/commands")
            assert not double.find("PUT", r"/applications/\d+/commands$")
        finally:
            await stop_bot(bot, task)


async def test_returns_defers_then_answers_with_the_right_numbers(running: RunningBot) -> None:
    handle = await running.double.send_slash(
        "returns", {"target": "mag7", "start": "2024-12-31", "end": "2025-03-07"}
    )
    defer = await handle.wait_defer()
    assert defer.json["type"] == 5
    reply = await handle.wait_reply()
    embed = embed_of(reply)
    # Independent computation from the CSV files.
    syms = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA"]
    expected = (
        sum(closes_on(s, "2025-03-07") / closes_on(s, "2024-12-31") - 1 for s in syms) / 7 * 100
    )
    assert field(embed, "Equal-weighted") == f"{expected:+.2f}%"
    assert embed["color"] == 0xE74C3C  # a loss is red
    assert "as of 2025-03-07" in embed["footer"]["text"]
    # Nothing the bot sends may ping: every message payload says so.
    sent = [r.json for r in handle.requests if isinstance(r.json, dict) and "embeds" in r.json]
    assert sent and all(p["allowed_mentions"]["parse"] == [] for p in sent)


async def test_compare_attaches_a_decodable_png(running: RunningBot) -> None:
    handle = await running.double.send_slash(
        "compare",
        {"left": "china-titans", "right": "mag7", "start": "2024-12-31", "end": "2025-03-07"},
    )
    reply = await handle.wait_reply()
    assert reply.files, "compare should attach a chart"
    image = Image.open(io.BytesIO(reply.files[0].data))
    assert image.size == (1600, 900)
    embed = embed_of(reply)
    assert embed["image"]["url"].startswith("attachment://")
    assert field(embed, "Spread").startswith("+53.")


async def test_autocomplete_offers_presets_and_server_baskets(running: RunningBot) -> None:
    handle = await running.double.send_slash(
        "basket",
        {"name": "evs", "members": "TSLA,1211.HK"},
        subcommand="create",
        permissions=ADMIN_PERMISSIONS,
    )
    await handle.wait_reply()
    choices = await running.double.send_autocomplete("returns", {"target": ""}, "target")
    values = [c["value"] for c in choices]
    assert values[:3] == ["china-titans", "mag7", "evs"]
    choices = await running.double.send_autocomplete("returns", {"target": "AA"}, "target")
    assert "AAPL" in [c["value"] for c in choices]


async def test_basket_create_needs_manage_server_then_is_usable(running: RunningBot) -> None:
    refused = await running.double.send_slash(
        "basket",
        {"name": "evs", "members": "TSLA,1211.HK"},
        subcommand="create",
        permissions=MEMBER_PERMISSIONS,
    )
    callback = await refused.wait_callback()
    assert callback.json["type"] == 4 and callback.json["data"]["flags"] & EPHEMERAL
    assert "Manage Server" in callback.json["data"]["embeds"][0]["description"]
    assert running.services.baskets.get(int(refused.payload["guild_id"]), "evs") is None

    ok = await running.double.send_slash(
        "basket",
        {"name": "evs", "members": "TSLA,1211.HK"},
        subcommand="create",
        permissions=ADMIN_PERMISSIONS,
    )
    await ok.wait_reply()
    stored = running.services.baskets.get(int(ok.payload["guild_id"]), "evs")
    assert stored is not None and stored.members == ("TSLA", "1211.HK")

    used = await running.double.send_slash(
        "returns", {"target": "evs", "start": "2024-12-31", "end": "2025-03-07"}
    )
    embed = embed_of(await used.wait_reply())
    expected = (
        (
            closes_on("TSLA", "2025-03-07") / closes_on("TSLA", "2024-12-31")
            + closes_on("1211.HK", "2025-03-07") / closes_on("1211.HK", "2024-12-31")
            - 2
        )
        / 2
        * 100
    )
    assert field(embed, "Equal-weighted") == f"{expected:+.2f}%"


async def test_bad_input_gets_an_ephemeral_reply(running: RunningBot) -> None:
    handle = await running.double.send_slash("returns", {"target": "mag7", "start": "2025-02-30"})
    callback = await handle.wait_callback()
    assert callback.json["type"] == 4
    assert callback.json["data"]["flags"] & EPHEMERAL
    assert "not a real calendar date" in callback.json["data"]["embeds"][0]["description"]


async def test_unknown_symbol_found_during_work_is_ephemeral(running: RunningBot) -> None:
    handle = await running.double.send_slash("returns", {"target": "NOPE", "period": "1m"})
    await handle.wait_defer()
    followups = await handle.wait_followups(1)
    sent = followups[-1].json
    assert sent["flags"] & EPHEMERAL
    assert "Unknown symbol NOPE" in sent["embeds"][0]["description"]
    # The public "thinking…" message was removed, so only the asker sees the error.
    assert running.double.find("DELETE", r"/webhooks/\d+/[^/]+/messages/@original")


async def test_exception_inside_a_command_does_not_kill_the_bot(
    running: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(running.services.market, "history", boom)
    handle = await running.double.send_slash("returns", {"target": "mag7", "period": "1m"})
    followups = await handle.wait_followups(1)
    text = followups[-1].json["embeds"][0]["description"]
    assert "error id" in text and "kaboom" not in text
    monkeypatch.undo()
    ok = await running.double.send_slash("quote", {"symbol": "AAPL"})
    embed = embed_of(await ok.wait_reply())
    assert embed["title"].startswith("AAPL")


async def test_event_loop_stays_responsive_during_a_slow_chart(running: RunningBot) -> None:
    import commands.market as market_commands

    original = market_commands.run_compare

    def slow_compare(ctx, options):
        time.sleep(2.0)  # a slow render, in the worker thread
        return original(ctx, options)

    spec = next(s for s in COMMANDS if s.name == "compare")
    object.__setattr__(spec, "handler", slow_compare)
    try:
        slow = await running.double.send_slash(
            "compare",
            {"left": "mag7", "right": "china-titans", "start": "2024-12-31", "end": "2025-03-07"},
        )
        await slow.wait_defer()
        started = time.monotonic()
        quick = await running.double.send_slash("quote", {"symbol": "MSFT"})
        await quick.wait_defer()
        assert time.monotonic() - started < 1.0
        await quick.wait_reply()
        await slow.wait_reply()
    finally:
        object.__setattr__(spec, "handler", original)


async def test_identical_requests_in_flight_share_one_computation(running: RunningBot) -> None:
    calls = 0
    original = running.services.market.history

    def counting(*args, **kwargs):
        nonlocal calls
        calls += 1
        time.sleep(0.3)
        return original(*args, **kwargs)

    running.services.market.history = counting  # type: ignore[method-assign]
    options = {"target": "AAPL,MSFT", "start": "2025-01-02", "end": "2025-03-07"}
    handles = await asyncio.gather(
        *(running.double.send_slash("returns", options) for _ in range(3))
    )
    replies = [await h.wait_reply() for h in handles]
    assert calls == 1
    assert len({json.dumps(embed_of(r)["fields"]) for r in replies}) == 1
