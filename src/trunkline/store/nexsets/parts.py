"""The part files of one nexset: append-only Parquet files, each either complete or invisible.

A part lives at ``<nexset>/parts/<UTC time>-<random>.parquet`` (names sort in write order). It is written
to a hidden ``.<name>.tmp`` file in the same directory, flushed to disk and renamed onto its final name, so
a reader never sees half a part: a writer killed mid-write leaves only the hidden file, which readers
ignore and :func:`sweep_temporary` removes later. Each row holds the record's own fields, then the
lineage columns; the file's metadata holds the run id, the source and the time the part was written.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from trunkline.core.errors import ConfigError
from trunkline.store.nexsets.columns import decode_rows, json_columns, to_column

LINEAGE_COLUMNS = ("_run_id", "_source", "_fetched_at")
PARTS_DIR = "parts"

_RUN_KEY, _SOURCE_KEY, _WRITTEN_KEY = b"trunkline.run_id", b"trunkline.source", b"trunkline.written_at"
_READ_BATCH = 10_000


@dataclass(frozen=True)
class Part:
    """One complete part file: where it is, which run and source wrote it, when, and its size."""

    path: Path
    run_id: str
    source: str
    written_at: datetime
    rows: int
    bytes: int


def fetched_at_now() -> str:
    """The current time as the ``_fetched_at`` lineage value: ISO 8601, UTC, milliseconds, ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_part(
    directory: Path, records: list[Mapping[str, Any]], fetched_at: list[str], *, run_id: str, source: str
) -> Part:
    """Write ``records`` (with their ``fetched_at`` times) as one new part of the nexset at ``directory``."""
    written_at = datetime.now(UTC)
    table = _table(records, fetched_at, run_id=run_id, source=source, written_at=written_at)
    parts = directory / PARTS_DIR
    parts.mkdir(parents=True, exist_ok=True)
    final = parts / f"{written_at:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:12]}.parquet"
    temporary = parts / f".{final.name}.tmp"
    try:
        pq.write_table(table, str(temporary))
        _fsync(temporary)
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync(parts)
    return Part(final, run_id, source, written_at, len(records), final.stat().st_size)


def list_parts(directory: Path) -> list[Part]:
    """The complete parts of the nexset at ``directory``, oldest first."""
    parts = []
    for path in sorted((directory / PARTS_DIR).glob("*.parquet")):
        metadata = pq.read_metadata(path)
        tags = metadata.metadata or {}
        parts.append(Part(
            path=path,
            run_id=tags.get(_RUN_KEY, b"").decode(),
            source=tags.get(_SOURCE_KEY, b"").decode(),
            written_at=datetime.fromisoformat(tags[_WRITTEN_KEY].decode()),
            rows=metadata.num_rows,
            bytes=path.stat().st_size,
        ))
    return parts


def read_part(part: Part, *, lineage: bool, skip: int = 0) -> Iterator[dict[str, Any]]:
    """The records of ``part`` in write order, after the first ``skip``; lineage columns only if asked."""
    file = pq.ParquetFile(part.path)
    schema = file.schema_arrow
    columns = None if lineage else [name for name in schema.names if name not in LINEAGE_COLUMNS]
    encoded = json_columns(schema)
    for batch in file.iter_batches(batch_size=_READ_BATCH, columns=columns):
        if skip >= batch.num_rows:
            skip -= batch.num_rows
            continue
        yield from decode_rows(batch.slice(skip).to_pylist(), encoded)
        skip = 0


def sweep_temporary(directory: Path, *, older_than: float) -> int:
    """Remove hidden temporary files left by writers that died more than ``older_than`` seconds ago.

    A live writer's temporary file exists only while one part is written (seconds at most), so an old
    one can only belong to a writer that was killed. Returns how many were removed.
    """
    cutoff = time.time() - older_than
    removed = 0
    for path in (directory / PARTS_DIR).glob(".*.tmp"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another writer swept it first
            continue
    return removed


def _table(
    records: list[Mapping[str, Any]], fetched_at: list[str], *, run_id: str, source: str, written_at: datetime
) -> pa.Table:
    """The Arrow table of one part: every field seen (first-seen order), then the lineage columns."""
    names = list(dict.fromkeys(key for record in records for key in record))
    reserved = [name for name in names if name in LINEAGE_COLUMNS]
    if reserved:
        raise ConfigError(
            "nexset.record",
            f"has a field named {reserved[0]!r}, a name the nexset keeps for lineage",
            fix="rename or exclude the field in the flow's transforms (lineage columns are "
            + ", ".join(LINEAGE_COLUMNS) + ")",
        )
    fields, arrays = [], []
    for name in names:
        field, array = to_column(name, [record.get(name) for record in records])
        fields.append(field)
        arrays.append(array)
    count = len(records)
    for name, values in (("_run_id", [run_id] * count), ("_source", [source] * count), ("_fetched_at", fetched_at)):
        fields.append(pa.field(name, pa.string(), nullable=False))
        arrays.append(pa.array(values, pa.string()))
    metadata = {_RUN_KEY: run_id.encode(), _SOURCE_KEY: source.encode(), _WRITTEN_KEY: written_at.isoformat().encode()}
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=metadata))


def _fsync(path: Path) -> None:
    """Flush a file's or a directory's data to disk, so a rename never outlives the data it names."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
