"""Where ``trunkline source run`` writes: a file (JSONL, CSV, Parquet) or a table (DuckDB, PostgreSQL).

Both take whole pages of records. A file writes them record by record; a table gathers them into
batches of :data:`TABLE_BATCH` records, because each batch costs a schema check and an insert. A
source run writes either on a thread of its own (:mod:`trunkline.flows.background_output`).

The output is named by one string: a ``postgresql://`` URL is a PostgreSQL database, a path ending in
``.duckdb`` a DuckDB database (both need a table name: :func:`table_config`), any other path a file
whose suffix picks the format (:func:`file_output`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from trunkline.core.errors import ConfigError
from trunkline.core.sink_config import SinkConfig, parse_sink_config
from trunkline.core.urls import is_readable_url, redact_url
from trunkline.sinks.files import open_writer
from trunkline.sinks.table_writer import TableWriter

TABLE_BATCH = 5_000
DUCKDB_SUFFIX = ".duckdb"
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class PageOutput(Protocol):
    """Takes pages of records; ``close`` makes them final, ``abort`` leaves nothing half-written."""

    def write_page(self, records: Sequence[dict[str, Any]]) -> None:
        """Write one page's records."""

    def close(self) -> None:
        """Finish: the file is complete, or the table's transaction committed."""

    def abort(self) -> None:
        """Give up: no partial file is left, or the table is as it was."""


class FileOutput:
    """A JSONL, CSV or Parquet file (see :func:`trunkline.sinks.files.open_writer`)."""

    def __init__(self, path: Path) -> None:
        self._writer = open_writer(path)

    def write_page(self, records: Sequence[dict[str, Any]]) -> None:
        """Write the records one by one."""
        write = self._writer.write
        for record in records:
            write(record)

    def close(self) -> None:
        """Complete the file."""
        self._writer.close()

    def abort(self) -> None:
        """Remove the partial file."""
        self._writer.abort()


class TableOutput:
    """A DuckDB or PostgreSQL table, appended to in one transaction (created and widened as needed)."""

    def __init__(self, writer: TableWriter) -> None:
        self._writer = writer
        self._batch: list[dict[str, Any]] = []

    def write_page(self, records: Sequence[dict[str, Any]]) -> None:
        """Add the records to the batch; write the batch once it is full. Raises the error of a batch
        still being written if it has failed."""
        self._writer.raise_background_error()
        self._batch.extend(records)
        if len(self._batch) >= TABLE_BATCH:
            self._flush()

    def close(self) -> None:
        """Write what is left and commit."""
        self._flush()
        self._writer.close()

    def abort(self) -> None:
        """Roll the run back."""
        self._writer.abort()

    def _flush(self) -> None:
        if self._batch:
            self._writer.write_batch(self._batch)
            self._batch = []


def is_table_output(output: str | Path) -> bool:
    """Whether ``output`` names a database rather than a file."""
    text = str(output)
    return text.startswith(_POSTGRES_SCHEMES) or text.endswith(DUCKDB_SUFFIX)


def file_output(output: str | Path, *, table: str | None = None) -> FileOutput:
    """The file ``output`` names (its suffix picks the format); a ``table`` is refused, since a file has none."""
    if table is not None:
        raise ConfigError("table", "names a table, but the output is a file", value=table,
                          fix=f"write to a {DUCKDB_SUFFIX} file or a postgresql:// URL, or leave out --table")
    return FileOutput(Path(output))


def table_config(output: str | Path, table: str | None) -> SinkConfig:
    """The table destination a database output and ``table`` name (checked, nothing opened yet)."""
    if not table:
        raise ConfigError("table", "is required when the output is a database", value=None,
                          fix="add --table NAME (the table is created if it does not exist)")
    text = str(output)
    if text.startswith(_POSTGRES_SCHEMES) and not is_readable_url(text):
        raise ConfigError("output", "cannot be read as a database URL (not shown, it may hold a password)",
                          fix="write postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE (brackets around an "
                              "IPv6 host, special characters in the password percent-encoded)")
    schema, _, name = table.rpartition(".")
    where = {"table": name, **({"schema": schema} if schema else {})}
    database = {"type": "postgres", "url": text} if text.startswith(_POSTGRES_SCHEMES) else {"type": "duckdb",
                                                                                             "path": text}
    return parse_sink_config({**database, **where}, root="output")


def describe_output(output: str | Path, table: str | None = None) -> str:
    """``output`` as a run summary shows it: a PostgreSQL URL without its password, a table after ``#``."""
    text = str(output)
    if text.startswith(_POSTGRES_SCHEMES):
        text = redact_url(text)
    return f"{text}#{table}" if table else text
