"""Autocomplete by name through the Discord double, the real bot and the real yfinance
against the Yahoo double: within Discord's 3 seconds, also when the search endpoint hangs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from analytics.data.sources.yahoo import YahooSource
from tests.bot.conftest import RunningBot, discord_double, start_bot, stop_bot
from tests.yahoo_double import SEARCH, YahooDouble, shared_symbols
from tests.yahoo_search_payloads import NAMES

#: Discord drops an autocomplete answer after this long.
DEADLINE = 3.0


@pytest.fixture
async def yahoo_bot(tmp_path: Path, yahoo_double: YahooDouble) -> AsyncIterator[RunningBot]:
    served = shared_symbols(["0700.HK", "AAPL"])
    for symbol, data in served.items():
        data.info = dict(NAMES[symbol])
    yahoo_double.serve(served)
    source = YahooSource(base_url=yahoo_double.base_url, timeout=2.0, cache_dir=tmp_path / "yf")
    async with discord_double() as double:
        bot, task = await start_bot(double, tmp_path, source=source)
        try:
            yield RunningBot(bot, double, bot.services, bot.settings)
        finally:
            await stop_bot(bot, task)


async def timed(bot: RunningBot, command: str, option: str, text: str) -> tuple[list, float]:
    started = time.monotonic()
    choices = await bot.double.send_autocomplete(command, {option: text}, option)
    return choices, time.monotonic() - started


async def test_tenc_offers_tencent_by_name(
    yahoo_bot: RunningBot, yahoo_double: YahooDouble
) -> None:
    choices, took = await timed(yahoo_bot, "returns", "target", "tenc")
    assert took < DEADLINE
    assert choices[0] == {"name": "0700.HK · Tencent Holdings · Hong Kong", "value": "0700.HK"}
    assert {"name": "TCEHY · Tencent Holdings · OTC Markets", "value": "TCEHY"} in choices
    quote, _ = await timed(yahoo_bot, "quote", "symbol", "tenc")
    assert quote[0]["value"] == "0700.HK"
    assert len(yahoo_double.search_requests("tenc")) == 1  # the second came from the cache


async def test_comma_lists_are_continued(yahoo_bot: RunningBot) -> None:
    choices, _ = await timed(yahoo_bot, "returns", "target", "AAPL, tenc")
    assert choices[0] == {
        "name": "AAPL, 0700.HK · Tencent Holdings · Hong Kong",
        "value": "AAPL,0700.HK",
    }


async def test_a_hanging_search_still_answers_in_time(
    yahoo_bot: RunningBot, yahoo_double: YahooDouble
) -> None:
    ask = await yahoo_bot.double.send_slash(
        "returns", {"target": "0700.HK", "start": "2024-12-31", "end": "2025-03-07"}
    )
    await ask.wait_reply()  # 0700.HK and its name are now cached
    yahoo_double.hang(30, symbols=[SEARCH])
    choices, took = await timed(yahoo_bot, "returns", "target", "tenc")
    assert took < DEADLINE
    assert choices == [{"name": "0700.HK · Tencent Holdings · Hong Kong", "value": "0700.HK"}]
    empty, took = await timed(yahoo_bot, "quote", "symbol", "alib")
    assert took < DEADLINE and empty == []  # nothing cached, the search hangs: no error
    yahoo_double.clear_faults()
    await asyncio.sleep(2.5)  # the hung searches time out; their failure is not cached
    later, _ = await timed(yahoo_bot, "quote", "symbol", "alib")
    assert later[0] == {"name": "BABA · Alibaba Group Holding · NYSE", "value": "BABA"}
