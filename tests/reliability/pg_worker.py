"""One process of the multi-process PostgreSQL tests (``python -m tests.reliability.pg_worker``).

``writes URL NAME N GUILD``: N rounds of writes through the product's stores, each its own
transaction: a basket of its own, an append to the basket every worker shares, and a
subscription to the one server they all share (the per-server limit must hold across
processes). Prints one JSON line: what it created and which writes were refused.

``post URL WORKER BLOCK``: one scheduler pass over a due slot, posting through a poster that
prints ``posting`` and then, with BLOCK=1, hangs (the test kills it there with SIGKILL).
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime

from analytics.errors import UserInputError
from analytics.server.baskets import BasketStore
from analytics.server.pg_store import PostgresServerStore
from analytics.server.schedule import WeeklyRule
from analytics.server.subscriptions import SubscriptionStore

NOW = datetime(2025, 3, 7, 12, 0, tzinfo=UTC)
SHARED_BASKET = "shared"


def writes(url: str, name: str, rounds: int, guild: int) -> None:
    store = PostgresServerStore(url)
    baskets, subs = BasketStore(store), SubscriptionStore(store)
    created, refused, subscribed = [], [], 0
    rule = WeeklyRule(4, 18, 0, "America/New_York")
    sys.stdin.readline()  # start together
    for i in range(rounds):
        own = f"{name}-{i}"
        baskets.create(guild + 1, own, ["AAPL", "MSFT"], 1, NOW)
        created.append(own)
        baskets.update_members(guild, SHARED_BASKET, lambda m, i=i: [*m, f"{name.upper()}{i}"], NOW)
        try:
            subs.add(guild, 11, ["mag7"], rule, 1, NOW)
            subscribed += 1
        except UserInputError as exc:
            refused.append(str(exc)[:60])
    store.close()
    print(json.dumps({"created": created, "subscribed": subscribed, "refused": len(refused)}))


async def post(url: str, worker: str, block: bool) -> None:
    from bot.scheduler import SchedulerConfig, SummaryScheduler
    from commands.reply import Reply
    from tests.reliability.pg_services import services_on

    services = services_on(url)

    class Poster:
        async def post(self, channel_id: int, reply: Reply, nonce: str) -> int:
            print("posting", nonce, flush=True)
            if block:
                await asyncio.Event().wait()  # killed here
            return 424242

    def build(services: object, guild_id: int, baskets: tuple[str, ...]) -> Reply:
        return Reply(title="summary")

    clock = lambda: datetime.fromisoformat(sys.argv[5])  # noqa: E731
    scheduler = SummaryScheduler(services, Poster(), clock=clock, worker=worker, build=build,
                                 config=SchedulerConfig())  # fmt: skip
    await scheduler.tick()
    services.close()
    print("done", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "writes":
        writes(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        asyncio.run(post(sys.argv[2], sys.argv[3], sys.argv[4] == "1"))
