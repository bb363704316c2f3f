"""The services a command needs, built once per process and shared by every command.

Every store hangs here, built once: the market cache and the market data over it, the
fundamentals and statements stores beside them, and the server store with the basket and subscription
rules over it. One object of each per process is what lets, for example, a command's
subscription change wake the scheduler's listener on the same :class:`SubscriptionStore`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from analytics.charts.renderer import ChartRenderer
from analytics.data.cache import MarketCache
from analytics.data.fundamentals import FundamentalsStore
from analytics.data.market import MarketData, utc_now
from analytics.data.names import NameResolver
from analytics.data.sources.base import Source
from analytics.data.statements import StatementStore
from analytics.server.baskets import BasketStore
from analytics.server.sqlite_store import SQLiteServerStore
from analytics.server.store import ServerStore
from analytics.server.subscriptions import SubscriptionStore


def open_server_store(db: Path | str) -> ServerStore:
    """``MARKETBOT_DB``: a ``postgresql://`` URL opens the PostgreSQL store, anything else is
    the path of the SQLite one. psycopg is imported only when it is needed."""
    if isinstance(db, str) and db.startswith(("postgresql://", "postgres://")):
        from analytics.server.pg_store import PostgresServerStore

        return PostgresServerStore(db)
    return SQLiteServerStore(db)


@dataclass(slots=True)
class Services:
    #: Public market data, rebuildable (``MARKETBOT_CACHE``).
    cache: MarketCache
    #: Users' data (``MARKETBOT_DB``).
    store: ServerStore
    market: MarketData
    fundamentals: FundamentalsStore
    statements: StatementStore
    baskets: BasketStore
    subscriptions: SubscriptionStore
    clock: Callable[[], datetime] = utc_now
    started_at: datetime = field(default_factory=utc_now)
    #: Draws charts (in worker processes once started) and reuses identical PNGs.
    charts: ChartRenderer = field(default_factory=ChartRenderer)
    #: Company names -> listings (built from the cache and the market's source if not given).
    names: NameResolver = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.names is None:
            self.names = NameResolver(self.cache, self.market.source, self.clock)

    @classmethod
    def build(
        cls,
        cache: MarketCache,
        store: ServerStore,
        source: Source,
        clock: Callable[[], datetime] = utc_now,
    ) -> Services:
        market = MarketData(cache, source, clock=clock)
        return cls(
            cache=cache,
            store=store,
            market=market,
            fundamentals=FundamentalsStore.beside(market),
            statements=StatementStore.beside(market),
            baskets=BasketStore(store),
            subscriptions=SubscriptionStore(store),
            clock=clock,
            started_at=clock(),
        )

    @classmethod
    def open(
        cls,
        cache_path: Path | str,
        db_path: Path | str,
        source: Source,
        clock: Callable[[], datetime] = utc_now,
    ) -> Services:
        """Open (creating or upgrading) the market cache and the server store (a SQLite
        path or a PostgreSQL URL, see :func:`open_server_store`)."""
        # The server store first: a PostgreSQL that cannot be used stops the start before
        # anything is created on disk.
        store = open_server_store(db_path)
        try:
            cache = MarketCache(cache_path)
        except BaseException:
            store.close()
            raise
        return cls.build(cache, store, source, clock)

    def close(self) -> None:
        self.charts.stop_workers()
        self.names.close()
        self.cache.close()
        self.store.close()
