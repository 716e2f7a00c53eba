"""The PostgreSQL table destination: a run's records into a table, through psycopg 3.

Append and replace stream each batch with ``COPY … FROM STDIN``. Merge copies the batch into a
temporary table, then runs one ``INSERT … ON CONFLICT (key) DO UPDATE`` that touches only rows
whose values differ. ``ON CONFLICT`` needs a unique index on exactly the key's columns: the writer
creates it with a table it creates, and refuses (a ConfigError on ``destination.key``) to merge
into an existing table that has none. Identifiers are composed with :mod:`psycopg.sql`, never
interpolated. The session's time zone is UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

import psycopg
from psycopg import errors, sql

from trunkline.core.errors import ConfigError
from trunkline.core.sink_config import PostgresSinkConfig
from trunkline.core.urls import redact_url
from trunkline.sinks.columns import BatchColumn, Kind, coerce_column
from trunkline.sinks.table_writer import Column, Row, SinkError, TableWriter

_STAGE = sql.Identifier("trunkline_stage")
_CONNECT_TIMEOUT_SECONDS = 10


class PostgresWriter(TableWriter):
    """Writes records into ``config.schema.config.table`` of the database at ``config.url``."""

    type_names: ClassVar[dict[Kind, str]] = {
        Kind.BOOLEAN: "boolean",
        Kind.BIGINT: "bigint",
        Kind.DOUBLE: "double precision",
        Kind.TIMESTAMPTZ: "timestamp with time zone",
        Kind.JSON: "jsonb",
        Kind.TEXT: "text",
    }
    kind_of_type: ClassVar[dict[str, Kind]] = {
        "boolean": Kind.BOOLEAN,
        "bigint": Kind.BIGINT,
        "double precision": Kind.DOUBLE,
        "timestamp with time zone": Kind.TIMESTAMPTZ,
        "jsonb": Kind.JSON,
        "json": Kind.JSON,
        "text": Kind.TEXT,
        "character varying": Kind.TEXT,
    }
    database_errors = (psycopg.Error,)
    conversion_errors = (errors.InvalidTextRepresentation, errors.InvalidDatetimeFormat, errors.DatetimeFieldOverflow,
                         errors.NumericValueOutOfRange, errors.StringDataRightTruncation)
    max_name_bytes = 63
    default_schema = "public"
    config: PostgresSinkConfig
    _conn: psycopg.Connection[Any] | None = None

    @property
    def _table(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.config.table)

    def _run(self, statement: sql.Composable, params: tuple[Any, ...] = ()) -> psycopg.Cursor[Any]:
        assert self._conn is not None
        return self._conn.execute(statement, params)

    def _connect(self) -> None:
        url = self.config.url.get_secret_value()
        try:
            self._conn = psycopg.connect(
                url, connect_timeout=_CONNECT_TIMEOUT_SECONDS, application_name="trunkline"
            )
        except psycopg.OperationalError as error:
            reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
            raise SinkError(
                f"cannot connect to {redact_url(url)}: {reason}",
                fix="check destination.url and that the server is running and reachable",
            ) from error
        self._run(sql.SQL("SET TIME ZONE 'UTC'"))
        if self._run(sql.SQL("SELECT 1 FROM pg_namespace WHERE nspname = %s"), (self.schema,)).fetchone() is None:
            self._run(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))

    def _read_columns(self) -> list[tuple[str, str]] | None:
        assert self._conn is not None
        regclass = self._table.as_string(self._conn)
        if self._run(sql.SQL("SELECT to_regclass(%s)"), (regclass,)).fetchone() == (None,):
            return None
        return self._run(
            sql.SQL(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position"
            ),
            (self.schema, self.config.table),
        ).fetchall()

    def _delete_all(self) -> int:
        return self._run(sql.SQL("DELETE FROM {}").format(self._table)).rowcount

    def _type(self, kind: Kind) -> sql.SQL:
        return sql.SQL(self.type_names[kind])

    def _create_table(self, columns: Mapping[str, Kind]) -> None:
        definitions = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(name), self._type(kind)) for name, kind in columns.items()
        )
        self._run(sql.SQL("CREATE TABLE {} ({})").format(self._table, definitions))

    def _add_column(self, name: str, kind: Kind) -> None:
        self._run(
            sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(self._table, sql.Identifier(name), self._type(kind))
        )

    def _alter_column(self, name: str, kind: Kind) -> None:
        column = sql.Identifier(name)
        self._run(sql.SQL("ALTER TABLE {} ALTER COLUMN {} TYPE {} USING {}::{}").format(
            self._table, column, self._type(kind), column, self._type(kind)
        ))

    def _copy(self, target: sql.Composable, columns: list[Column], rows: Iterable[Sequence[Any]]) -> None:
        """Stream ``rows`` into ``target`` with COPY (text format: the server parses each value)."""
        assert self._conn is not None
        names = sql.SQL(", ").join(sql.Identifier(column.name) for column in columns)
        with self._conn.cursor() as cursor, cursor.copy(
            sql.SQL("COPY {} ({}) FROM STDIN").format(target, names)
        ) as copy:
            for row in rows:
                copy.write_row(row)

    def _insert_batch(self, columns: list[Column], batch: list[BatchColumn]) -> None:
        values = [coerce_column(column_values, column.kind) for column, column_values in zip(columns, batch,
                                                                                             strict=True)]
        self._copy(self._table, columns, zip(*values, strict=True))

    def _prepare_merge(self, keys: list[Column]) -> None:
        assert self._conn is not None
        indexes = self._run(
            sql.SQL(
                "SELECT array_agg(a.attname::text) FROM pg_index i"
                " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
                " WHERE i.indrelid = to_regclass(%s) AND i.indisunique AND i.indisvalid"
                " AND i.indpred IS NULL AND i.indexprs IS NULL GROUP BY i.indexrelid"
            ),
            (self._table.as_string(self._conn),),
        ).fetchall()
        wanted = {column.name for column in keys}
        if any(set(columns) == wanted for (columns,) in indexes):
            return
        key_list = sql.SQL(", ").join(sql.Identifier(column.name) for column in keys)
        if self.summary.created:
            self._run(sql.SQL("CREATE UNIQUE INDEX ON {} ({})").format(self._table, key_list))
            return
        shown = f"{self._table.as_string(self._conn)} ({key_list.as_string(self._conn)})"
        raise ConfigError(
            "destination.key",
            f"has no unique index on table {self.summary.table} to merge on",
            value=", ".join(self.config.keys),
            fix=f"create one (CREATE UNIQUE INDEX ON {shown}), or use mode append or replace",
        )

    def _merge_rows(self, columns: list[Column], rows: list[Row], keys: list[Column]) -> tuple[int, int]:
        names = sql.SQL(", ").join(sql.Identifier(column.name) for column in columns)
        match = sql.SQL(" AND ").join(
            sql.SQL("t.{0} = s.{0}").format(sql.Identifier(column.name)) for column in keys
        )
        self._run(sql.SQL("CREATE TEMPORARY TABLE {} AS SELECT {} FROM {} WITH NO DATA").format(
            _STAGE, names, self._table
        ))
        self._copy(_STAGE, columns, rows)
        existing = self._run(
            sql.SQL("SELECT count(*) FROM {} AS s JOIN {} AS t ON {}").format(_STAGE, self._table, match)
        ).fetchone()[0]
        others = [column for column in columns if column not in keys]
        on_conflict = sql.SQL("DO NOTHING")
        if others:
            on_conflict = sql.SQL("DO UPDATE SET {} WHERE {}").format(
                sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c.name)) for c in others),
                sql.SQL(" OR ").join(self._differs(column) for column in others),
            )
        written = self._run(sql.SQL("INSERT INTO {} AS t ({}) SELECT {} FROM {} ON CONFLICT ({}) {}").format(
            self._table, names, names, _STAGE,
            sql.SQL(", ").join(sql.Identifier(column.name) for column in keys), on_conflict,
        )).rowcount
        self._run(sql.SQL("DROP TABLE {}").format(_STAGE))
        inserted = len(rows) - existing
        return inserted, written - inserted

    @staticmethod
    def _differs(column: Column) -> sql.Composable:
        """``t.col IS DISTINCT FROM EXCLUDED.col``; as text for JSON (``json`` has no equality) and other types."""
        template = "t.{0}::text IS DISTINCT FROM EXCLUDED.{0}::text" if column.kind in (Kind.JSON, Kind.OTHER) \
            else "t.{0} IS DISTINCT FROM EXCLUDED.{0}"
        return sql.SQL(template).format(sql.Identifier(column.name))
