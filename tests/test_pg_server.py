"""The test PostgreSQL server itself: real, password-protected, one database per test."""

from __future__ import annotations

import psycopg
import pytest

from tests.pg_server import PostgresServer


def test_the_server_is_real_and_each_test_gets_its_own_database(
    pg_server: PostgresServer, pg_url: str
) -> None:
    with psycopg.connect(pg_url) as conn:
        (version,) = conn.execute("SHOW server_version_num").fetchone()
        conn.execute("CREATE TABLE t (x int)")
        conn.execute("INSERT INTO t VALUES (1), (2)")
        assert conn.execute("SELECT sum(x) FROM t").fetchone() == (3,)
    assert int(version) >= 130000
    other = pg_server.create_database()
    with psycopg.connect(other) as conn:
        assert conn.execute("SELECT to_regclass('t')").fetchone() == (None,)


def test_a_wrong_password_is_refused(pg_server: PostgresServer) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(pg_server.url(password="wrong"), connect_timeout=5).close()


def test_missing_binaries_say_what_to_install(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from tests import pg_server

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(pg_server, "DEBIAN_GLOB", "/nonexistent/*/bin/initdb")
    assert pg_server.find_bin_dir() is None
    assert pg_server.main([]) == 1  # without --require nothing is installed
    err = capsys.readouterr().err.strip()
    assert err.startswith("make test: PostgreSQL server binaries (initdb, pg_ctl) not found")
    assert "apt-get install -y postgresql" in err and "\n" not in err
