"""The server-store suite runs on every engine: SQLite (a file in tmp) and PostgreSQL (a fresh
database on the tests' real server, tests/pg_server.py), the same tests parametrised."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from analytics.server.store import ServerStore
from analytics.services import open_server_store

ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(params=ENGINES)
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a server store lives for this test: a SQLite path or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "server.sqlite3")
    return request.getfixturevalue("pg_server").create_database("store")


@pytest.fixture
def open_store(store_target: str) -> Iterator[Callable[[], ServerStore]]:
    """``open_store()`` opens another store on the same data (own connections, as another
    process would); every store opened is closed after the test."""
    opened: list[ServerStore] = []

    def open_() -> ServerStore:
        store = open_server_store(store_target)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


def raw_rows(target: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows read past the store, with the engine's own client (to check what was written)."""
    if target.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(target) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
    import sqlite3

    conn = sqlite3.connect(target)
    try:
        return [tuple(r) for r in conn.execute(sql).fetchall()]
    finally:
        conn.close()
