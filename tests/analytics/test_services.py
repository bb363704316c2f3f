"""Services: every store built once, and the two files kept apart.

The market cache is rebuildable; the server store is users' data. Deleting the cache file
(as "clear the cache" would) must keep every basket, subscription and ledger row.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from analytics.data.sources.csvdir import CsvFolderSource
from analytics.services import Services
from commands.registry import run_text
from commands.spec import Context
from tests.conftest import FIXED_NOW
from tests.real_data import MARKET_DATA, close_on_or_before
from tests.source_doubles import Clock

GUILD = 1300000000000000010


def ask(services: Services, text: str) -> object:
    reply = run_text(text, Context(services, guild_id=GUILD, user_id=7, channel_id=11))
    assert reply.exit_code == 0, (text, reply.description)
    return reply


def users_rows(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()  # noqa: S608
            for table in ("baskets", "summary_subscriptions", "summary_posts")
        }
    finally:
        conn.close()


def test_deleting_the_market_cache_keeps_every_basket_and_subscription(tmp_path: Path) -> None:
    cache, db = tmp_path / "cache.sqlite3", tmp_path / "marketbot.sqlite3"
    services = Services.open(cache, db, CsvFolderSource(MARKET_DATA), clock=Clock(FIXED_NOW))
    ask(services, "/basket create name:evs members:TSLA,1211.HK")
    ask(services, "/basket create name:china-adr members:BABA,JD")
    ask(services, "/summary subscribe channel:11 baskets:evs,mag7 day:friday time:18:00")
    (sub,) = services.subscriptions.list(GUILD)
    services.subscriptions.add_listener(lambda: None)  # as a running scheduler would
    ask(services, f"/summary send id:{sub.id}")  # a ledger row too
    first = ask(services, "/returns target:evs start:2024-12-31 end:2025-03-07")
    services.close()
    before = users_rows(db)
    assert [len(before[t]) for t in before] == [2, 1, 1]
    cached = sqlite3.connect(cache).execute("SELECT count(*) FROM bars").fetchone()[0]
    assert cached > 0  # the cache really held prices

    for path in tmp_path.glob("cache.sqlite3*"):  # the file and its -wal / -shm
        path.unlink()

    again = Services.open(cache, db, CsvFolderSource(MARKET_DATA), clock=Clock(FIXED_NOW))
    try:
        assert users_rows(db) == before
        assert again.baskets.get(GUILD, "evs").members == ("TSLA", "1211.HK")  # type: ignore[union-attr]
        assert [s.id for s in again.subscriptions.list(GUILD)] == [sub.id]
        # The prices come back from the source: the same answer as before the deletion.
        rebuilt = ask(again, "/returns target:evs start:2024-12-31 end:2025-03-07")
        assert rebuilt.data == first.data  # type: ignore[attr-defined]
        tsla = next(m for m in rebuilt.data["members"] if m["symbol"] == "TSLA")  # type: ignore[attr-defined]
        assert tsla["end_close"] == close_on_or_before("TSLA", "2025-03-07")[1]
    finally:
        again.close()
    assert cache.exists()


def test_each_store_is_built_once_and_shared(tmp_path: Path) -> None:
    services = Services.open(
        tmp_path / "cache.sqlite3", tmp_path / "marketbot.sqlite3", CsvFolderSource(MARKET_DATA)
    )
    try:
        assert services.market.cache is services.cache is services.fundamentals.cache
        assert services.fundamentals.breaker is services.market.breaker
        assert services.baskets.store is services.store is services.subscriptions.store
        woken: list[int] = []
        services.subscriptions.add_listener(lambda: woken.append(1))
        ask(services, "/summary subscribe channel:11 baskets:mag7 day:friday time:18:00")
        assert woken == [1]  # a command's change reached the listener on the same store
    finally:
        services.close()
