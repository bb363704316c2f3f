"""End to end through the Discord double: /chart, /levels, /marketcap and /valuation."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from tests.bot.conftest import RunningBot, discord_double, start_bot, stop_bot
from tests.real_data import MARKET_DATA, closes

pytestmark = pytest.mark.timeout(60)

#: Made-up fundamentals, stated here so the expected numbers can be computed by hand.
FUNDAMENTALS = {
    "AAPL": {
        "currency": "USD",
        "financialCurrency": "USD",
        "sharesOutstanding": 15e9,
        "trailingEps": 6.0,
        "forwardEps": 8.0,
        "longName": "Apple Inc.",
    },
    "MSFT": {
        "currency": "USD",
        "financialCurrency": "USD",
        "sharesOutstanding": 7.4e9,
        "trailingEps": 12.0,
        "forwardEps": 15.0,
        "longName": "Microsoft Corporation",
    },
}


@pytest.fixture
async def bot_with_fundamentals(tmp_path: Path) -> AsyncIterator[RunningBot]:
    folder = tmp_path / "prices"
    folder.mkdir()
    for csv_file in MARKET_DATA.glob("*.csv"):
        (folder / csv_file.name).symlink_to(csv_file.resolve())
    (folder / "fundamentals.json").write_text(json.dumps(FUNDAMENTALS))
    async with discord_double() as double:
        bot, task = await start_bot(double, tmp_path, folder=folder)
        try:
            yield RunningBot(bot, double, bot.services, bot.settings)
        finally:
            await stop_bot(bot, task)


def fields(message) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.data["embeds"][0].get("fields", [])}


async def test_chart_replies_with_a_png_and_a_caption(running: RunningBot) -> None:
    handle = await running.double.send_slash(
        "chart",
        {
            "target": "china-titans",
            "vs": "mag7",
            "start": "2024-12-31",
            "end": "2025-03-07",
            "theme": "light",
        },
    )
    await handle.wait_defer()
    reply = await handle.wait_reply()
    png = reply.files[0].data
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 1_000_000
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (1600, 900)
    assert image.getpixel((5, 5)) == (255, 255, 255)  # the light theme's background
    assert "+42.8" in json.dumps(reply.data["embeds"][0])


async def test_levels_through_discord_matches_the_file(running: RunningBot) -> None:
    handle = await running.double.send_slash("levels", {"symbol": "0700.HK"})
    reply = await handle.wait_reply()
    series = closes("0700.HK")
    last_day = max(series)
    peak = max(series.values())
    drawdown = (series[last_day] / peak - 1) * 100
    text = json.dumps(reply.data["embeds"][0])
    assert f"{drawdown:.2f}" in text or f"{drawdown:+.2f}" in text
    assert last_day in text


async def test_marketcap_and_valuation_through_discord(bot_with_fundamentals: RunningBot) -> None:
    double = bot_with_fundamentals.double
    handle = await double.send_slash(
        "marketcap", {"target": "AAPL,MSFT", "start": "2024-12-31", "end": "2025-03-07"}
    )
    reply = await handle.wait_reply()
    a, m = closes("AAPL"), closes("MSFT")
    change = 15e9 * (a["2025-03-07"] - a["2024-12-31"]) + 7.4e9 * (
        m["2025-03-07"] - m["2024-12-31"]
    )
    billions = f"{abs(change) / 1e9:,.2f}B"
    assert billions in json.dumps(reply.data["embeds"][0])

    handle = await double.send_slash("valuation", {"target": "AAPL,MSFT"})
    reply = await handle.wait_reply()
    text = json.dumps(reply.data["embeds"][0])
    # Aggregate forward P/E = total cap / total forward earnings, at the latest closes.
    last_a, last_m = a[max(a)], m[max(m)]
    cap = 15e9 * last_a + 7.4e9 * last_m
    earnings = 15e9 * 8.0 + 7.4e9 * 15.0
    assert f"{cap / earnings:.1f}" in text
