"""Discord-side faults, through the Discord double: the user sees an answer or a clear
failure, never silence.

Commands are held mid-work with a gate (a slow command, as in the e2e tests) so a fault
lands exactly between the defer and the followup: a gateway disconnect with resume, the
interaction token expiring, a 429 with ``retry_after``, 5xx answers to the followup.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from commands.registry import COMMANDS
from commands.spec import CommandSpec, find
from tests.bot.conftest import RunningBot
from tests.discord_double import DEFAULT_CHANNEL_ID, DEFAULT_USER_ID, InteractionHandle
from tests.real_data import closes_on
from tests.reliability import figures
from tests.reliability.discord_helpers import (
    channel_bodies,
    is_error,
    text_of,
    wait_answer,
)

pytestmark = pytest.mark.timeout(60)
RETURNS = {"target": "AAPL", "start": "2025-01-02", "end": "2025-03-07"}
EXPECTED = f"{(closes_on('AAPL', '2025-03-07') / closes_on('AAPL', '2025-01-02') - 1) * 100:+.2f}%"
FOLLOWUP = r"^/webhooks/\d+/[^/]+$"


@contextmanager
def gated(name: str) -> Iterator[threading.Event]:
    """Hold /name's handler (in its worker thread) until the test sets the event."""
    spec = find(COMMANDS, [name])
    assert isinstance(spec, CommandSpec)
    original = spec.handler
    gate = threading.Event()

    def held(ctx: Any, options: dict[str, Any]) -> Any:
        assert gate.wait(30), "the test never released the command"
        return original(ctx, options)

    object.__setattr__(spec, "handler", held)
    try:
        yield gate
    finally:
        gate.set()
        object.__setattr__(spec, "handler", original)


def followup_attempts(handle: InteractionHandle) -> list[int]:
    return [r.status for r in handle.requests if r.method == "POST" and "/webhooks/" in r.path]


def assert_answer(bodies: list[dict[str, Any]]) -> None:
    text = "\n".join(text_of(b) for b in bodies)
    assert not any(is_error(b) for b in bodies), text[:300]
    returns = [
        f["value"]
        for b in bodies
        for e in b.get("embeds") or []
        for f in e.get("fields", [])
        if f["name"] == "Return"
    ]
    assert returns and all(v == EXPECTED for v in returns), text[:300]


@pytest.mark.parametrize("abort", [False, True], ids=["close-4000", "network-abort"])
async def test_gateway_drops_mid_command_and_resumes(running: RunningBot, abort: bool) -> None:
    double = running.double
    with gated("returns") as gate:
        first = await double.send_slash("returns", RETURNS)
        await first.wait_defer()
        frames = len(double.gateway.frames.items)
        await double.drop_gateway(abort=abort)
        figures.add("discord.faults_injected")
        # Sent while the bot is away: Discord queues it and replays it on RESUME.
        second = await double.send_slash("quote", {"symbol": "MSFT"}, user_id=DEFAULT_USER_ID + 1)
        await double.wait_resume(timeout=20, after=frames)
        gate.set()
        assert_answer(await wait_answer(first))
        quote = await wait_answer(second)
        assert quote and quote[0]["embeds"][0]["title"].startswith("MSFT")


async def test_token_expired_before_the_followup(running: RunningBot) -> None:
    double = running.double
    mark = double.mark()
    with gated("returns") as gate:
        handle = await double.send_slash("returns", RETURNS)
        await handle.wait_defer()
        double.faults.expire_interaction(handle.token)
        figures.add("discord.faults_injected")
        gate.set()
        # The interaction cannot be answered any more: the answer goes to the channel.
        await double.wait_for(
            lambda r: r.method == "POST" and r.path == f"/channels/{DEFAULT_CHANNEL_ID}/messages",
            timeout=20,
            after=mark,
        )
    posted = channel_bodies(double, DEFAULT_CHANNEL_ID, after=mark)
    assert len(posted) == 1
    assert f"<@{DEFAULT_USER_ID}>" in posted[0]["content"]
    assert posted[0]["allowed_mentions"]["parse"] == []  # named, never pinged
    assert_answer(posted)


async def test_a_429_with_retry_after_on_the_followup_is_waited_out(running: RunningBot) -> None:
    double = running.double
    double.faults.rate_limit(FOLLOWUP, method="POST", times=1, retry_after=0.3)
    figures.add("discord.faults_injected")
    handle = await double.send_slash("returns", RETURNS)
    assert_answer(await wait_answer(handle))
    assert followup_attempts(handle) == [429, 200]


async def test_a_429_on_the_defer_is_waited_out(running: RunningBot) -> None:
    double = running.double
    double.faults.rate_limit(r"/callback$", method="POST", times=1, retry_after=0.2)
    figures.add("discord.faults_injected")
    handle = await double.send_slash("returns", RETURNS)
    assert_answer(await wait_answer(handle))
    callbacks = [r.status for r in handle.requests if r.path.endswith("/callback")]
    assert callbacks == [429, 200]


@pytest.mark.parametrize("status", [500, 503])
async def test_a_5xx_on_the_followup_is_retried(running: RunningBot, status: int) -> None:
    double = running.double
    double.faults.fail_followups(times=1, status=status)
    figures.add("discord.faults_injected")
    handle = await double.send_slash("returns", RETURNS)
    assert_answer(await wait_answer(handle, timeout=20))
    assert followup_attempts(handle) == [status, 200]


# discord.py retries a 5xx followup 5 times over ~16 s before giving up: slow, so soak.
@pytest.mark.soak
async def test_a_followup_failing_five_times_gives_a_clear_failure(running: RunningBot) -> None:
    double = running.double
    double.faults.fail_followups(times=5, status=503)
    figures.add("discord.faults_injected")
    handle = await double.send_slash("returns", RETURNS)
    bodies = await wait_answer(handle, timeout=40)
    assert followup_attempts(handle) == [503] * 5 + [200]
    text = "\n".join(text_of(b) for b in bodies)
    assert "could not be delivered" in text and "try again" in text
    assert all(is_error(b) for b in bodies)


@pytest.mark.soak
@pytest.mark.timeout(120)
async def test_followups_failing_for_good_still_reach_the_user(running: RunningBot) -> None:
    double = running.double
    mark = double.mark()
    double.faults.fail_followups(times=10, status=503)
    figures.add("discord.faults_injected")
    handle = await double.send_slash("returns", RETURNS)
    await double.wait_for(
        lambda r: r.method == "POST" and r.path == f"/channels/{DEFAULT_CHANNEL_ID}/messages",
        timeout=80,
        after=mark,
    )
    assert followup_attempts(handle) == [503] * 10
    posted = channel_bodies(double, DEFAULT_CHANNEL_ID, after=mark)
    assert len(posted) == 1 and f"<@{DEFAULT_USER_ID}>" in posted[0]["content"]
    assert_answer(posted)
