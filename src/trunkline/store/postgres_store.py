"""The metadata store in PostgreSQL, shared by every process (and machine) given the same URL.

``TRUNKLINE_STORE=postgresql://USER@HOST:PORT/DATABASE?schema=NAME`` selects it. ``schema`` (default
``trunkline``) is the PostgreSQL schema that holds the tables; it is created on first use and the
connection's ``search_path`` points at it, so teams, environments or tests can share one database.
Every other query parameter goes to libpq as it is.

Counts and state are ``JSONB``; ledger records are ``JSON``, which keeps their text (and so their key
order) exactly as written, for dead-letter replay. Each write is one auto-committed statement (upserts
use ``ON CONFLICT``); schema changes run in a transaction that holds an advisory lock, so processes
starting together do not race to create the schema and its tables. A flow's run lock is a session-level
advisory lock keyed by schema and flow, which the server releases when the session ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.types.string import TextLoader

from trunkline.core.errors import ConfigError
from trunkline.core.urls import redact_url
from trunkline.store.metadata import STORE_ENV
from trunkline.store.run_lock import advisory_key
from trunkline.store.sql_store import SqlStore

DEFAULT_SCHEMA = "trunkline"
CONNECT_TIMEOUT_SECONDS = 10
MIGRATION_LOCK = 0x7472756E6B6C696E  # "trunklin": the advisory lock held while the schema changes
#: Server-side TCP keepalives of the store's session (seconds, probes): the session of a client machine
#: that vanished without closing its connection ends within about a minute, and with it its run locks.
KEEPALIVES = {"tcp_keepalives_idle": "30", "tcp_keepalives_interval": "10", "tcp_keepalives_count": "3"}

_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_VERSION_1 = (
    """CREATE TABLE flows (
        name TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        schedule TEXT,
        active BOOLEAN NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE runs (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        flow TEXT NOT NULL REFERENCES flows (name),
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL,
        counts JSONB NOT NULL,
        error TEXT
    )""",
    "CREATE INDEX runs_by_flow ON runs (flow, started_at)",
    """CREATE TABLE flow_state (
        flow TEXT NOT NULL REFERENCES flows (name),
        key TEXT NOT NULL,
        value JSONB NOT NULL,
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
        record JSON,
        run_id TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (flow, destination, record_key)
    )""",
    "CREATE INDEX ledger_by_status ON ledger (flow, destination, status)",
)


class PostgresStore(SqlStore):
    """The metadata store in one schema of a PostgreSQL database."""

    MIGRATIONS = (_VERSION_1,)

    def __init__(self, connection: psycopg.Connection[Any], schema: str) -> None:
        """Use ``connection`` (in autocommit mode) with its tables in ``schema``, creating them when missing."""
        super().__init__()
        self.schema = schema
        self._conn = connection
        for json_type in ("json", "jsonb"):  # JSON comes back as text, as from SQLite
            self._conn.adapters.register_loader(json_type, TextLoader)
        self._conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        for setting, value in KEEPALIVES.items():  # a vanished client's session (and run locks) ends soon
            self._conn.execute(sql.SQL("SET {} = {}").format(sql.Identifier(setting), sql.Literal(value)))
        self._migrate()

    @classmethod
    def connect(cls, url: str) -> PostgresStore:
        """Connect to the database of a ``postgresql://`` URL and open the store in its ``schema``."""
        conninfo, schema = split_url(url)
        try:
            connection = psycopg.connect(conninfo, autocommit=True)
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split())
            raise ConfigError(
                STORE_ENV,
                f"cannot connect to PostgreSQL ({reason})",
                value=redact_url(url),
                fix="start the server or correct the URL (postgresql://USER@HOST:PORT/DATABASE)",
            ) from None
        try:
            return cls(connection, schema)
        except BaseException:
            connection.close()
            raise

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    def _execute(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        cursor = self._conn.execute(statement.replace("?", "%s"), params)
        return cursor.fetchall() if cursor.description is not None else []

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        with self._conn.transaction():
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            self._conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
            yield

    def _is_foreign_key_violation(self, exc: Exception) -> bool:
        return isinstance(exc, psycopg.errors.ForeignKeyViolation)

    def _try_run_lock(self, flow: str) -> bool:
        """A session-level advisory lock: the server releases it when this connection's session ends."""
        return bool(self._one("SELECT pg_try_advisory_lock(?)", (advisory_key(self.schema, flow),))[0])

    def _release_run_lock(self, flow: str) -> None:
        with suppress(psycopg.Error):  # a connection that broke took its session, and the lock, with it
            self._rows("SELECT pg_advisory_unlock(?)", (advisory_key(self.schema, flow),))


def split_url(url: str) -> tuple[str, str]:
    """Split a store URL into the libpq connection URL and the schema named by its ``schema`` parameter.

    A ``connect_timeout`` of 10 seconds is added when the URL sets none.
    """
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [value for key, value in params if key == "schema"]
    schema = schemas[-1] if schemas else DEFAULT_SCHEMA
    if not _SCHEMA_NAME.fullmatch(schema):
        raise ConfigError(
            f"{STORE_ENV} schema",
            "must be a letter or '_' followed by up to 62 letters, digits or '_'",
            value=schema,
            fix=f"use a schema name such as {DEFAULT_SCHEMA!r}",
        )
    rest = [(key, value) for key, value in params if key != "schema"]
    if not any(key == "connect_timeout" for key, _ in rest):
        rest.append(("connect_timeout", str(CONNECT_TIMEOUT_SECONDS)))
    return urlunsplit(parts._replace(query=urlencode(rest, quote_via=quote))), schema
