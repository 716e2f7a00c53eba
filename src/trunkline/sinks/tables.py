"""Open the table writer a table destination's configuration asks for (DuckDB or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from trunkline.core.schema import FieldSchema
from trunkline.core.sink_config import DuckDBSinkConfig, SinkConfig, parse_sink_config
from trunkline.sinks.table_writer import TableWriter


def open_table_writer(
    config: SinkConfig | Mapping[str, Any], fields: Iterable[FieldSchema] | None = None
) -> TableWriter:
    """A writer for ``config`` (a model, or a mapping validated by ``parse_sink_config``), the run begun.

    ``fields`` is the record schema known so far, if any: the table is created or widened for it at
    once. Only the driver of the configured database is imported.
    """
    if isinstance(config, Mapping):
        config = parse_sink_config(dict(config))
    if isinstance(config, DuckDBSinkConfig):
        from trunkline.sinks.duckdb_sink import DuckDBWriter

        return DuckDBWriter(config, fields)
    from trunkline.sinks.postgres_sink import PostgresWriter

    return PostgresWriter(config, fields)
