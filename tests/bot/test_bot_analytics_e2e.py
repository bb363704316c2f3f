"""End to end through the Discord double: /chart, /levels, /marketcap and /valuation."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from analytics.metrics.targets import PRESETS
from tests.bot.conftest import RunningBot, discord_double, start_bot, stop_bot
from tests.bot.embeds import field
from tests.real_data import MARKET_DATA, close_on_or_before, closes

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


def equal_weighted(symbols: tuple[str, ...], base: str, end: str) -> float:
    """The mean of member returns from the close on or before ``base`` to that on ``end``."""
    growth = [close_on_or_before(s, end)[1] / close_on_or_before(s, base)[1] for s in symbols]
    return (sum(growth) / len(growth) - 1) * 100


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
    embed = reply.data["embeds"][0]
    for label, preset in (("China tech titans", "china-titans"), ("Magnificent Seven", "mag7")):
        want = equal_weighted(PRESETS[preset], "2024-12-31", "2025-03-07")
        assert field(embed, f"{label} ({preset})") == f"{want:+.2f}%"
    assert round(equal_weighted(PRESETS["china-titans"], "2024-12-31", "2025-03-07"), 1) == 42.8


async def test_levels_through_discord_matches_the_file(running: RunningBot) -> None:
    handle = await running.double.send_slash("levels", {"symbol": "0700.HK"})
    reply = await handle.wait_reply()
    series = closes("0700.HK")
    last_day = max(series)
    peak = max(series.values())
    peak_day = max(d for d, v in series.items() if v == peak)
    drawdown = (series[last_day] / peak - 1) * 100
    embed = reply.data["embeds"][0]
    assert field(embed, "Last close") == f"{series[last_day]:,.2f} HKD ({last_day})"
    assert field(embed, "Peak") == f"{peak:,.2f} HKD ({peak_day})"
    assert field(embed, "From peak") == f"{drawdown:+.2f}%"


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
    assert change < 0  # both fell over the period
    assert field(reply.data["embeds"][0], "Total change") == f"-${abs(change) / 1e9:,.2f}B"

    handle = await double.send_slash("valuation", {"target": "AAPL,MSFT"})
    reply = await handle.wait_reply()
    aggregate = field(reply.data["embeds"][0], "AAPL,MSFT aggregate").splitlines()
    # Aggregate P/E = total cap / total earnings, at the latest closes; median of members'.
    last_a, last_m = a[max(a)], m[max(m)]
    cap = 15e9 * last_a + 7.4e9 * last_m
    for label, eps_a, eps_m in (("P/E", 6.0, 12.0), ("Fwd P/E", 8.0, 15.0)):
        pe = cap / (15e9 * eps_a + 7.4e9 * eps_m)
        median = (last_a / eps_a + last_m / eps_m) / 2
        assert f"{label} {pe:.1f}x (median {median:.1f}x)" in aggregate, aggregate
