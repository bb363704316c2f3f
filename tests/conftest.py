"""Shared fixtures. The Yahoo double's logic lives in tests/yahoo_double.py as plain
functions so the benchmark and other suites can use it without pytest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics.data.sources.csvdir import CsvFolderSource
from analytics.services import Services
from tests.pg_server import PostgresServer
from tests.real_data import MARKET_DATA
from tests.source_doubles import Clock, RecordingSource
from tests.yahoo_double import YahooDouble, running_double

#: A fixed "now" for the services fixture: after the last bar of every shared file, so
#: defaults such as "end = the latest close" resolve on each file's own last close.
FIXED_NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def yahoo_double() -> Iterator[YahooDouble]:
    """A running, empty Yahoo double; tests add symbols with ``double.serve({...})``."""
    with running_double() as double:
        yield double


@pytest.fixture
def market_data_dir() -> Path:
    """The shared folder of real CSVs (../shared/market-data)."""
    return MARKET_DATA


@pytest.fixture
def clock() -> Clock:
    """A settable clock at :data:`FIXED_NOW` (2026-11-24 12:00 UTC)."""
    return Clock(FIXED_NOW)


@pytest.fixture
def services(tmp_path: Path, clock: Clock) -> Iterator[Services]:
    """Services on the shared CSV folder with a fresh SQLite cache in ``tmp_path`` and the
    fixed clock; the source is a :class:`RecordingSource`, so tests can count calls via
    ``services.market.source.calls``."""
    source = RecordingSource(CsvFolderSource(MARKET_DATA))
    built = Services.open(
        tmp_path / "cache.sqlite3", tmp_path / "marketbot.sqlite3", source, clock=clock
    )
    yield built
    built.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole run (tests/pg_server.py), stopped at the end.

    Missing binaries fail the tests with what to install: they are never skipped.
    """
    try:
        server = PostgresServer.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    """A fresh, empty database on :func:`pg_server` for this test; its URL."""
    return pg_server.create_database()
