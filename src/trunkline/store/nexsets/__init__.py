"""Nexsets: named, durable datasets of records, with lineage and a schema kept run to run.

A nexset lives in ``<home>/nexsets/<name>/``: append-only Parquet part files under ``parts/`` (each
complete or invisible) and ``schema.json`` (the current schema and its versions). See ``docs/nexsets.md``.
"""

from trunkline.store.nexsets.drift import SchemaChanges, TypeChange
from trunkline.store.nexsets.history import NexsetSchema, SchemaVersion
from trunkline.store.nexsets.parts import LINEAGE_COLUMNS
from trunkline.store.nexsets.results import AppendResult, ExportResult, NexsetInfo
from trunkline.store.nexsets.store import NexsetStore

__all__ = [
    "LINEAGE_COLUMNS",
    "AppendResult",
    "ExportResult",
    "NexsetInfo",
    "NexsetSchema",
    "NexsetStore",
    "SchemaChanges",
    "SchemaVersion",
    "TypeChange",
]
