"""Security, end to end: permissions and server isolation through the real bot and the
Discord double. Secrets in logs and dependencies are in ``test_security_process.py``.

* Every admin command (``spec.admin`` in ``commands.registry.COMMANDS``, so new ones are
  covered) is refused for a member without Manage Server, ephemerally, before any work,
  and the database's user tables do not change; with Manage Server the same actions pass
  the gate (so the refusal is the check, not something else).
* Baskets and subscriptions of one server are invisible to another server, and to DMs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from commands.registry import COMMANDS
from commands.spec import flatten
from tests.bot.conftest import RunningBot, start_bot, stop_bot
from tests.discord_double import (
    ADMIN_PERMISSIONS,
    DEFAULT_CHANNEL_ID,
    DEFAULT_GUILD_ID,
    DEFAULT_USER_ID,
    MEMBER_PERMISSIONS,
    ChannelSpec,
    DiscordDouble,
    GuildSpec,
)
from tests.discord_double.payloads import ADMINISTRATOR, default_guilds
from tests.reliability import figures
from tests.reliability.discord_helpers import is_error, text_of, wait_answer
from tests.reliability.helpers import first_valid_options, user_state

pytestmark = pytest.mark.timeout(60)
EPHEMERAL = 64
REFUSAL = "Manage Server"
GUILD_B, CHANNEL_B = 1300000000000000020, 1300000000000000021


async def run(double: DiscordDouble, full: str, options: dict[str, Any], **kw: Any) -> str:
    name, _, sub = full.partition(" ")
    handle = await double.send_slash(name, options, subcommand=sub or None, **kw)
    return "\n".join(text_of(b) for b in await wait_answer(handle))


async def subscribe(double: DiscordDouble, channel: int, **kw: Any) -> int:
    text = await run(
        double, "summary subscribe", {"channel": channel, "baskets": "mag7"},
        permissions=ADMIN_PERMISSIONS, **kw,
    )  # fmt: skip
    found = re.search(r"weekly summary #(\d+)", text)
    assert found, text
    return int(found.group(1))


async def test_every_admin_action_is_refused_without_manage_server(running: RunningBot) -> None:
    double = running.double
    db = running.services.store.path
    await run(double, "basket create", {"name": "evs", "members": "TSLA,1211.HK"},
              permissions=ADMIN_PERMISSIONS)  # fmt: skip
    sub_id = await subscribe(double, DEFAULT_CHANNEL_ID)
    overrides = {"name": "evs", "members": "AAPL", "id": sub_id, "channel": DEFAULT_CHANNEL_ID}
    admin = [(full, spec) for full, spec in flatten(COMMANDS) if spec.admin]
    assert {"basket create", "basket delete", "summary subscribe"} <= {f for f, _ in admin}
    before = user_state(db)
    assert before["baskets"][0] == 1 and before["summary_subscriptions"][0] == 1

    for full, spec in admin:
        options = first_valid_options(spec, DEFAULT_CHANNEL_ID)
        options |= {k: v for k, v in overrides.items() if k in {o.name for o in spec.options}}
        name, _, sub = full.partition(" ")
        for permissions in (MEMBER_PERMISSIONS, MEMBER_PERMISSIONS | (1 << 4)):  # + Manage Channels
            handle = await double.send_slash(
                name, options, subcommand=sub or None, permissions=permissions,
                user_id=DEFAULT_USER_ID + 7,
            )  # fmt: skip
            callback = await handle.wait_callback()
            assert callback.json["type"] == 4, f"/{full} was not refused at once"
            data = callback.json["data"]
            assert data["flags"] & EPHEMERAL
            assert REFUSAL in data["embeds"][0]["description"], (full, data)
            figures.add("security.admin_refusals")
        assert user_state(db) == before, f"a refused /{full} changed the database"

    # With Manage Server (or Administrator) the same actions pass the permission check.
    for full, spec in admin:
        options = first_valid_options(spec, DEFAULT_CHANNEL_ID)
        options |= {k: v for k, v in overrides.items() if k in {o.name for o in spec.options}}
        for permissions in (ADMIN_PERMISSIONS, MEMBER_PERMISSIONS | ADMINISTRATOR):
            text = await run(double, full, options, permissions=permissions)
            assert REFUSAL not in text, (full, text[:200])
    assert user_state(db) != before


async def test_servers_and_dms_never_see_each_other(tmp_path: Path) -> None:
    guilds = default_guilds() + [
        GuildSpec(GUILD_B, "Other server", channels=[ChannelSpec(CHANNEL_B, "general")])
    ]
    async with DiscordDouble(guilds=guilds) as double:
        with double.point_discord_py():
            bot, task = await start_bot(double, tmp_path)
            try:
                await isolation_checks(double)
            finally:
                await stop_bot(bot, task)


class CountedChecks:
    """``check(condition)`` asserts and counts: the figure reported is the number of checks
    that ran and passed, never a number typed in by hand."""

    def __init__(self) -> None:
        self.passed = 0

    def __call__(self, condition: bool, context: object = "") -> None:
        assert condition, context
        self.passed += 1


async def isolation_checks(double: DiscordDouble) -> None:
    check = CountedChecks()
    in_a: dict[str, Any] = {"guild_id": DEFAULT_GUILD_ID}
    in_b: dict[str, Any] = {"guild_id": GUILD_B, "permissions": ADMIN_PERMISSIONS}
    admin_a = in_a | {"permissions": ADMIN_PERMISSIONS}
    await run(double, "basket create", {"name": "evs", "members": "TSLA,1211.HK"}, **admin_a)
    sub_a = await subscribe(double, DEFAULT_CHANNEL_ID, guild_id=DEFAULT_GUILD_ID)

    # Server B: A's basket does not exist, by any route.
    check("No basket named 'evs'" in await run(double, "basket show", {"name": "evs"}, **in_b))
    listing = await run(double, "basket list", {}, **in_b)
    check("evs" not in listing and "TSLA, 1211.HK" not in listing)
    ret = await run(double, "returns", {"target": "evs", "period": "1m"}, **in_b)
    check("Can't answer that" in ret and "TSLA" not in ret, ret)  # "evs" is just a symbol there
    choices = await double.send_autocomplete("returns", {"target": "e"}, "target", guild_id=GUILD_B)
    check("evs" not in [c["value"] for c in choices])
    check("No basket named" in await run(double, "basket delete", {"name": "evs"}, **in_b))
    check("No basket named" in await run(double, "summary preview", {"baskets": "evs"}, **in_b))
    # ...nor A's subscription.
    check("None yet" in await run(double, "summary list", {}, **in_b))
    for action in ("summary unsubscribe", "summary send"):
        text = await run(double, action, {"id": sub_a}, **in_b)
        check(f"No summary subscription {sub_a} on this server" in text, text)
    # B's own basket of the same name is B's alone.
    await run(double, "basket create", {"name": "evs", "members": "AAPL"}, **in_b)
    show_a = await run(double, "basket show", {"name": "evs"}, **in_a)
    check("TSLA, 1211.HK" in show_a and "AAPL" not in show_a)
    check(f"#{sub_a}" in await run(double, "summary list", {}, **in_a))

    # DMs: each user has a private space, seeing neither server's baskets nor another's.
    dm = {"guild_id": None, "user_id": DEFAULT_USER_ID + 50}
    other_dm = {"guild_id": None, "user_id": DEFAULT_USER_ID + 51}
    check("No basket named 'evs'" in await run(double, "basket show", {"name": "evs"}, **dm))
    await run(double, "basket create", {"name": "mine", "members": "NVDA"}, **dm)
    check("NVDA" in await run(double, "basket show", {"name": "mine"}, **dm))
    for elsewhere in (other_dm, in_a, in_b):
        shown = await run(double, "basket show", {"name": "mine"}, **elsewhere)
        check("No basket named 'mine'" in shown, elsewhere)
    figures.add("security.isolation_checks", check.passed)


async def test_a_member_gets_the_refusal_not_an_error_from_a_dm_only_action(
    running: RunningBot,
) -> None:
    """Subscriptions need a server: in a DM the user manages their own space but is told
    clearly that summaries post to a server's channel (no crash, no write)."""
    db = running.services.store.path
    before = user_state(db)
    handle = await running.double.send_slash(
        "summary", {"id": 1}, subcommand="unsubscribe", guild_id=None
    )
    bodies = await wait_answer(handle)
    assert all(is_error(b) for b in bodies)
    assert user_state(db) == before
