"""A nexset's schema and its versions, kept in ``<nexset>/schema.json``.

The file holds the current schema (every field seen so far, with its merged type, an example,
nullability and how many records carried it) and the list of versions. A run whose records change
the schema's shape (a field added, a type changed, a field becoming nullable) adds a version: the
full field list after that run, the run's id, the time and the changes. Updates take an exclusive
lock on ``<nexset>/.schema.lock`` and replace the file atomically, so concurrent writers of one
nexset never lose each other's fields.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trunkline.core.schema import FieldSchema
from trunkline.store.nexsets.drift import SchemaChanges, merge

SCHEMA_FILE = "schema.json"
_LOCK_FILE = ".schema.lock"


@dataclass(frozen=True)
class SchemaVersion:
    """The schema as one run left it, and what that run changed."""

    version: int
    run_id: str
    at: datetime
    fields: list[FieldSchema]
    changes: SchemaChanges

    def as_dict(self) -> dict[str, Any]:
        """The version as plain data."""
        return {"version": self.version, "run_id": self.run_id, "at": self.at.isoformat(),
                "fields": [asdict(field) for field in self.fields], "changes": self.changes.as_dict()}


@dataclass(frozen=True)
class NexsetSchema:
    """A nexset's current schema and the history of its versions, oldest first."""

    name: str
    fields: list[FieldSchema]
    versions: list[SchemaVersion]

    @property
    def version(self) -> int:
        """The current version number (0 before the first record)."""
        return self.versions[-1].version if self.versions else 0

    def as_dict(self) -> dict[str, Any]:
        """The schema as plain data (the layout of ``schema.json``, plus the name)."""
        return {"name": self.name, "version": self.version, "fields": [asdict(field) for field in self.fields],
                "versions": [version.as_dict() for version in self.versions]}


def load_schema(directory: Path) -> NexsetSchema:
    """The schema kept for the nexset at ``directory`` (empty when nothing was appended yet)."""
    path = directory / SCHEMA_FILE
    if not path.exists():
        return NexsetSchema(directory.name, [], [])
    data = json.loads(path.read_text(encoding="utf-8"))
    versions = [
        SchemaVersion(
            version=item["version"],
            run_id=item["run_id"],
            at=datetime.fromisoformat(item["at"]),
            fields=[FieldSchema(**field) for field in item["fields"]],
            changes=SchemaChanges.from_dict(item["changes"]),
        )
        for item in data["versions"]
    ]
    return NexsetSchema(directory.name, [FieldSchema(**field) for field in data["fields"]], versions)


def record_run(directory: Path, run_fields: list[FieldSchema], *, run_id: str) -> tuple[SchemaChanges, int]:
    """Merge one run's detected fields into the stored schema; return the changes and the version after it."""
    with _locked(directory):
        stored = load_schema(directory)
        fields, changes = merge(stored.fields, run_fields)
        versions = list(stored.versions)
        if _shape(fields) != _shape(stored.fields):
            versions.append(SchemaVersion(stored.version + 1, run_id, datetime.now(UTC), fields, changes))
        _save(directory, NexsetSchema(stored.name, fields, versions))
    return changes, versions[-1].version if versions else 0


def _shape(fields: list[FieldSchema]) -> list[tuple[str, str, bool]]:
    """What makes a schema version: each field's name, type and nullability (not examples or counts)."""
    return [(field.name, field.type, field.nullable) for field in fields]


def _save(directory: Path, schema: NexsetSchema) -> None:
    data = schema.as_dict()
    del data["name"], data["version"]
    temporary = directory / f".{SCHEMA_FILE}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        temporary.write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        os.replace(temporary, directory / SCHEMA_FILE)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold the nexset's schema lock (one process at a time reads, merges and writes ``schema.json``)."""
    with open(directory / _LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
