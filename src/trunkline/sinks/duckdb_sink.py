"""The DuckDB table destination: a run's records into a table of a DuckDB database file.

Each batch travels as one Arrow table (DuckDB reads it without copying row by row), so memory holds
one batch, plus the rows DuckDB keeps of the open transaction until a row group (122,880 rows) is
full and written to the file. Merge needs no constraint on the table: a batch updates the rows whose
key it carries (only where a value differs) and inserts the others, both in the run's transaction.
DuckDB refuses to change the type of a column covered by an index, so tables this writer creates have
none, and widening works on them. Column names are case-insensitive in DuckDB, as they are here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa

from trunkline.core.sink_config import DuckDBSinkConfig
from trunkline.sinks.columns import Kind
from trunkline.sinks.table_writer import Column, Row, TableWriter, quote_identifier

_BATCH = "trunkline_batch"
_BUFFERED_ROW_GROUPS = 1
"""Full row groups (122,880 rows each) DuckDB keeps in memory before writing them to the file while
the run's transaction is open; its default, 5, lets a long run hold about 600,000 rows in memory."""
_ARROW_TYPES = {
    Kind.BOOLEAN: pa.bool_(),
    Kind.BIGINT: pa.int64(),
    Kind.DOUBLE: pa.float64(),
    Kind.TIMESTAMPTZ: pa.timestamp("us", tz="UTC"),
    Kind.JSON: pa.string(),
    Kind.TEXT: pa.string(),
    Kind.OTHER: pa.string(),
}


class DuckDBWriter(TableWriter):
    """Writes records into ``config.table`` of the DuckDB file ``config.path`` (both created if missing)."""

    type_names: ClassVar[dict[Kind, str]] = {
        Kind.BOOLEAN: "BOOLEAN",
        Kind.BIGINT: "BIGINT",
        Kind.DOUBLE: "DOUBLE",
        Kind.TIMESTAMPTZ: "TIMESTAMPTZ",
        Kind.JSON: "JSON",
        Kind.TEXT: "VARCHAR",
    }
    kind_of_type: ClassVar[dict[str, Kind]] = {
        "boolean": Kind.BOOLEAN,
        "bigint": Kind.BIGINT,
        "double": Kind.DOUBLE,
        "timestamp with time zone": Kind.TIMESTAMPTZ,
        "json": Kind.JSON,
        "varchar": Kind.TEXT,
    }
    database_errors = (duckdb.Error,)
    case_insensitive_names = True
    default_schema = "main"
    config: DuckDBSinkConfig
    _conn: duckdb.DuckDBPyConnection | None = None

    @property
    def _table(self) -> str:
        return f"{quote_identifier(self.schema)}.{quote_identifier(self.config.table)}"

    def _sql(self, statement: str, *params: object) -> tuple[Any, ...]:
        """Run one statement; return its first row (DML returns its row count)."""
        assert self._conn is not None
        return self._conn.execute(statement, list(params)).fetchone() or ()

    def _connect(self) -> None:
        path = Path(self.config.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = duckdb.connect(str(path))
        self._conn.execute("SET TimeZone = 'UTC'")
        self._conn.execute(f"SET write_buffer_row_group_count = {_BUFFERED_ROW_GROUPS}")
        self._conn.begin()
        self._sql(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(self.schema)}")

    def _read_columns(self) -> list[tuple[str, str]] | None:
        assert self._conn is not None
        found = self._conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = current_database()"
            " AND lower(table_schema) = lower(?) AND lower(table_name) = lower(?) ORDER BY ordinal_position",
            [self.schema, self.config.table],
        ).fetchall()
        return [(name, sql_type) for name, sql_type in found] or None

    def _delete_all(self) -> int:
        return self._sql(f"DELETE FROM {self._table}")[0]

    def _create_table(self, columns: Mapping[str, Kind]) -> None:
        definitions = ", ".join(f"{quote_identifier(name)} {self.type_names[kind]}" for name, kind in columns.items())
        self._sql(f"CREATE TABLE {self._table} ({definitions})")

    def _add_column(self, name: str, kind: Kind) -> None:
        self._sql(f"ALTER TABLE {self._table} ADD COLUMN {quote_identifier(name)} {self.type_names[kind]}")

    def _alter_column(self, name: str, kind: Kind) -> None:
        self._sql(f"ALTER TABLE {self._table} ALTER COLUMN {quote_identifier(name)} TYPE {self.type_names[kind]}")

    def _over_batch(self, table: pa.Table, statement: str) -> tuple[Any, ...]:
        """Run ``statement`` with ``table`` visible to it as ``trunkline_batch``.

        The table is handed over as a stream: DuckDB copies what it reads from a stream, but keeps a
        registered Arrow *table* alive until the transaction ends, which would hold every batch of
        the run in memory.
        """
        assert self._conn is not None
        self._conn.register(_BATCH, pa.RecordBatchReader.from_batches(table.schema, table.to_batches()))
        try:
            return self._sql(statement)
        finally:
            self._conn.unregister(_BATCH)

    def _insert_columns(self, columns: list[Column], values: list[list[Any]]) -> None:
        names = ", ".join(quote_identifier(column.name) for column in columns)
        self._over_batch(_arrow_table(columns, values),
                         f"INSERT INTO {self._table} ({names}) SELECT {_selected(columns)} FROM {_BATCH} AS s")

    def _merge_rows(self, columns: list[Column], rows: list[Row], keys: list[Column]) -> tuple[int, int]:
        names = ", ".join(quote_identifier(column.name) for column in columns)
        match = " AND ".join(
            f"t.{quote_identifier(column.name)} = s.c{position}"
            for position, column in enumerate(columns) if column in keys
        )
        others = [(position, column) for position, column in enumerate(columns) if column not in keys]
        table = _arrow_table(columns, list(zip(*rows, strict=True)))
        updated = 0
        if others:
            assignments = ", ".join(f"{quote_identifier(column.name)} = s.c{position}" for position, column in others)
            differs = " OR ".join(
                f"t.{quote_identifier(column.name)} IS DISTINCT FROM s.c{position}" for position, column in others
            )
            updated = self._over_batch(
                table, f"UPDATE {self._table} AS t SET {assignments} FROM {_BATCH} AS s WHERE {match} AND ({differs})"
            )[0]
        inserted = self._over_batch(
            table, f"INSERT INTO {self._table} ({names}) SELECT {_selected(columns)} FROM {_BATCH} AS s"
                   f" WHERE NOT EXISTS (SELECT 1 FROM {self._table} AS t WHERE {match})"
        )[0]
        return inserted, updated

    def _prepare_merge(self, keys: list[Column]) -> None:
        """Nothing to do: the merge matches rows on the key's values and needs no index."""


def _arrow_table(columns: list[Column], values: Sequence[Sequence[Any]]) -> pa.Table:
    """The rows (``values`` column by column) as an Arrow table with columns ``c0``, ``c1``…"""
    return pa.table({
        f"c{position}": pa.array(column_values, type=_ARROW_TYPES[column.kind])
        for position, (column, column_values) in enumerate(zip(columns, values, strict=True))
    })


def _selected(columns: list[Column]) -> str:
    """The batch's columns in a SELECT list."""
    return ", ".join(f"s.c{position}" for position in range(len(columns)))
