"""bot.runner: the cooldown, who may manage a space and whose space it is, sharing identical
requests in flight, autocomplete under its deadline, and draining at shutdown.

The permission rules run end to end through the Discord double (a DM is the user's own
space); the rest on the real Services with the few interaction attributes the runner reads,
where a whole Discord round trip would only add waiting.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest

from analytics.services import Services
from bot.runner import Cooldown, Runner, can_manage, space_id
from commands.reply import Reply
from commands.spec import CommandSpec, Context
from tests.bot.conftest import RunningBot
from tests.conftest import FIXED_NOW
from tests.discord_double import DEFAULT_GUILD_ID, DEFAULT_USER_ID, MEMBER_PERMISSIONS

pytestmark = pytest.mark.timeout(60)
GUILD = 1300000000000000001


@dataclass
class User:
    id: int


@dataclass
class Interaction:
    """What the runner reads of a ``discord.Interaction`` outside the command path."""

    guild_id: int | None
    user: User = field(default_factory=lambda: User(77))
    permissions: discord.Permissions = field(default_factory=discord.Permissions.none)


# -- cooldown ------------------------------------------------------------------------------


def test_cooldown_counts_per_user_in_a_sliding_window() -> None:
    now = [0.0]
    cooldown = Cooldown(limit=2, window=10.0, clock=lambda: now[0])
    assert cooldown.retry_after(1) == 0
    now[0] = 4.0
    assert cooldown.retry_after(1) == 0
    assert cooldown.retry_after(1) == pytest.approx(6.0)  # the first hit leaves at 10
    assert cooldown.retry_after(2) == 0  # another user is not affected
    now[0] = 10.5
    assert cooldown.retry_after(1) == 0  # the first hit has left the window
    assert cooldown.retry_after(1) == pytest.approx(3.5)  # the one at 4.0 leaves at 14.0


# -- whose space, who may change it --------------------------------------------------------


def test_can_manage_needs_manage_server_or_administrator_on_a_server() -> None:
    assert not can_manage(Interaction(GUILD, permissions=discord.Permissions(send_messages=True)))
    assert can_manage(Interaction(GUILD, permissions=discord.Permissions(manage_guild=True)))
    assert can_manage(Interaction(GUILD, permissions=discord.Permissions(administrator=True)))
    assert can_manage(Interaction(None))  # a DM: the user's own space


def test_a_server_space_is_the_server_and_a_dm_space_the_user() -> None:
    assert space_id(Interaction(GUILD, User(5))) == GUILD
    assert space_id(Interaction(None, User(5))) == -5


async def test_in_a_dm_anyone_manages_their_own_baskets(running: RunningBot) -> None:
    handle = await running.double.send_slash(
        "basket",
        {"name": "mine", "members": "AAPL"},
        subcommand="create",
        guild_id=None,
        permissions=MEMBER_PERMISSIONS,
    )
    reply = await handle.wait_reply()
    assert reply.data["embeds"][0]["title"] == "Created basket mine"
    assert running.services.baskets.get(-DEFAULT_USER_ID, "mine") is not None
    assert running.services.baskets.names(DEFAULT_GUILD_ID) == []  # not the server's


# -- sharing work in flight ----------------------------------------------------------------


def slow_spec(calls: list[int], release: threading.Event, **kw: Any) -> CommandSpec:
    def handler(ctx: Context, options: dict[str, Any]) -> Reply:
        calls.append(1)
        release.wait(10)
        return Reply(title=f"answer {len(calls)}")

    return CommandSpec("slow", "waits until released", handler, **kw)


async def test_identical_requests_in_flight_share_one_computation(services: Services) -> None:
    calls: list[int] = []
    release = threading.Event()
    runner = Runner(services)
    spec = slow_spec(calls, release)
    ctx = Context(services, guild_id=GUILD, user_id=1)
    first = asyncio.ensure_future(runner._compute(spec, "slow", ctx, {"a": 1}))
    await asyncio.sleep(0.1)
    second = asyncio.ensure_future(runner._compute(spec, "slow", ctx, {"a": 1}))
    other = asyncio.ensure_future(runner._compute(spec, "slow", ctx, {"a": 2}))
    await asyncio.sleep(0.1)
    release.set()
    a, b, c = await asyncio.gather(first, second, other)
    assert a is b and c is not a
    assert len(calls) == 2  # {"a": 1} once, {"a": 2} once
    assert runner._inflight == {}


async def test_writes_are_never_shared(services: Services) -> None:
    calls: list[int] = []
    release = threading.Event()
    runner = Runner(services)
    spec = slow_spec(calls, release, admin=True)
    ctx = Context(services, guild_id=GUILD, user_id=1)
    both = [asyncio.ensure_future(runner._compute(spec, "slow", ctx, {})) for _ in range(2)]
    await asyncio.sleep(0.1)
    release.set()
    await asyncio.gather(*both)
    assert len(calls) == 2


# -- autocomplete --------------------------------------------------------------------------


async def test_complete_answers_choices_from_the_suggestions(services: Services) -> None:
    services.baskets.create(GUILD, "magnificent", ["AAPL"], 7, FIXED_NOW)
    choices = await Runner(services).complete(Interaction(GUILD), "target", "mag")  # type: ignore[arg-type]
    assert [(c.name, c.value) for c in choices] == [
        ("mag7", "mag7"),
        ("magnificent", "magnificent"),
    ]


async def test_a_failing_autocomplete_answers_an_empty_list(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    runner = Runner(services)
    services.close()  # the stores refuse: the suggestion raises inside its thread
    assert await runner.complete(Interaction(GUILD), "target", "mag") == []  # type: ignore[arg-type]
    assert any(r.getMessage() == "autocomplete failed" for r in caplog.records)


# -- shutdown ------------------------------------------------------------------------------


async def test_drain_lets_quick_work_finish_and_cancels_the_rest(services: Services) -> None:
    runner = Runner(services)
    quick = asyncio.ensure_future(asyncio.sleep(0.05, result="done"))
    stuck = asyncio.ensure_future(asyncio.sleep(60))
    runner.tasks |= {quick, stuck}
    started = time.monotonic()
    await runner.drain(0.5)
    assert 0.4 < time.monotonic() - started < 5
    assert quick.result() == "done"
    assert stuck.cancelled()
