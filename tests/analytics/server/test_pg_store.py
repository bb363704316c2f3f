"""What is PostgreSQL's own in the server store: migrations under an advisory lock, clear
errors at start, the password never shown, and an outage answered, not crashed on.

Everything else (baskets, subscriptions, claims) is the shared suite, run on both engines
(tests/analytics/server/conftest.py).
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from analytics.errors import StorageUnavailable
from analytics.server.baskets import BasketStore
from analytics.server.migrations import MIGRATIONS
from analytics.server.pg_store import PostgresServerStore, StoreConnectError, redact
from tests.pg_server import PostgresServer, free_port

REPO = Path(__file__).resolve().parents[3]
NOW = datetime(2025, 3, 7, 12, 0, tzinfo=UTC)
GUILD = 1300000000000000010

OPEN_SCRIPT = """
import sys
from analytics.server.pg_store import PostgresServerStore
sys.stdin.readline()  # start together
store = PostgresServerStore(sys.argv[1])
print(store.schema_version)
store.close()
"""


def tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "ORDER BY 1"
        ).fetchall()
    return [r[0] for r in rows]


def test_a_new_database_gets_every_migration_once(pg_url: str) -> None:
    store = PostgresServerStore(pg_url)
    try:
        assert store.schema_version == len(MIGRATIONS) == 2
        assert store.engine == "postgresql"
    finally:
        store.close()
    assert tables(pg_url) == ["baskets", "marketbot_schema", "summary_posts",
                              "summary_subscriptions"]  # fmt: skip
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT id, version FROM marketbot_schema").fetchall() == [(1, 2)]
        # Discord ids are 64-bit: the id columns must be bigint.
        kinds = dict(conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'summary_subscriptions'"
        ).fetchall())  # fmt: skip
    assert kinds["guild_id"] == kinds["channel_id"] == kinds["id"] == "bigint"
    again = PostgresServerStore(pg_url)  # reopening applies nothing
    assert again.schema_version == 2
    again.close()


def test_four_processes_opening_one_new_database_at_once_migrate_it_once(pg_url: str) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_SCRIPT, pg_url],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(4)
    ]
    results = [p.communicate("go\n", timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [r[1][-500:] for r in results]
    assert [r[0].strip() for r in results] == ["2"] * 4
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM marketbot_schema").fetchone() == (1,)


def test_a_database_from_a_newer_release_is_refused(pg_url: str) -> None:
    PostgresServerStore(pg_url).close()
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE marketbot_schema SET version = 99")
    with pytest.raises(StoreConnectError, match="newer marketbot .schema 99, this one knows 2"):
        PostgresServerStore(pg_url)


def test_a_wrong_password_is_one_line_without_the_password(pg_server: PostgresServer) -> None:
    url = pg_server.url("postgres", password="not-the-Secret-123")
    with pytest.raises(StoreConnectError) as raised:
        PostgresServerStore(url)
    text = str(raised.value)
    assert text.startswith("MARKETBOT_DB: cannot use PostgreSQL at postgresql://marketbot:***@")
    assert "password authentication failed" in text
    assert "not-the-Secret-123" not in text and "\n" not in text


def test_nothing_listening_is_one_line() -> None:
    url = f"postgresql://u:pw-xyz@127.0.0.1:{free_port()}/db"
    with pytest.raises(StoreConnectError) as raised:
        PostgresServerStore(url)
    text = str(raised.value)
    assert text.startswith("MARKETBOT_DB: cannot use PostgreSQL at postgresql://u:***@127.0.0.1:")
    assert "pw-xyz" not in text and "\n" not in text


@pytest.mark.parametrize(
    "url",
    ["postgresql://u:p@127.0.0.1:notaport/db", "postgresql://u:p@/db", "postgresql://u:p@h:5432"],
)
def test_malformed_urls_are_one_line(url: str) -> None:
    with pytest.raises(StoreConnectError, match="^MARKETBOT_DB: ") as raised:
        PostgresServerStore(url)
    assert "\n" not in str(raised.value) and ":p@" not in str(raised.value)


def test_redact_hides_only_the_password() -> None:
    assert redact("postgresql://bot:s3cr3t@db.example:5432/market") == (
        "postgresql://bot:***@db.example:5432/market"
    )
    assert redact("postgresql://db.example/market") == "postgresql://db.example/market"


def test_postgresql_going_away_is_storage_unavailable_then_it_comes_back(tmp_path: Path) -> None:
    with PostgresServer.start() as server:
        url = server.create_database("outage")
        store = PostgresServerStore(url)
        baskets = BasketStore(store)
        try:
            baskets.create(GUILD, "before", ["AAPL"], 1, NOW)
            server.pause()
            with pytest.raises(StorageUnavailable, match="^storage unavailable, try again"):
                baskets.create(GUILD, "during", ["MSFT"], 1, NOW)
            with pytest.raises(StorageUnavailable):
                baskets.get(GUILD, "before")
            server.resume()
            assert [b.name for b in baskets.list(GUILD)] == ["before"]  # nothing half-written
            baskets.create(GUILD, "after", ["NVDA"], 1, NOW)
            assert baskets.names(GUILD) == ["after", "before"]
        finally:
            store.close()


def test_the_shared_queries_placeholders_reach_postgresql_as_values(pg_url: str) -> None:
    """The shared SQL is written with ``:name``; psycopg wants ``%(name)s``. A cast's ``::``
    and a literal ``%`` must come through as they are, and a value is never SQL."""
    store = PostgresServerStore(pg_url)
    try:
        (row,) = store._rows(
            "SELECT :n::int + 1 AS next, '100%' AS pct, :text AS text",
            {"n": 41, "text": "it's :n and %(n)s"},
        )
    finally:
        store.close()
    assert dict(row) == {"next": 42, "pct": "100%", "text": "it's :n and %(n)s"}
