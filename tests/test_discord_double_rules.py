"""The double refuses what Discord refuses, checked over raw HTTP (no bot needed).

These rules are what make the end-to-end tests trustworthy: a command or a message that
Discord would reject must fail against the double too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.discord_double import APPLICATION_ID, DEFAULT_GUILD_ID, DiscordDouble

pytestmark = pytest.mark.timeout(30)

PRICE = {
    "name": "price",
    "description": "Price",
    "type": 1,
    "options": [
        {"name": "symbol", "description": "s", "type": 3, "required": True},
        {
            "name": "period",
            "description": "p",
            "type": 3,
            "choices": [{"name": "1 month", "value": "1mo"}],
        },
        {"name": "days", "description": "d", "type": 4, "min_value": 1, "max_value": 365},
    ],
}


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    """A double with /price synced and a bare websocket client identified on its gateway."""
    async with DiscordDouble() as d:
        status, _, _ = await d.call_api("PUT", f"/applications/{APPLICATION_ID}/commands", [PRICE])
        assert status == 200
        async with aiohttp.ClientSession() as session, session.ws_connect(d.gateway_url) as ws:
            assert (await ws.receive_json())["op"] == 10
            await ws.send_json({"op": 1, "d": None})
            assert (await ws.receive_json())["op"] == 11
            await ws.send_json({"op": 2, "d": {"token": d.token, "intents": 1, "properties": {}}})
            ready, guild = await ws.receive_json(), await ws.receive_json()
            assert (ready["t"], ready["s"], ready["d"]["user"]["id"]) == (
                "READY",
                1,
                str(APPLICATION_ID),
            )
            assert (guild["t"], guild["s"], guild["d"]["id"]) == (
                "GUILD_CREATE",
                2,
                str(DEFAULT_GUILD_ID),
            )
            yield d


async def test_command_validation_like_discord(double: DiscordDouble) -> None:
    def cmd(**extra: Any) -> dict[str, Any]:
        return {"name": "price", "description": "Price", "type": 1, **extra}

    def opt(name: str, required: bool = False, **extra: Any) -> dict[str, Any]:
        return {"name": name, "description": "d", "type": 3, "required": required, **extra}

    choice = [{"name": "a", "value": "a"}]
    cases = [
        ([cmd(name="Price")], "Command name is invalid"),
        ([cmd(name="p" * 33)], "Must be between 1 and 32 in length."),
        ([cmd(description="")], "Must be between 1 and 100 in length."),
        ([cmd(options=[opt(f"o{i}") for i in range(26)])], "Must be 25 or fewer in length."),
        (
            [cmd(options=[opt("a"), opt("b", required=True)])],
            "Required options must be placed before",
        ),
        ([cmd(options=[opt("a"), opt("a")])], "Option names must be unique"),
        (
            [cmd(options=[opt("a", choices=choice, autocomplete=True)])],
            "Autocomplete cannot be set",
        ),
        (
            [cmd(options=[opt("a", choices=[{"name": "n", "value": "v" * 101}])])],
            "Must be between 1 and 100",
        ),
        ([cmd(options=[opt("a", choices=choice * 26)])], "Must be 25 or fewer in length."),
        (
            [cmd(options=[{"name": "g", "description": "d", "type": 2, "options": [opt("x")]}])],
            "can only contain sub-commands",
        ),
        ([cmd(name=f"c{i}") for i in range(101)], "Must be 100 or fewer in length."),
        (
            [
                cmd(
                    options=[
                        opt(f"o{i}", choices=[{"name": "n" * 100, "value": "v" * 100}] * 25)
                        for i in range(4)
                    ]
                )
            ],
            "maximum size (8000)",
        ),
    ]
    path = f"/applications/{APPLICATION_ID}/commands"
    for payload, expected in cases:
        status, body, ctype = await double.call_api("PUT", path, payload)
        assert (status, body["code"], ctype) == (400, 50035, "application/json"), payload
        assert expected in str(body["errors"]), (expected, body)
    status, body, _ = await double.call_api(
        "PUT", path, [cmd(options=[opt("a", required=True), opt("b")])]
    )
    assert status == 200 and body[0]["id"] and body[0]["application_id"] == str(APPLICATION_ID)
    assert (await double.call_api("GET", path))[1] == body
    assert (await double.call_api("GET", path, auth=False))[0] == 401


async def test_send_slash_refuses_what_no_user_could_send(double: DiscordDouble) -> None:
    bad = (
        {"period": "1mo"},
        {"symbol": "A", "nope": 1},
        {"symbol": "A", "period": "2y"},
        {"symbol": "A", "days": 0},
        {"symbol": 5},
    )
    for options in bad:
        with pytest.raises(ValueError):
            await double.send_slash("price", options)
    with pytest.raises(LookupError):
        await double.send_slash("missing", {})
    handle = await double.send_slash("price", {"symbol": "A", "days": 3, "period": "1mo"})
    assert [o["type"] for o in handle.payload["data"]["options"]] == [3, 4, 3]


async def test_unknown_routes_are_recorded_and_404(double: DiscordDouble) -> None:
    status, body, ctype = await double.call_api("GET", f"/guilds/{DEFAULT_GUILD_ID}/roles")
    assert (status, ctype) == (404, "application/json")
    assert [r.path for r in double.unknown_routes] == [f"/guilds/{DEFAULT_GUILD_ID}/roles"]


async def test_callback_rules_and_with_response_answer(double: DiscordDouble) -> None:
    handle = await double.send_slash("price", {"symbol": "AAPL", "days": 5})
    webhook = f"/webhooks/{APPLICATION_ID}/{handle.token}"
    callback = f"/interactions/{handle.id}/{handle.token}/callback?with_response=1"
    status, body, _ = await double.call_api("POST", webhook, {"content": "early"}, auth=False)
    assert (status, body["code"]) == (404, 10015)  # no followup before the interaction is answered
    status, body, ctype = await double.call_api("POST", callback, {"type": 5}, auth=False)
    assert (status, ctype) == (200, "application/json")
    assert (
        body["interaction"]["id"] == str(handle.id)
        and body["interaction"]["response_message_loading"]
    )
    status, body, _ = await double.call_api("POST", callback, {"type": 5}, auth=False)
    assert (status, body["code"]) == (400, 40060)
    status, body, _ = await double.call_api(
        "POST", webhook + "?wait=1", {"content": "done"}, auth=False
    )
    assert status == 200 and body["id"] == str(handle.messages[0].id) and body["flags"] == 0
    status, body, _ = await double.call_api(
        "POST", webhook + "?wait=1", {"content": "more"}, auth=False
    )
    assert status == 200 and [m.content for m in handle.messages] == ["done", "more"]
    double.faults.expire_interaction(handle.token)
    status, body, _ = await double.call_api(
        "PATCH", webhook + "/messages/@original", {"content": "x"}
    )
    assert (status, body["code"]) == (404, 10015)


async def test_message_limits(double: DiscordDouble) -> None:
    handle = await double.send_slash("price", {"symbol": "AAPL"})
    path = f"/interactions/{handle.id}/{handle.token}/callback"
    too_long = {"type": 4, "data": {"content": "x" * 2001}}
    status, body, _ = await double.call_api("POST", path, too_long, auth=False)
    assert (status, body["code"]) == (400, 50035) and "content" in body["errors"]
    status, body, _ = await double.call_api("POST", path, {"type": 4, "data": {}}, auth=False)
    assert (status, body["code"]) == (400, 50006)
    big_embed = {"type": 4, "data": {"embeds": [{"title": "t" * 257}]}}
    status, body, _ = await double.call_api("POST", path, big_embed, auth=False)
    assert status == 400 and "title" in body["errors"]["embeds"]["0"]
    assert (
        await double.call_api("POST", path, {"type": 4, "data": {"content": "ok"}}, auth=False)
    )[0] == 204
    assert [m.content for m in handle.messages] == ["ok"]


async def test_guild_commands_need_a_known_guild(double: DiscordDouble) -> None:
    path = f"/applications/{APPLICATION_ID}/guilds/{{}}/commands"
    status, body, _ = await double.call_api("PUT", path.format(DEFAULT_GUILD_ID), [PRICE])
    assert status == 200 and body[0]["guild_id"] == str(DEFAULT_GUILD_ID)
    assert double.commands(DEFAULT_GUILD_ID)[0]["id"] == body[0]["id"]
    status, body, _ = await double.call_api("PUT", path.format(42), [PRICE])
    assert (status, body["code"]) == (403, 50001)
