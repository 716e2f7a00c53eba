"""The nexset store: named, durable datasets under ``<home>/nexsets/<name>/``."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

from trunkline.core.errors import ConfigError
from trunkline.core.schema import SchemaBuilder
from trunkline.sinks.files import open_writer
from trunkline.store.nexsets.drift import SchemaChanges
from trunkline.store.nexsets.history import NexsetSchema, load_schema, record_run
from trunkline.store.nexsets.names import check_nexset_name, is_nexset_name
from trunkline.store.nexsets.parts import Part, fetched_at_now, list_parts, read_part, sweep_temporary, write_part
from trunkline.store.nexsets.results import AppendResult, ExportResult, NexsetInfo

NEXSETS_DIR = "nexsets"
PART_ROWS = 10_000
#: A temporary part file this old belongs to a writer that died (writing one part takes seconds).
STALE_TEMPORARY_SECONDS = 600


class NexsetStore:
    """Appends to, reads, describes, exports and deletes the nexsets of one home directory.

    ``part_rows`` bounds how many records one part file (and the memory of an append) holds.
    """

    def __init__(self, home: Path, *, part_rows: int = PART_ROWS) -> None:
        if part_rows < 1:
            raise ValueError("part_rows must be at least 1")
        self.root = Path(home) / NEXSETS_DIR
        self.part_rows = part_rows

    def append(
        self, name: str, records: Iterable[Mapping[str, Any]], *, run_id: str, source: str
    ) -> AppendResult:
        """Append ``records`` to the nexset ``name`` (created if new), streaming in parts of ``part_rows``.

        Each record is stored with lineage: ``run_id``, ``source`` and the time it reached the nexset.
        The run's schema is compared with the stored one and the changes are reported, never raised.
        Parts completed before an error (in ``records`` or in writing) stay in the nexset, and their
        fields join the stored schema.
        """
        check_nexset_name(name)
        if not run_id:
            raise ConfigError("nexset.run_id", "is empty", fix="give every run a non-empty id")
        directory = self.root / name
        created = not directory.is_dir()
        directory.mkdir(parents=True, exist_ok=True)
        sweep_temporary(directory, older_than=STALE_TEMPORARY_SECONDS)
        builder = SchemaBuilder()
        written: list[Part] = []
        try:
            for batch, fetched_at in _batches(records, self.part_rows):
                written.append(write_part(directory, batch, fetched_at, run_id=run_id, source=source))
                for record in batch:
                    builder.add(record)
        except BaseException:
            if written:
                record_run(directory, builder.fields(), run_id=run_id)
            raise
        if written:
            changes, version = record_run(directory, builder.fields(), run_id=run_id)
        else:
            changes, version = SchemaChanges(), load_schema(directory).version
        return AppendResult(
            nexset=name, run_id=run_id, records=sum(part.rows for part in written), parts=len(written),
            bytes=sum(part.bytes for part in written), created=created, schema_version=version,
            schema_changes=changes,
        )

    def names(self) -> list[str]:
        """The names of every nexset, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(path.name for path in self.root.iterdir() if path.is_dir() and is_nexset_name(path.name))

    def info(self, name: str) -> NexsetInfo:
        """The figures of the nexset ``name``: records, parts, runs, first and last write, size."""
        directory = self._existing(name)
        parts = list_parts(directory)
        return NexsetInfo(
            name=name,
            path=directory,
            records=sum(part.rows for part in parts),
            parts=len(parts),
            runs=len({part.run_id for part in parts}),
            bytes=sum(part.bytes for part in parts),
            first_write=min((part.written_at for part in parts), default=None),
            last_write=max((part.written_at for part in parts), default=None),
            schema_version=load_schema(directory).version,
        )

    def read(
        self, name: str, *, run_id: str | None = None, limit: int | None = None, lineage: bool = False
    ) -> Iterator[dict[str, Any]]:
        """The records of the nexset ``name`` in write order, as they were appended.

        ``run_id`` keeps one run's records; ``limit`` stops after that many; ``lineage`` adds the
        ``_run_id``, ``_source`` and ``_fetched_at`` columns. A field a part's records did not have is
        absent from them; within one part, a record that lacked a field the others had reads it as None.
        """
        parts = [part for part in list_parts(self._existing(name)) if run_id is None or part.run_id == run_id]
        records = (record for part in parts for record in read_part(part, lineage=lineage))
        return records if limit is None else islice(records, max(limit, 0))

    def sample(self, name: str, n: int = 10, *, lineage: bool = False) -> list[dict[str, Any]]:
        """The ``n`` most recently written records of the nexset ``name``, oldest of them first."""
        chosen: list[tuple[Part, int]] = []
        needed = n
        for part in reversed(list_parts(self._existing(name))):
            if needed <= 0:
                break
            taken = min(needed, part.rows)
            chosen.append((part, part.rows - taken))
            needed -= taken
        return [record for part, skip in reversed(chosen) for record in read_part(part, lineage=lineage, skip=skip)]

    def schema(self, name: str) -> NexsetSchema:
        """The current schema of the nexset ``name`` and the history of its versions."""
        return load_schema(self._existing(name))

    def export(
        self, name: str, output: Path, *, format: str | None = None, run_id: str | None = None,
        lineage: bool = False,
    ) -> ExportResult:
        """Write the records of the nexset ``name`` to ``output`` (.jsonl, .csv or .parquet, or ``format``).

        The file appears only once complete (see :mod:`trunkline.sinks.files`). A ``run_id`` that no part
        holds is a ConfigError listing the runs that have records: a mistyped id must not look like an
        empty export.
        """
        if run_id is not None:
            self._check_run(name, run_id)
        records = self.read(name, run_id=run_id, lineage=lineage)
        with open_writer(Path(output), format) as writer:
            for record in records:
                writer.write(record)
        return ExportResult(nexset=name, output=Path(output), records=writer.count)

    def _check_run(self, name: str, run_id: str) -> None:
        runs = list(dict.fromkeys(part.run_id for part in reversed(list_parts(self._existing(name)))))
        if run_id not in runs:
            known = ", ".join(runs[:5]) + (", …" if len(runs) > 5 else "") if runs else "none yet"
            raise ConfigError("--run", f"names no run with records in nexset {name}", value=run_id,
                              fix=f"use the id of one of its runs (newest first: {known})")

    def delete(self, name: str) -> None:
        """Delete the nexset ``name`` and everything in it (it disappears from listings at once)."""
        directory = self._existing(name)
        doomed = self.root / f".deleted-{name}-{uuid.uuid4().hex[:12]}"
        directory.rename(doomed)
        shutil.rmtree(doomed)

    def list(self) -> list[NexsetInfo]:
        """The figures of every nexset, sorted by name."""
        return [self.info(name) for name in self.names()]

    def _existing(self, name: str) -> Path:
        """The directory of the nexset ``name``; a clear error naming the known ones when there is none."""
        directory = self.root / check_nexset_name(name)
        if directory.is_dir():
            return directory
        known = self.names()
        raise ConfigError(
            "nexset",
            f"no nexset named {name!r}",
            fix=f"use one of: {', '.join(known)}" if known
            else f"no nexset exists yet under {self.root}; a flow run creates one",
        )


def _batches(
    records: Iterable[Mapping[str, Any]], size: int
) -> Iterator[tuple[list[Mapping[str, Any]], list[str]]]:
    """``records`` in lists of at most ``size``, each with the time every record arrived."""
    batch: list[Mapping[str, Any]] = []
    fetched_at: list[str] = []
    for record in records:
        batch.append(record)
        fetched_at.append(fetched_at_now())
        if len(batch) == size:
            yield batch, fetched_at
            batch, fetched_at = [], []
    if batch:
        yield batch, fetched_at
