"""Data destinations of a flow: files (one per run) and tables (DuckDB, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from trunkline.core.flow_config import DataDestination, FileDestination
from trunkline.sinks.files import open_writer
from trunkline.sinks.tables import open_table_writer

TABLE_BATCH = 5_000


def write_file(destination: FileDestination, records: Iterable[dict[str, Any]], *, run_id: str,
               base_dir: Path) -> dict[str, int]:
    """Write one run's records to the destination's file; ``{run}`` in the path is the run id."""
    path = Path(destination.path.replace("{run}", run_id))
    path = path if path.is_absolute() else base_dir / path
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = open_writer(path, destination.type)
    written = 0
    try:
        for record in records:
            writer.write(record)
            written += 1
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return {"written": written}


def deliver_to_table(destination: DataDestination, records: Iterable[dict[str, Any]], *,
                     base_dir: Path) -> dict[str, int]:
    """Write records to a DuckDB or PostgreSQL table in batches (append, replace or merge on a key)."""
    options = dict(destination.options)
    if destination.type == "duckdb" and "path" in options and not Path(options["path"]).is_absolute():
        options["path"] = str(base_dir / options["path"])
    with open_table_writer({"type": destination.type, **options}) as writer:
        batch: list[dict[str, Any]] = []
        for record in records:
            batch.append(record)
            if len(batch) >= TABLE_BATCH:
                writer.write_batch(batch)
                batch = []
        if batch:
            writer.write_batch(batch)
    return writer.counts()
