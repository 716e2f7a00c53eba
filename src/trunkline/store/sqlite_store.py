"""The metadata store in SQLite: ``<home>/trunkline.db``, beside the credentials, in tables of its own.

The database runs in WAL mode (readers never block the writer) with a busy timeout, so several
processes on one machine can use it at once. Each write is its own transaction, committed with
``synchronous=FULL`` before the method returns: a ledger entry written just before a ``kill -9``
or a power cut is on disk. A flow's run lock is an OS file lock in ``<home>/locks``.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trunkline.core.errors import ConfigError
from trunkline.store.credentials import DB_FILE_NAME
from trunkline.store.run_lock import FileRunLock
from trunkline.store.sql_store import SqlStore

BUSY_TIMEOUT_SECONDS = 30.0

_VERSION_1 = (
    """CREATE TABLE flows (
        name TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        schedule TEXT,
        active INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE runs (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        flow TEXT NOT NULL REFERENCES flows (name),
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL,
        counts TEXT NOT NULL,
        error TEXT
    )""",
    "CREATE INDEX runs_by_flow ON runs (flow, started_at)",
    """CREATE TABLE flow_state (
        flow TEXT NOT NULL REFERENCES flows (name),
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (flow, key)
    )""",
    """CREATE TABLE ledger (
        flow TEXT NOT NULL REFERENCES flows (name),
        destination TEXT NOT NULL,
        record_key TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        http_status INTEGER,
        response_excerpt TEXT,
        reason TEXT,
        record TEXT,
        run_id TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (flow, destination, record_key)
    )""",
    "CREATE INDEX ledger_by_status ON ledger (flow, destination, status)",
)


class SqliteStore(SqlStore):
    """The metadata store in one SQLite database file."""

    MIGRATIONS = (_VERSION_1,)

    def __init__(self, db_path: Path) -> None:
        """Open (creating it with mode 0600 when missing) the database at ``db_path`` and its tables."""
        super().__init__()
        self.db_path = Path(db_path)
        self._run_locks: dict[str, FileRunLock] = {}
        try:
            if not self.db_path.exists():
                os.close(os.open(self.db_path, os.O_WRONLY | os.O_CREAT, 0o600))
            self._conn = sqlite3.connect(
                self.db_path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                "home",
                f"the metadata database {self.db_path} cannot be opened ({exc})",
                fix="pass --home (or set TRUNKLINE_HOME) to a directory you can write to",
            ) from None
        try:
            self._enable_wal()
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except BaseException:
            self._conn.close()
            raise

    @classmethod
    def for_home(cls, home: Path) -> SqliteStore:
        """Open the store in ``home/trunkline.db``."""
        return cls(Path(home) / DB_FILE_NAME)

    def _enable_wal(self) -> None:
        """Switch the database to WAL mode (a lasting property of the file), waiting out other processes.

        SQLite answers "database is locked" at once, without the busy timeout, when another connection
        holds a lock during the switch (two processes opening a new database together), so retry here.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if getattr(exc, "sqlite_errorname", None) != "SQLITE_BUSY" or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    def _execute(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params).fetchall()

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _is_foreign_key_violation(self, exc: Exception) -> bool:
        return getattr(exc, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_FOREIGNKEY"

    def _try_run_lock(self, flow: str) -> bool:
        """An OS file lock beside the database (``<home>/locks/<flow>.lock``): SQLite's processes share a machine."""
        lock = FileRunLock(self.db_path.parent, flow)
        if not lock.acquire():
            return False
        self._run_locks[flow] = lock
        return True

    def _release_run_lock(self, flow: str) -> None:
        lock = self._run_locks.pop(flow, None)
        if lock is not None:
            lock.release()
