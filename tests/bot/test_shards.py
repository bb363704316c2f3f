"""Shard ranges: the two settings, and a bot process running only some of the shards."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from analytics.data.sources.csvdir import CsvFolderSource
from analytics.services import Services
from bot.app import MarketBot, ShardedMarketBot, make_bot
from bot.runner import Cooldown
from bot.scheduler import bot_shards
from bot.settings import Settings, load_settings
from bot.shards import ShardPlan, format_ids, parse_shard_ids, shard_plan
from tests.conftest import FIXED_NOW
from tests.discord_double import ChannelSpec, DiscordDouble, GuildSpec
from tests.real_data import MARKET_DATA
from tests.reliability.discord_helpers import text_of, wait_answer
from tests.source_doubles import Clock


def settings_from(env: dict[str, str]) -> Settings:
    return load_settings(env, dotenv_path=None)


@pytest.mark.parametrize(
    ("count", "ids", "expected"),
    [
        ("4", "0-3", (0, 1, 2, 3)),
        ("6", "0,2,5", (0, 2, 5)),
        ("8", " 1-2 , 6 ,2", (1, 2, 6)),
        ("2", "1-1", (1,)),
        ("3", None, (0, 1, 2)),
    ],
)
def test_shard_ids_as_a_range_or_a_list(count: str, ids: str | None, expected: tuple) -> None:
    env = {"MARKETBOT_SHARD_COUNT": count} | ({"MARKETBOT_SHARD_IDS": ids} if ids else {})
    plan = settings_from(env).shards
    assert plan == ShardPlan(int(count), expected)
    assert parse_shard_ids(format_ids(expected), int(count)) == expected


def test_without_shard_settings_one_process_as_today() -> None:
    assert settings_from({}).shards is None
    assert shard_plan(None, None) is None


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"MARKETBOT_SHARD_IDS": "0-1"}, "MARKETBOT_SHARD_IDS needs MARKETBOT_SHARD_COUNT"),
        (
            {"MARKETBOT_SHARD_COUNT": "2", "MARKETBOT_SHARD_IDS": "0-2"},
            "MARKETBOT_SHARD_IDS: shard 2 is outside 0..1 (MARKETBOT_SHARD_COUNT=2).",
        ),
        (
            {"MARKETBOT_SHARD_COUNT": "4", "MARKETBOT_SHARD_IDS": "7"},
            "MARKETBOT_SHARD_IDS: shard 7 is outside 0..3",
        ),
        ({"MARKETBOT_SHARD_COUNT": "4", "MARKETBOT_SHARD_IDS": "3-1"}, "runs backwards"),
        (
            {"MARKETBOT_SHARD_COUNT": "4", "MARKETBOT_SHARD_IDS": "a-b"},
            "MARKETBOT_SHARD_IDS='a-b' is not accepted: use a range like 0-3 or a list like 0,2,5.",
        ),
        ({"MARKETBOT_SHARD_COUNT": "4", "MARKETBOT_SHARD_IDS": "-1"}, "is not accepted"),
        ({"MARKETBOT_SHARD_COUNT": "0"}, "MARKETBOT_SHARD_COUNT must be a whole number"),
        ({"MARKETBOT_SHARD_COUNT": "two"}, "MARKETBOT_SHARD_COUNT must be a whole number"),
    ],
)
def test_bad_shard_settings_are_one_line_naming_the_setting(env: dict, line: str) -> None:
    from analytics.errors import UserInputError

    with pytest.raises(UserInputError) as raised:
        settings_from(env)
    assert line in str(raised.value) and "\n" not in str(raised.value)


def test_the_console_refuses_bad_shard_settings_with_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETBOT_", "DISCORD_"))}
    env.update(DISCORD_TOKEN="t", MARKETBOT_SHARD_COUNT="2", MARKETBOT_SHARD_IDS="5")
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "marketbot: MARKETBOT_SHARD_IDS: shard 5 is outside 0..1 (MARKETBOT_SHARD_COUNT=2)."
    ]


# -- a bot running one shard of two ----------------------------------------------------------
def guild_on(shard: int, count: int, base: int) -> int:
    """A server id that Discord routes to ``shard`` (its shard is in the id's high bits)."""
    guild = base
    while (guild >> 22) % count != shard:
        guild += 1 << 22
    return guild


GUILD_0 = guild_on(0, 2, 1300000000000000100)
GUILD_1 = guild_on(1, 2, 1300000000000000200)


def two_guilds() -> list[GuildSpec]:
    return [
        GuildSpec(GUILD_0, "Shard zero", [ChannelSpec(GUILD_0 + 1, "general")]),
        GuildSpec(GUILD_1, "Shard one", [ChannelSpec(GUILD_1 + 1, "general")]),
    ]


async def test_a_process_with_shard_1_of_2_serves_only_that_shards_servers(
    tmp_path: Path,
) -> None:
    assert (GUILD_0 >> 22) % 2 == 0 and (GUILD_1 >> 22) % 2 == 1
    settings = Settings(
        source=f"csv:{MARKET_DATA}", db_path=tmp_path / "bot.sqlite3", discord_token="x",
        log_dir=tmp_path / "logs", shards=ShardPlan(2, (1,)),
    )  # fmt: skip
    async with DiscordDouble(guilds=two_guilds(), shard_count=2) as double:
        with double.point_discord_py():
            services = Services.open(
                tmp_path / "cache.sqlite3",
                settings.db_path,
                CsvFolderSource(MARKET_DATA),
                clock=Clock(FIXED_NOW),
            )
            bot = make_bot(
                settings, services, cooldown=Cooldown(limit=1000), guild_ready_timeout=0.05
            )
            assert isinstance(bot, ShardedMarketBot)
            task = asyncio.create_task(bot.start(double.token))
            try:
                await asyncio.wait_for(bot.ready_event.wait(), 15)
                identify = await double.wait_identify()
                assert identify.d["shard"] == [1, 2]
                assert [g.id for g in bot.guilds] == [GUILD_1]
                assert bot_shards(bot) == ({1}, 2)
                assert not double.find("PUT", "/commands$")  # shard 0's process syncs them
                await bot.sync_commands(force=True)
                # Discord sends shard 1's servers' interactions to this process...
                handle = await double.send_slash("quote", {"symbol": "AAPL"}, guild_id=GUILD_1)
                bodies = await wait_answer(handle, 30)
                assert "AAPL" in text_of(bodies[-1])
                # ...and shard 0's to no connection of it: none was opened.
                sessions = list(double.gateway.sessions.values())
                assert [s.shard for s in sessions] == [(1, 2)]
                with pytest.raises(RuntimeError, match="no bot has IDENTIFY'd"):
                    double.gateway.session_for(GUILD_0)
            finally:
                await bot.close()
                await asyncio.wait_for(task, 10)
    assert not double.find("GET", r"^/gateway/bot$")  # the count is given: nothing to ask


def test_no_shard_settings_make_the_plain_client() -> None:
    settings = Settings(source=f"csv:{MARKET_DATA}", discord_token="x")
    services = Services.open(":memory:", ":memory:", CsvFolderSource(MARKET_DATA))
    try:
        bot = make_bot(settings, services)
        assert type(bot) is MarketBot and bot.shard_count is None
    finally:
        services.close()
