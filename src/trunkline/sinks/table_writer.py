"""What the DuckDB and PostgreSQL table writers share: the run's life cycle and the table's columns.

A writer opens one connection and one transaction for the whole run. Each ``write_batch`` makes
the table fit the batch (create it, add columns, widen columns: see :mod:`trunkline.sinks.columns`),
then writes the batch's rows according to the mode:

- ``append`` inserts every record;
- ``replace`` deleted the table's rows when the writer opened, then inserts like append;
- ``merge`` upserts on the key: a record whose key is in the table updates that row (only if a value
  differs, and only the fields the record carries: a field it lacks keeps the row's value), any
  other is inserted. Within a batch, the last record of a key wins.

``close`` commits and returns a :class:`WriteSummary`; ``abort`` (or any error) rolls everything
back, so readers see the table as it was before the run or as the whole run left it, never half.
Database errors become :class:`SinkError` naming the table.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, Protocol, Self

from trunkline.core.errors import TrunklineError
from trunkline.core.schema import FieldSchema
from trunkline.core.sink_config import SinkConfig
from trunkline.sinks.columns import BatchColumn, Kind, batch_columns, coerce_column, kind_of_field_type, widened

Row = list[Any]
_RENAME_FIX = "rename the field with a rename transform in the flow"
_CONVERSION_FIX = ("a column of the existing table cannot hold the value: change the column's type "
                   "(ALTER TABLE … ALTER COLUMN … TYPE), write to a new table, or convert the field in a transform")


class SinkError(TrunklineError):
    """Writing to a table failed: the database refused a statement, or a record cannot be written."""


@dataclass
class Column:
    """One column of the target table: its name as the database spells it and its kind."""

    name: str
    kind: Kind


@dataclass
class WriteSummary:
    """What one run did to one table.

    ``records`` counts the records received; in merge mode each is ``inserted``, ``updated`` (a value
    differed), ``unchanged``, or one of the ``duplicates`` superseded by a later record of the same key
    in its batch. ``deleted`` counts the rows a replace removed.
    """

    table: str
    mode: str
    records: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    deleted: int = 0
    created: bool = False
    columns_added: list[str] = field(default_factory=list)
    columns_widened: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The record and row counts alone, for run histories and ``--json`` output."""
        return {name: getattr(self, name)
                for name in ("records", "inserted", "updated", "unchanged", "duplicates", "deleted")}


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier (embedded quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


class Connection(Protocol):
    """What the writer needs of a database connection to end a run (DuckDB's and psycopg's both have it)."""

    def commit(self) -> Any: ...

    def rollback(self) -> Any: ...

    def close(self) -> Any: ...


class TableWriter(ABC):
    """Writes a run's records into one table, batch by batch, in one transaction.

    Subclasses supply the SQL of one database; this class decides what to create, add, widen and write.
    """

    type_names: ClassVar[dict[Kind, str]]
    """The database's spelling of each kind the writer creates."""
    kind_of_type: ClassVar[dict[str, Kind]]
    """The kind of an existing column by its (lower-case) database type; any type not here is ``other``."""
    database_errors: ClassVar[tuple[type[Exception], ...]]
    conversion_errors: ClassVar[tuple[type[Exception], ...]]
    """The database's errors for a value a column cannot hold (they get a fix: see :meth:`_guard`)."""
    case_insensitive_names: ClassVar[bool] = False
    max_name_bytes: ClassVar[int | None] = None
    default_schema: ClassVar[str]
    _conn: Connection | None = None

    def __init__(self, config: SinkConfig, fields: Iterable[FieldSchema] | None = None) -> None:
        """Connect, begin the run's transaction, empty the table for ``replace``, and create or widen
        the table for the ``fields`` already known (more may come with the records)."""
        self.config = config
        self.schema = config.schema_name or self.default_schema
        self.summary = WriteSummary(table=f"{self.schema}.{config.table}", mode=config.mode)
        self._done = False
        self._columns: dict[str, Column] | None = None
        self._deferred: dict[str, None] = {}
        self._merge_ready = False
        with self._guard():
            self._connect()
            existing = self._read_columns()
            if existing is not None:
                self._columns = {
                    self._lookup(name): Column(name, self.kind_of_type.get(sql_type.lower(), Kind.OTHER))
                    for name, sql_type in existing
                }
                if config.mode == "replace":
                    self.summary.deleted = self._delete_all()
            if fields:
                self._prepare({item.name: kind_of_field_type(item.type) for item in fields})

    def write_batch(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Write one batch of records (fitting the table to them first)."""
        if self._done:
            raise ValueError(f"the writer for {self.summary.table} is already closed")
        if not records:
            return
        with self._guard():
            keys = self.config.keys
            if keys:
                self._check_keys(records, keys)
            batch = batch_columns(records)
            self._prepare({name: field.kind for name, field in batch.items()})
            present = [(name, column) for name in batch if (column := self._column(name)) is not None]
            if not present:
                raise SinkError(f"{self.summary.table}: the batch's records have no fields: there is no row to write")
            names = [name for name, _ in present]
            columns = [column for _, column in present]
            self.summary.records += len(records)
            if keys:
                values = [coerce_column(batch[name], column.kind) for name, column in present]
                rows = [list(row) for row in zip(*values, strict=True)]
                carried = [tuple(name in record for name in names) for record in records]
                self._write_merge(columns, rows, carried, [names.index(key) for key in keys])
            else:
                self._insert_batch(columns, [batch[name] for name in names])
                self.summary.inserted += len(records)

    def close(self) -> WriteSummary:
        """Add the columns of fields that were only ever null (as text), commit, and return the summary."""
        if not self._done:
            with self._guard():
                if self._columns is not None:
                    for name in self._deferred:
                        if self._column(name) is None:
                            self._add(name, Kind.TEXT)
                self._commit()
            self._done = True
        return self.summary

    def raise_background_error(self) -> None:  # noqa: B027 - a hook: writers without background work need nothing
        """Raise the error of work the writer still does in the background (a batch being inserted) if it
        has already failed, so that a caller can stop before its next batch. Writers that write every
        batch before ``write_batch`` returns have none."""

    def counts(self) -> dict[str, int]:
        """The counts of the run so far (see :meth:`WriteSummary.counts`)."""
        return self.summary.counts()

    def abort(self) -> None:
        """Roll the run back: the table is left as it was before the writer opened."""
        if self._done:
            return
        self._done = True
        with suppress(*self.database_errors):
            self._rollback()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    # -- planning -------------------------------------------------------------------------------

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Abort on any error; a database's own error becomes a SinkError naming the table."""
        try:
            yield
        except BaseException as error:
            self.abort()
            if isinstance(error, self.database_errors):
                message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                fix = _CONVERSION_FIX if isinstance(error, self.conversion_errors) else None
                raise SinkError(f"{self.summary.table}: {message}", fix=fix) from error
            raise

    def _lookup(self, name: str) -> str:
        return name.lower() if self.case_insensitive_names else name

    def _column(self, name: str) -> Column | None:
        return None if self._columns is None else self._columns.get(self._lookup(name))

    def _check_names(self, names: Iterable[str]) -> None:
        """Refuse field names that cannot be column names, or that would share one column."""
        seen: dict[str, str] = {}
        for name in names:
            if not name or "\x00" in name:
                raise SinkError(f"{self.summary.table}: a field named {name!r} cannot be a column", fix=_RENAME_FIX)
            if self.max_name_bytes is not None and len(name.encode()) > self.max_name_bytes:
                raise SinkError(
                    f"{self.summary.table}: the field name {name!r} is longer than {self.max_name_bytes} bytes, "
                    "the longest column name the database keeps", fix=_RENAME_FIX,
                )
            other = seen.setdefault(self._lookup(name), name)
            if other != name:
                raise SinkError(
                    f"{self.summary.table}: fields {other!r} and {name!r} would be the same column "
                    "(the database's names ignore case)", fix=_RENAME_FIX,
                )

    def _check_keys(self, records: Sequence[Mapping[str, Any]], keys: list[str]) -> None:
        """In merge mode every record must carry a value for every key field."""
        for index, record in enumerate(records, start=self.summary.records + 1):
            for key in keys:
                if record.get(key) is None:
                    raise SinkError(
                        f"{self.summary.table}: record {index} of the run has no value for the key field {key!r}",
                        fix="filter out records without a key, or choose another destination.key",
                    )

    def _prepare(self, kinds: Mapping[str, Kind | None]) -> None:
        """Make the table hold the fields of ``kinds``: create it, add missing columns, widen others."""
        self._check_names(kinds)
        if self._columns is None:
            if not kinds:
                return
            typed = {name: kind for name, kind in kinds.items() if kind is not None}
            typed = typed or dict.fromkeys(kinds, Kind.TEXT)
            self._create_table(typed)
            self._columns = {self._lookup(name): Column(name, kind) for name, kind in typed.items()}
            self.summary.created = True
        for name, kind in kinds.items():
            column = self._column(name)
            if column is None:
                if kind is None:
                    self._deferred[name] = None
                else:
                    self._add(name, kind)
            elif kind is not None and (wider := widened(column.kind, kind)) is not None:
                self._alter_column(column.name, wider)
                self.summary.columns_widened.append(
                    f"{column.name}: {self.type_names[column.kind]} → {self.type_names[wider]}"
                )
                column.kind = wider

    def _add(self, name: str, kind: Kind) -> None:
        assert self._columns is not None
        self._add_column(name, kind)
        self._columns[self._lookup(name)] = Column(name, kind)
        self.summary.columns_added.append(name)

    def _write_merge(
        self, columns: list[Column], rows: list[Row], carried: list[tuple[bool, ...]], key_positions: list[int]
    ) -> None:
        """Upsert ``rows`` and count what happened to them.

        The last row of a key wins. A row updates only the columns its record carried (``carried``
        flags each column), so rows are merged in groups of the same carried columns.
        """
        latest: dict[tuple[Any, ...], tuple[Row, tuple[bool, ...]]] = {}
        for row, flags in zip(rows, carried, strict=True):
            latest[tuple(row[position] for position in key_positions)] = (row, flags)
        self.summary.duplicates += len(rows) - len(latest)
        keys = [columns[position] for position in key_positions]
        if not self._merge_ready:
            self._prepare_merge(keys)
            self._merge_ready = True
        groups: dict[tuple[bool, ...], list[Row]] = {}
        for row, flags in latest.values():
            groups.setdefault(flags, []).append(row)
        for flags, group in groups.items():
            positions = [position for position, flag in enumerate(flags) if flag]
            inserted, updated = self._merge_rows(
                [columns[position] for position in positions],
                [[row[position] for position in positions] for row in group],
                keys,
            )
            self.summary.inserted += inserted
            self.summary.updated += updated
            self.summary.unchanged += len(group) - inserted - updated

    # -- the SQL of one database ----------------------------------------------------------------

    @abstractmethod
    def _connect(self) -> None:
        """Open the connection, begin the run's transaction, create the schema if it is missing."""

    @abstractmethod
    def _read_columns(self) -> list[tuple[str, str]] | None:
        """The table's columns as (name, database type), in order; ``None`` if there is no such table."""

    @abstractmethod
    def _delete_all(self) -> int:
        """Delete every row of the table; return how many there were."""

    @abstractmethod
    def _create_table(self, columns: Mapping[str, Kind]) -> None:
        """Create the table with these columns."""

    @abstractmethod
    def _add_column(self, name: str, kind: Kind) -> None:
        """Add a column (null in the rows already there)."""

    @abstractmethod
    def _alter_column(self, name: str, kind: Kind) -> None:
        """Change a column's type to ``kind``, converting the values already there."""

    @abstractmethod
    def _insert_batch(self, columns: list[Column], batch: list[BatchColumn]) -> None:
        """Insert a batch's rows: ``batch`` holds the values of each of ``columns``, in order, as found in
        the records, to be converted for the column they land in (see
        :func:`~trunkline.sinks.columns.coerce_column`; a writer may leave some conversions to its database)."""

    @abstractmethod
    def _prepare_merge(self, keys: list[Column]) -> None:
        """Get the table ready for upserts on ``keys`` (once per run, before the first merge)."""

    @abstractmethod
    def _merge_rows(self, columns: list[Column], rows: list[Row], keys: list[Column]) -> tuple[int, int]:
        """Upsert ``rows`` (one per key); return (inserted, updated)."""

    def _commit(self) -> None:
        """Commit the run's transaction and close the connection."""
        assert self._conn is not None
        try:
            self._conn.commit()
        finally:
            self._conn.close()

    def _rollback(self) -> None:
        """Roll the run's transaction back and close the connection (it may be half open)."""
        if self._conn is None:
            return
        try:
            self._conn.rollback()
        finally:
            self._conn.close()
