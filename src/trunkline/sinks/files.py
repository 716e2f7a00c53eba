"""Streaming record writers for files: JSON Lines, CSV and Parquet (the ``--output`` of a run).

Every writer keeps memory flat whatever the number of records, and writes to a hidden temporary
file beside the target that is renamed onto the target only by :meth:`close`: an interrupted run
never leaves a half-written file under the final name. Used as a context manager, a writer is
closed when the block ends normally and discarded (temporary files removed, target untouched)
when it raises.

Values that JSON cannot hold natively are converted on the way: dates and times become ISO 8601
strings, ``Decimal`` and ``UUID`` become strings.

- JSONL: one JSON object per line, UTF-8, written as records arrive.
- CSV: the columns are every top-level key seen, in first-seen order. As the full set is only known
  at the end, records are spooled to a temporary JSONL file and the CSV is written in one pass at
  close. Nested values (mappings, lists) are JSON-encoded, booleans are ``true``/``false``, ``None``
  is an empty cell. Zero records give an empty file (no header).
- Parquet: records are spooled likewise while each column's type is tracked: integer, float,
  boolean or string. Integers mixed with floats make a float column; any other mix, nested values
  and integers beyond 64 bits make a string column (non-string values JSON-encoded); a column that
  only ever held ``None`` is a string column. Row groups hold up to 10,000 records. Zero records
  give a valid Parquet file with no columns.
"""

from __future__ import annotations

import csv
import json
import math
import os
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol, Self

import pyarrow as pa
import pyarrow.parquet as pq

from trunkline.core.errors import ConfigError
from trunkline.core.json_text import json_encoder

ROW_GROUP_SIZE = 10_000
_BUFFER_BYTES = 1 << 20
_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_ARROW_TYPES = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "string": pa.string()}


class RecordWriter(Protocol):
    """What every writer offers: ``write`` records, then ``close`` (or ``abort``); ``count`` so far."""

    count: int

    def write(self, record: dict[str, Any]) -> None:
        """Append one record."""

    def close(self) -> None:
        """Finish the file and move it onto the target path."""

    def abort(self) -> None:
        """Discard everything written; the target path is left untouched."""

    def __enter__(self) -> Self:
        """Return the writer itself."""

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Close on success, abort on error."""


def open_writer(path: Path, format: str | None = None) -> RecordWriter:
    """Open a writer for ``path``; the format is ``format`` or else inferred from the file suffix.

    Formats: ``jsonl`` (also ``ndjson``), ``csv`` and ``parquet``. Missing parent directories are created.
    """
    path = Path(path)
    chosen = (format or "").lower() or _FORMATS.get(path.suffix.lower())
    chosen = "jsonl" if chosen == "ndjson" else chosen
    writers = {"jsonl": JsonlRecordWriter, "csv": CsvRecordWriter, "parquet": ParquetRecordWriter}
    if chosen not in writers:
        raise ConfigError(
            "output",
            "has an unknown file format",
            value=format or str(path),
            fix="use .jsonl, .csv or .parquet",
        )
    return writers[chosen](path)


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"a record value of type {type(value).__name__} cannot be written as JSON")


_to_json = json_encoder(_json_default)


def _as_text(value: Any) -> str:
    """A non-null value as text: strings as they are, anything else as JSON (``true``, ``1.5``, ``{...}``)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is bool:
        return "true" if value else "false"
    if kind is int or (kind is float and math.isfinite(value)):
        return repr(value)
    return _to_json(value)


class _FileWriter:
    """Shared life cycle: a hidden temporary file beside the target, renamed onto it at close."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._done = False
        path.parent.mkdir(parents=True, exist_ok=True)
        self._part = self._sibling("part")

    def _sibling(self, kind: str) -> Path:
        """A new, unique hidden file beside the target (created empty, mode as the umask allows)."""
        sibling = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:12]}.{kind}")
        sibling.touch(exist_ok=False)
        return sibling

    def write(self, record: dict[str, Any]) -> None:
        """Append one record."""
        if self._done:
            raise ValueError(f"the writer for {self.path} is already closed")
        self._write(record)
        self.count += 1

    def close(self) -> None:
        """Finish the file and rename it onto the target path. Closing twice is harmless."""
        if self._done:
            return
        try:
            self._finish()
            os.replace(self._part, self.path)
        except BaseException:
            self.abort()
            raise
        self._done = True
        self._cleanup()

    def abort(self) -> None:
        """Discard everything written: remove the temporary files, leave the target untouched."""
        self._done = True
        self._cleanup()
        self._part.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _write(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError

    def _cleanup(self) -> None:
        """Release open handles and remove spool files (the part file is handled by the caller)."""
        raise NotImplementedError


class JsonlRecordWriter(_FileWriter):
    """Writes one JSON object per line as records arrive."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._out: IO[str] = open(self._part, "w", encoding="utf-8", newline="\n", buffering=_BUFFER_BYTES)  # noqa: SIM115

    def _write(self, record: dict[str, Any]) -> None:
        self._out.write(_to_json(record) + "\n")

    def _finish(self) -> None:
        self._out.close()

    def _cleanup(self) -> None:
        self._out.close()


class _SpoolingWriter(_FileWriter):
    """Spools records to a temporary JSONL file; subclasses turn the spool into the target at close."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._spool_path = self._sibling("spool")
        self._spool: IO[str] = open(  # noqa: SIM115
            self._spool_path, "w", encoding="utf-8", newline="\n", buffering=_BUFFER_BYTES
        )

    def _write(self, record: dict[str, Any]) -> None:
        line = _to_json(record)
        self._observe(record)
        self._spool.write(line + "\n")

    def _observe(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def _spooled(self) -> Iterator[dict[str, Any]]:
        self._spool.close()
        with open(self._spool_path, encoding="utf-8") as spool:
            for line in spool:
                yield json.loads(line)

    def _cleanup(self) -> None:
        self._spool.close()
        self._spool_path.unlink(missing_ok=True)


class CsvRecordWriter(_SpoolingWriter):
    """Writes a CSV whose columns are all the top-level keys seen, in first-seen order."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._columns: dict[str, None] = {}

    def _observe(self, record: dict[str, Any]) -> None:
        self._columns.update(dict.fromkeys(record))

    def _finish(self) -> None:
        columns = list(self._columns)
        with open(self._part, "w", encoding="utf-8", newline="", buffering=_BUFFER_BYTES) as out:
            if not columns:
                return
            writer = csv.writer(out)
            writer.writerow(columns)
            for record in self._spooled():
                writer.writerow(
                    ["" if (value := record.get(column)) is None else _as_text(value) for column in columns]
                )


_KIND_OF_TYPE: dict[type, str | None] = {type(None): None, bool: "bool", float: "float"}


def _kind(value: Any) -> str | None:
    """The column kind a single record value asks for; None for a null value.

    Anything but a null, boolean, 64-bit integer or float is written as text (dates as ISO strings,
    mappings and lists as JSON), hence a string column.
    """
    kind = type(value)
    if kind is int:
        return "int" if _INT64_MIN <= value <= _INT64_MAX else "string"
    return _KIND_OF_TYPE.get(kind, "string")


def _merge(current: str | None, new: str | None) -> str | None:
    """The kind of a column that held values of kind ``current`` and now one of kind ``new``."""
    if current is None or current == new:
        return new
    if new is None:
        return current
    if {current, new} == {"int", "float"}:
        return "float"
    return "string"


class ParquetRecordWriter(_SpoolingWriter):
    """Writes a Parquet file whose column types are inferred from every record seen."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._kinds: dict[str, str | None] = {}

    def _observe(self, record: dict[str, Any]) -> None:
        kinds = self._kinds
        for key, value in record.items():
            kind = _kind(value)
            if key not in kinds:
                kinds[key] = kind
            elif kinds[key] != kind:
                kinds[key] = _merge(kinds[key], kind)

    def _finish(self) -> None:
        kinds = {column: kind or "string" for column, kind in self._kinds.items()}
        schema = pa.schema([(column, _ARROW_TYPES[kind]) for column, kind in kinds.items()])
        with pq.ParquetWriter(self._part, schema) as writer:
            batch: list[dict[str, Any]] = []
            for record in self._spooled():
                batch.append(record)
                if len(batch) == ROW_GROUP_SIZE:
                    writer.write_table(_table(batch, kinds, schema))
                    batch.clear()
            if batch:
                writer.write_table(_table(batch, kinds, schema))


def _table(records: list[dict[str, Any]], kinds: dict[str, str], schema: pa.Schema) -> pa.Table:
    """One row group's worth of records as a table of ``schema``."""
    columns = []
    for column, kind in kinds.items():
        values = [record.get(column) for record in records]
        if kind == "float":
            values = [None if value is None else float(value) for value in values]
        elif kind == "string":
            values = [None if value is None else _as_text(value) for value in values]
        columns.append(pa.array(values, type=schema.field(column).type))
    return pa.Table.from_arrays(columns, schema=schema)
