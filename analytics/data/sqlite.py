"""One SQLite file shared by threads and processes: the plumbing under both stores.

The market cache (:mod:`analytics.data.cache`) and the SQLite server store
(:mod:`analytics.server.sqlite_store`) are each one :class:`SQLiteFile`. What it gives them:

* **One connection per thread.** sqlite3 connections are not shared across threads; each
  thread opens its own on first use and :meth:`SQLiteFile.close` closes them all.
* **WAL and a busy timeout.** Readers proceed while one writer writes, and writers wait for
  each other instead of failing with "database is locked".
* **Write transactions that take the lock up front** (``BEGIN IMMEDIATE``), so two writers
  queue on the busy timeout instead of one failing half-way with SQLITE_BUSY when its read
  lock would have to be upgraded. This is hand-written SQL on purpose: sqlite-utils'
  ``atomic()`` starts a plain deferred ``BEGIN``.
* **A file kind and a schema version in the header** (``PRAGMA application_id`` and
  ``PRAGMA user_version``), so a file of one kind is never mistaken for the other and each
  kind runs its own list of migrations exactly once.
* **Rows by column name**: every connection's rows are ``sqlite3.Row`` (``row["day"]``), so
  no code reads a column by its position; :attr:`SQLiteFile.db` is a sqlite-utils view of
  the thread's connection for inserting and upserting dicts.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 30_000


class StoreFileError(RuntimeError):
    """A file that is not of the kind (or version) expected at this path."""


class SQLiteFile:
    """One SQLite file; thread-safe by giving each thread its own connection.

    ``application_id`` names the file's kind in its header. ``migrations`` are applied in
    order, each once, by :meth:`migrate`; ``adopt`` (optional) is asked about a file that
    has tables but no kind yet and returns the version it already amounts to (or raises).
    """

    #: The kind written into a new file's header; subclasses set their own.
    application_id = 0

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all_conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._watcher: sqlite3.Connection | None = None
        self._watcher_lock = threading.Lock()

    # -- connections -------------------------------------------------------------------
    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise RuntimeError(f"{self.path.name} is closed")
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            # Rows are read by column name (row["day"]), never by position.
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _enable_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
            with self._lock:
                self._all_conns.append(conn)
        return conn

    @property
    def db(self) -> sqlite_utils.Database:
        """A sqlite-utils view of this thread's connection (inserts of dicts, rows as dicts).

        Inside :meth:`transaction` its writes join the open transaction: sqlite-utils
        nests a savepoint rather than committing. Imported here, not at the top: it imports
        pandas when it can (0.4 s and 35 MB), which neither the bot's start nor a chart
        worker needs, so reads never go through it.
        """
        import sqlite_utils

        db = getattr(self._local, "db", None)
        if db is None or db.conn is not self.connection():
            db = sqlite_utils.Database(self.connection(), execute_plugins=False)
            self._local.db = db
        return db

    def transaction(self) -> Scope:
        """``with file.transaction() as conn:`` — BEGIN IMMEDIATE ... COMMIT/ROLLBACK.

        A transaction opened inside another joins it (the outer one commits).
        """
        return Scope(self.connection(), "BEGIN IMMEDIATE")

    def snapshot(self) -> Scope:
        """``with file.snapshot() as conn:`` — several reads that see one state of the file.

        Each statement on its own sees the file as it was when it began; reads that must
        agree with each other (the first and last bar of a range and whether any has an
        adjusted close) could otherwise straddle another thread's write. A deferred BEGIN
        takes no write lock: in WAL mode writers go on meanwhile. Inside an open transaction
        the reads simply join it.
        """
        return Scope(self.connection(), "BEGIN DEFERRED")

    def version(self) -> int:
        """A number that changes whenever any other connection commits to the file (this
        process's threads, another process): ``PRAGMA data_version`` of a connection of its
        own that never writes. Memos of what was read compare it (``ClosesMemo``)."""
        with self._watcher_lock:
            if self._watcher is None:
                if self._closed:
                    raise RuntimeError(f"{self.path.name} is closed")
                self._watcher = sqlite3.connect(
                    self.path,
                    timeout=BUSY_TIMEOUT_MS / 1000,
                    isolation_level=None,
                    check_same_thread=False,
                )
                self._watcher.row_factory = sqlite3.Row
            return _pragma(self._watcher, "data_version")

    def close(self) -> None:
        with self._watcher_lock:
            if self._watcher is not None:
                self._watcher.close()
                self._watcher = None
        with self._lock:
            self._closed = True
            for conn in self._all_conns:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._all_conns.clear()
        self._local = threading.local()

    # -- kind and version -----------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return _pragma(self.connection(), "user_version")

    def migrate(
        self,
        migrations: Sequence[str],
        adopt: Callable[[sqlite3.Connection], int] | None = None,
    ) -> None:
        """Bring the file to ``len(migrations)``, in one write transaction.

        A new, empty file gets this class's ``application_id``. A file with another kind is
        refused; a file with tables but no kind is refused unless ``adopt`` recognises it.
        Everything is read inside the write lock, so two processes opening one file at once
        migrate it once.
        """
        conn = self.connection()
        with self.transaction():
            kind = _pragma(conn, "application_id")
            version = _pragma(conn, "user_version")
            if kind not in (0, self.application_id):
                raise StoreFileError(f"{self.path} is {describe_kind(kind)}, not {self.kind_name}")
            if kind == 0:
                has_tables = conn.execute(
                    "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'"
                ).fetchone()["n"]
                if has_tables:
                    if adopt is None:
                        raise StoreFileError(
                            f"{self.path} is not {self.kind_name} (it holds other tables)"
                        )
                    version = adopt(conn)
                else:
                    version = 0
                conn.execute(f"PRAGMA application_id = {int(self.application_id)}")
                conn.execute(f"PRAGMA user_version = {int(version)}")
            if version > len(migrations):
                raise StoreFileError(
                    f"{self.path} was written by a newer marketbot (schema {version}, "
                    f"this one knows {len(migrations)})"
                )
            for number, script in enumerate(migrations, start=1):
                if number <= version:
                    continue
                for statement in split_sql(script):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")

    @property
    def kind_name(self) -> str:
        return describe_kind(self.application_id)


#: The kinds of file marketbot writes, by ``PRAGMA application_id`` (ASCII in the header).
MARKET_CACHE_ID = 0x4D42_4D43  # "MBMC"
SERVER_STORE_ID = 0x4D42_5344  # "MBSD"
_KIND_NAMES = {
    MARKET_CACHE_ID: "the market cache (MARKETBOT_CACHE)",
    SERVER_STORE_ID: "the server store (MARKETBOT_DB)",
}


def describe_kind(application_id: int) -> str:
    return _KIND_NAMES.get(
        application_id, f"not a marketbot file (application id {application_id})"
    )


class Scope:
    """``BEGIN <how>`` on entry; COMMIT on a clean exit, ROLLBACK on an exception. Opened
    inside another transaction it joins that one (the outer scope ends it). One class for
    writes (``BEGIN IMMEDIATE``) and read snapshots (``BEGIN DEFERRED``: ending a read with
    either statement changes nothing)."""

    def __init__(self, conn: sqlite3.Connection, begin: str) -> None:
        self.conn = conn
        self.begin = begin
        self._nested = False

    def __enter__(self) -> sqlite3.Connection:
        self._nested = self.conn.in_transaction
        if not self._nested:
            self.conn.execute(self.begin)
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if not self._nested:
            self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _pragma(conn: sqlite3.Connection, name: str) -> int:
    """A header value; the PRAGMA's one column is named after it."""
    return int(conn.execute(f"PRAGMA {name}").fetchone()[name])


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL, waiting for other processes.

    Why a loop: changing the journal mode of a brand-new file needs an exclusive lock and
    SQLite does not apply the busy timeout to it, so two processes opening one new database
    at the same moment (two bots started together) got "database is locked" at once.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def split_sql(script: str) -> list[str]:
    """The statements of a migration script.

    A ";" inside a comment or a string literal does not end a statement: pieces are joined
    until SQLite itself says the statement is complete. A trailing comment is dropped.
    """
    statements: list[str] = []
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                statements.append(buffer.strip())
            buffer = ""
    return statements
