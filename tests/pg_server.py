"""A real PostgreSQL server for the tests, started in a temporary directory.

Why a real server: the server store's claims, advisory locks and connection failures are
PostgreSQL behaviour; a mock would only repeat what we believe about it. The Debian
``postgresql`` package's ``initdb``/``pg_ctl`` are used as they are (``make test`` installs
the package when they are missing, see ``python -m tests.pg_server --require``).

The server refuses to run as root, so when the tests run as root (CI does) the data
directory is handed to the ``postgres`` system user (``nobody`` if there is none) and the
server processes run as that user. It listens only on 127.0.0.1, on a free port, with
password (SCRAM) authentication, so a wrong password is refused as in production. Speed
settings (``fsync=off`` and friends) trade durability that a test server does not need.

    with PostgresServer.start() as server:
        url = server.create_database("t1")   # postgresql://marketbot:...@127.0.0.1:PORT/t1
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SUPERUSER = "marketbot"
#: Where Debian puts each major version's server binaries.
DEBIAN_GLOB = "/usr/lib/postgresql/*/bin/initdb"
#: What to say when the server binaries are missing (``make test`` and the fixture say it).
MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package "
    "'postgresql' (apt-get install -y postgresql) or put its bin directory on PATH; "
    "the server-store tests start a real server with them."
)


def find_bin_dir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``: PATH first, then Debian's layout."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    candidates = sorted(
        glob.glob(DEBIAN_GLOB),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(candidates[-1]).parent if candidates else None


def require_binaries(install: bool) -> Path:
    """The bin directory; with ``install`` and root, ``apt-get install postgresql`` first."""
    bin_dir = find_bin_dir()
    if bin_dir is None and install and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        print("PostgreSQL not found; installing the Debian package 'postgresql'", file=sys.stderr)
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
            env=env,
            check=False,
        )
        bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError(MISSING)
    return bin_dir


def _run_as() -> str | None:
    """The user the server runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root, and neither a 'postgres' nor a 'nobody' user exists")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A running server; :meth:`stop` (or leaving ``with``) shuts it down and deletes it."""

    bin_dir: Path
    root: Path
    port: int
    password: str
    user: str | None
    log_file: Path
    databases: list[str] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres", *, password: str | None = None) -> str:
        secret = self.password if password is None else password
        return f"postgresql://{SUPERUSER}:{secret}@127.0.0.1:{self.port}/{database}"

    # -- lifecycle ----------------------------------------------------------------------
    @classmethod
    def start(cls, *, install: bool = False) -> PostgresServer:
        bin_dir = require_binaries(install)
        user = _run_as()
        root = Path(tempfile.mkdtemp(prefix="marketbot-pg-"))
        password = secrets.token_urlsafe(18)
        server = cls(bin_dir, root, 0, password, user, root / "server.log")
        try:
            server._init()
            server._start()
        except BaseException:
            server.stop()
            raise
        return server

    def _cmd(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args), user=self.user, capture_output=True, text=True, check=check, timeout=120
        )

    def _init(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            for path in (self.root, pwfile):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o700)
        self._cmd(
            str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", SUPERUSER,
            "--pwfile", str(pwfile), "--auth=scram-sha-256", "-E", "UTF8",
            "--locale=C", "--no-instructions", "--no-sync",
        )  # fmt: skip
        pwfile.unlink()

    def _start(self) -> None:
        last = ""
        for _ in range(5):  # the free port may be taken between probing and binding
            self.port = free_port()
            done = self._pg_ctl_start(check=False)
            if done.returncode == 0:
                return
            last = done.stderr + done.stdout + self.log_tail()
        raise RuntimeError(f"PostgreSQL did not start: {last[-2000:]}")

    def log_tail(self, size: int = 2000) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-size:]
        except OSError:
            return ""

    def pause(self) -> None:
        """Stop the server but keep its data (``resume`` starts it again on the same port)."""
        self._cmd(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast",
                  "-w", "stop", check=False)  # fmt: skip

    def resume(self) -> None:
        self._pg_ctl_start(check=True)

    def _pg_ctl_start(self, *, check: bool) -> subprocess.CompletedProcess[str]:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories='{self.root}' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
            "-c shared_buffers=32MB"
        )
        return self._cmd(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file),
            "-o", options, "-w", "-t", "60", "start", check=check,
        )  # fmt: skip

    def stop(self) -> None:
        if self.data_dir.is_dir():
            self._cmd(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m",
                      "immediate", "-w", "stop", check=False)  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases ----------------------------------------------------------------------
    def create_database(self, prefix: str = "t") -> str:
        """A new empty database; its URL (with the password)."""
        import psycopg

        name = f"{prefix}_{len(self.databases)}_{secrets.token_hex(3)}".lower()
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # a generated identifier, not user text
        self.databases.append(name)
        return self.url(name)

    def wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


@contextlib.contextmanager
def running_server(*, install: bool = False) -> Iterator[PostgresServer]:
    server = PostgresServer.start(install=install)
    try:
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.pg_server --require``: make sure the server binaries are here."""
    parser = argparse.ArgumentParser(prog="python -m tests.pg_server")
    parser.add_argument("--require", action="store_true", help="install (as root) or explain")
    args = parser.parse_args(argv)
    try:
        bin_dir = require_binaries(install=args.require)
    except RuntimeError as exc:
        print(f"make test: {exc}", file=sys.stderr)
        return 1
    print(f"PostgreSQL server binaries: {bin_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
