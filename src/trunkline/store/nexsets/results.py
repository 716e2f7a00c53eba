"""What the nexset store reports: an append's outcome, a nexset's figures, an export's outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from trunkline.store.nexsets.drift import SchemaChanges


@dataclass(frozen=True)
class AppendResult:
    """One append: how much was written, and how the run's schema compared with the stored one."""

    nexset: str
    run_id: str
    records: int
    parts: int
    bytes: int
    created: bool
    schema_version: int
    schema_changes: SchemaChanges

    def as_dict(self) -> dict[str, Any]:
        """The result as plain data."""
        return {"nexset": self.nexset, "run_id": self.run_id, "records": self.records, "parts": self.parts,
                "bytes": self.bytes, "created": self.created, "schema_version": self.schema_version,
                "schema_changes": self.schema_changes.as_dict()}


@dataclass(frozen=True)
class NexsetInfo:
    """One nexset's figures: records, part files, runs, first and last write, size on disk."""

    name: str
    path: Path
    records: int
    parts: int
    runs: int
    bytes: int
    first_write: datetime | None
    last_write: datetime | None
    schema_version: int

    def as_dict(self) -> dict[str, Any]:
        """The figures as plain data (``--json``)."""
        return {"name": self.name, "path": str(self.path), "records": self.records, "parts": self.parts,
                "runs": self.runs, "bytes": self.bytes,
                "first_write": self.first_write.isoformat() if self.first_write else None,
                "last_write": self.last_write.isoformat() if self.last_write else None,
                "schema_version": self.schema_version}


@dataclass(frozen=True)
class ExportResult:
    """One export: which nexset went to which file, and how many records."""

    nexset: str
    output: Path
    records: int

    def as_dict(self) -> dict[str, Any]:
        """The result as plain data (``--json``)."""
        return {"nexset": self.nexset, "output": str(self.output), "records": self.records}
