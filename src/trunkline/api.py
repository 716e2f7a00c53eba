"""The Python API: the same jobs as the CLI, for scripts and notebooks.

>>> from trunkline.api import read_source
>>> records = read_source("sources/agents.yaml", limit=50)

A source is a YAML file path or the same content as a mapping. Errors are the typed
:mod:`trunkline.core.errors` exceptions, each naming the config key, the value and the fix.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from trunkline.connectors.resolve import ResolvedSource, effective_config, load_source, open_source
from trunkline.connectors.resolve_destination import ResolvedDestination, effective_destination, load_destination
from trunkline.flows.destination_jobs import (
    DeliverySummary,
    Exchange,
    preview_destination,
    run_destination,
    send_test_records,
)
from trunkline.flows.source_jobs import RunSummary, SampleResult, run_source_to_output, sample_source
from trunkline.readers.files import read_records
from trunkline.rest.destination import RecordOutcome
from trunkline.rest.http import RetryPolicy

SourceSpec = Path | str | Mapping[str, Any]
DestinationSpec = Path | str | Mapping[str, Any]
Records = Path | str | Iterable[dict[str, Any]]

__all__ = ["read_source", "stream_source", "sample", "run_source", "show_source", "load_source",
           "show_destination", "preview", "send_test", "deliver", "load_destination"]


def _resolved(source: SourceSpec | ResolvedSource, home: Path | None) -> ResolvedSource:
    return source if isinstance(source, ResolvedSource) else load_source(source, home=home)


async def stream_source(
    source: SourceSpec | ResolvedSource, *, limit: int | None = None, home: Path | None = None,
    now: datetime | None = None, retry: RetryPolicy | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Yield a source's records as they arrive (async), at most ``limit``."""
    async with open_source(_resolved(source, home), home=home, now=now, retry=retry) as opened:
        async for record in opened.records(limit=limit):
            yield record


def read_source(
    source: SourceSpec | ResolvedSource, *, limit: int | None = None, home: Path | None = None,
    now: datetime | None = None, retry: RetryPolicy | None = None,
) -> list[dict[str, Any]]:
    """All of a source's records as a list (use :func:`run_source` for large pulls)."""

    async def collect() -> list[dict[str, Any]]:
        return [record async for record in stream_source(source, limit=limit, home=home, now=now, retry=retry)]

    return asyncio.run(collect())


def sample(source: SourceSpec | ResolvedSource, *, limit: int = 10, home: Path | None = None,
           now: datetime | None = None) -> SampleResult:
    """Fetch a sample with its detected schema and path suggestions (``trunkline source test``)."""
    return asyncio.run(sample_source(_resolved(source, home), limit=limit, home=home, now=now))


def run_source(source: SourceSpec | ResolvedSource, output: Path | str, *, table: str | None = None,
               home: Path | None = None, now: datetime | None = None, limit: int | None = None) -> RunSummary:
    """Fetch every record into a JSONL, CSV or Parquet file, or into ``table`` of a ``.duckdb`` file or a
    ``postgresql://`` database (``trunkline source run``)."""
    return asyncio.run(run_source_to_output(_resolved(source, home), output, table=table, home=home, now=now,
                                            limit=limit))


def show_source(source: SourceSpec, *, home: Path | None = None) -> dict[str, Any]:
    """The effective manual configuration (``trunkline source show``), secrets masked."""
    return effective_config(load_source(source, home=home))


def _destination(destination: DestinationSpec | ResolvedDestination, home: Path | None) -> ResolvedDestination:
    return destination if isinstance(destination, ResolvedDestination) else load_destination(destination, home=home)


def _records(records: Records) -> Iterable[dict[str, Any]]:
    return read_records(Path(records)) if isinstance(records, (str, Path)) else records


def show_destination(destination: DestinationSpec, *, home: Path | None = None) -> dict[str, Any]:
    """The effective manual configuration of a destination (``trunkline destination show``), secrets masked."""
    return effective_destination(load_destination(destination, home=home))


def preview(destination: DestinationSpec | ResolvedDestination, records: Records, *, limit: int = 5,
            home: Path | None = None, now: datetime | None = None,
            ) -> tuple[list[dict[str, Any]], list[RecordOutcome]]:
    """The requests the first records would be sent as, and the records that would not be sent."""
    return asyncio.run(preview_destination(_destination(destination, home), _records(records), limit=limit, now=now))


def send_test(destination: DestinationSpec | ResolvedDestination, records: Records, *, limit: int = 1,
              home: Path | None = None, now: datetime | None = None) -> list[Exchange]:
    """Send the first records and return each request with its response (``trunkline destination test``)."""
    return asyncio.run(send_test_records(_destination(destination, home), _records(records), limit=limit, now=now))


def deliver(destination: DestinationSpec | ResolvedDestination, records: Records, *, rejects: Path | str,
            responses: Path | str | None = None, home: Path | None = None, now: datetime | None = None,
            retry: RetryPolicy | None = None) -> DeliverySummary:
    """Send every record (``trunkline destination run``); records not delivered go to ``rejects``."""
    return asyncio.run(run_destination(
        _destination(destination, home), _records(records), rejects=Path(rejects),
        responses=Path(responses) if responses is not None else None, now=now, retry=retry))
