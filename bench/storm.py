"""Figure 9: a slot storm — thousands of servers' weekly summaries due in the same minute.

Many servers pick the same time (Friday 18:00 New York). Here ``Config.storm_subs``
subscriptions (10,000; 200 with ``--quick``), four per server, each to its own channel, all
have their slot in the same minute, and a real ``marketbot run`` process comes up to find
them due. The Discord double in this process enforces Discord's rate limits (5 messages per
5 s per channel, 50 requests per second per token) and counts the 429s it had to send.

Each server has the same four subscriptions: ``mag7``; ``china-titans,mag7``; its own
``tech`` basket; ``tech,mag7``. Servers' ``tech`` baskets come in two member lists, so the
distinct (baskets, week) summaries are 2 + 2 x 2 = 6, however many servers there are: the
bot must compute exactly that many (read from its log) and reuse them.

Measured: from the bot's READY (every slot already due) to the last post (target: all within
5 minutes), posts that arrived (exactly one per subscription, none twice), 429s (none), the
summaries computed, and the busiest second at the double. Prices come from the shared CSV
folder: the storm is about posting, not fetching.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from analytics.data.sources.csvdir import CsvFolderSource
from analytics.server.schedule import WeeklyRule
from analytics.services import Services
from bench.core import Figure
from bench.env import BenchEnv
from bench.process import bot_command
from tests.discord_double import ChannelSpec, GuildSpec, run_in_thread
from tests.real_data import MARKET_DATA as SHARED_MARKET_DATA

GROUP = "10 storm"
FIRST_GUILD = 1400000000000000000
COMBOS = (("mag7",), ("china-titans", "mag7"), ("tech",), ("tech", "mag7"))
TECH = (("AAPL", "MSFT", "NVDA"), ("AAPL", "MSFT", "GOOGL", "META"))
COMPUTED = re.compile(r"summaries computed (\d+), reused (\d+)")


def storm_world(count: int) -> list[GuildSpec]:
    guilds = []
    for g in range(count // len(COMBOS)):
        gid = FIRST_GUILD + (g << 22)
        channels = [ChannelSpec(gid + 1 + c, f"summary-{c}", position=c) for c in range(4)]
        guilds.append(GuildSpec(gid, f"Server {g}", channels))
    return guilds


def subscribe_all(db: Path, cache: Path, guilds: list[GuildSpec], slot: datetime) -> int:
    services = Services.open(cache, db, CsvFolderSource(SHARED_MARKET_DATA))
    rule = WeeklyRule(slot.weekday(), slot.hour, slot.minute, "UTC")
    made = 0
    try:
        with services.store.transaction():  # one transaction: seconds, not minutes
            for i, guild in enumerate(guilds):
                services.baskets.create(guild.id, "tech", list(TECH[i % 2]), 1, slot)
                for combo, channel in zip(COMBOS, guild.channels, strict=True):
                    services.subscriptions.add(guild.id, channel.id, list(combo), rule, 1,
                                               slot - timedelta(days=1))  # fmt: skip
                    made += 1
    finally:
        services.close()
    return made


def storm_figures(env: BenchEnv) -> list[Figure]:
    count = env.config.storm_subs
    run_dir = env.workdir / "storm"
    run_dir.mkdir()
    guilds = storm_world(count)
    slot = datetime.now(UTC).replace(second=0, microsecond=0)
    subs = subscribe_all(run_dir / "marketbot.sqlite3", run_dir / "cache.sqlite3", guilds, slot)
    expected_summaries = 2 + 2 * len({TECH[i % 2] for i in range(len(guilds))})
    threaded = run_in_thread(guilds=guilds, keep_files=False)
    double = threaded.double
    base = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETBOT_", "DISCORD_"))}
    child = base | double.env() | {
        "DISCORD_TOKEN": double.token, "MARKETBOT_SOURCE": f"csv:{SHARED_MARKET_DATA.resolve()}",
        "MARKETBOT_CACHE": str(run_dir / "cache.sqlite3"),
        "MARKETBOT_DB": str(run_dir / "marketbot.sqlite3"),
        "MARKETBOT_LOG_DIR": str(run_dir / "logs"), "MARKETBOT_LOG_LEVEL": "INFO",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }  # fmt: skip
    proc = subprocess.Popen(bot_command(), cwd=run_dir, env=child, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    posts: list[float] = []
    try:
        ready = threaded.run(double.wait_identify(timeout=120), timeout=130).received_at
        deadline = time.monotonic() + 120 + count / 20
        while time.monotonic() < deadline and proc.poll() is None:
            posts = [r.received_at for r in double.requests.items
                     if r.method == "POST" and r.ok and r.path.startswith("/channels/")]  # fmt: skip
            if len(posts) >= subs:
                break
            time.sleep(0.5)
        time.sleep(2.0)  # duplicates, if any, would arrive now
        posted = [r for r in double.requests.items
                  if r.method == "POST" and r.ok and r.path.startswith("/channels/")]  # fmt: skip
        posts = [r.received_at for r in posted]
        channels = {r.path for r in posted}
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        threaded.stop()
    log = "\n".join(p.read_text(errors="replace") for p in (run_dir / "logs").glob("*.log*"))
    counts = [tuple(map(int, m)) for m in COMPUTED.findall(log)]
    computed = max((c for c, _ in counts), default=-1)
    seconds = (max(posts) - ready) if posts else float("nan")
    limits = double.rate_limits
    note = f"{subs} subscriptions in {len(guilds)} servers, one minute's slot"
    return [
        Figure(GROUP, f"storm: READY → last of {subs} posts", seconds, "s", target=300.0,
               note=note),
        Figure(GROUP, "storm: posts that arrived", len(posts), "posts", target=subs,
               compare="=="),
        Figure(GROUP, "storm: channels posted to twice", len(posts) - len(channels), "posts",
               target=0, compare="=="),
        Figure(GROUP, "storm: 429s Discord had to send", limits.total_429s, "429s", target=0,
               compare="=="),
        Figure(GROUP, "storm: summaries computed", computed, "summaries",
               target=expected_summaries, compare="==",
               note="distinct (baskets, week); every other post reused one"),
        Figure(GROUP, "storm: busiest second at Discord", limits.peak_per_second, "req/s",
               target=50, note="Discord's global limit is 50/s per token"),
    ]  # fmt: skip
