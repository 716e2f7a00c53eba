"""Two jobs on a single source: test it (fetch a sample) and run it (fetch everything into a file or a table).

Both are what ``trunkline source test`` / ``source run`` and the Python API call. They report
progress through an optional callback, so the CLI can draw a progress bar and a script can log.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from trunkline.connectors.resolve import ResolvedSource, open_source
from trunkline.core.schema import FieldSchema, SchemaBuilder
from trunkline.core.sink_config import SinkConfig
from trunkline.flows.background_output import BackgroundOutput
from trunkline.rest.http import RetryPolicy
from trunkline.rest.source import SourcePage
from trunkline.rest.suggest import PathSuggestion, suggest_paths
from trunkline.sinks.outputs import (
    PageOutput,
    TableOutput,
    describe_output,
    file_output,
    is_table_output,
    table_config,
)
from trunkline.sinks.tables import open_table_writer

ProgressCallback = Callable[["RunSummary"], None]


@dataclass
class RunSummary:
    """What a source run did: the numbers a user sees at the end (and during) the run."""

    source: str
    requests: int = 0
    pages: int = 0
    records: int = 0
    retries: int = 0
    lookups: int = 0
    lookups_skipped: int = 0
    seconds: float = 0.0
    output: str | None = None

    @property
    def records_per_second(self) -> float:
        """Throughput over the whole run."""
        return self.records / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain data (``--json``)."""
        return {"source": self.source, "requests": self.requests, "pages": self.pages, "records": self.records,
                "retries": self.retries, "lookups": self.lookups, "lookups_skipped": self.lookups_skipped,
                "seconds": round(self.seconds, 3),
                "records_per_second": round(self.records_per_second, 1), "output": self.output}


@dataclass
class SampleResult:
    """The result of testing a source: a sample, its schema and path suggestions."""

    records: list[dict[str, Any]]
    schema: list[FieldSchema]
    suggestions: list[PathSuggestion]
    first_url: str | None
    summary: RunSummary
    raw_excerpt: str = ""
    errors: list[str] = field(default_factory=list)


async def sample_source(
    resolved: ResolvedSource, *, limit: int = 10, home: Path | None = None, now: datetime | None = None,
    retry: RetryPolicy | None = None,
) -> SampleResult:
    """Fetch up to ``limit`` records (the seed's Test button) with the schema and path suggestions."""
    summary = RunSummary(source=resolved.name)
    started = time.monotonic()
    records: list[dict[str, Any]] = []
    suggestions: list[PathSuggestion] = []
    first_url = None
    schema = SchemaBuilder()
    async with open_source(resolved, home=home, now=now, retry=retry) as source:
        async for page in source.pages(limit=limit):
            if first_url is None:
                first_url = page.url
                suggestions = suggest_paths(page.body)
            for record in page.records:
                records.append(record)
                schema.add(record)
        _fill(summary, source, started)
    return SampleResult(records=records, schema=schema.fields(), suggestions=suggestions, first_url=first_url,
                        summary=summary)


async def run_source_to_output(
    resolved: ResolvedSource, output: Path | str, *, table: str | None = None, home: Path | None = None,
    now: datetime | None = None, retry: RetryPolicy | None = None, limit: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> RunSummary:
    """Fetch every record into ``output``, streaming: a JSONL, CSV or Parquet file by suffix, or ``table``
    of a ``.duckdb`` file or a ``postgresql://`` database (see :mod:`trunkline.sinks.outputs`).

    Pages are written on a thread of their own while the next ones are fetched (see :func:`_page_writer`).
    A run that fails leaves no partial file and no rows behind.
    """
    summary = RunSummary(source=resolved.name, output=describe_output(output, table))
    started = time.monotonic()
    writer = _page_writer(resolved, output, table)
    try:
        async with open_source(resolved, home=home, now=now, retry=retry) as source:
            async for page in source.pages(limit=limit):
                await writer.write_page(page)
                if on_progress is not None:
                    _fill(summary, source, started)
                    on_progress(summary)
            await writer.close()
            _fill(summary, source, started)
    except BaseException:
        await writer.abort()
        raise
    return summary


def _page_writer(resolved: ResolvedSource, output: Path | str, table: str | None) -> BackgroundOutput[SourcePage]:
    """Where the run's records go, written on a thread of their own while the next pages are fetched: a
    table (opened on that thread with the first page, see :class:`_TableOpenedLate`) or a file."""
    if is_table_output(output):
        return BackgroundOutput(_RecordsOf(_TableOpenedLate(table_config(output, table))))
    return BackgroundOutput(_RecordsOf(file_output(output, table=table)))


class _RecordsOf:
    """An output fed whole pages: it writes their records."""

    def __init__(self, output: PageOutput) -> None:
        self.close, self.abort = output.close, output.abort
        self._write = output.write_page

    def write_page(self, page: SourcePage) -> None:
        self._write(page.records)


class _TableOpenedLate:
    """A :class:`TableOutput` whose database is opened with the first page (or at ``close``): on the
    output's thread, so that opening it overlaps the first request, and never by a run that fails
    before its first page."""

    def __init__(self, config: SinkConfig) -> None:
        self._config = config
        self._output: TableOutput | None = None

    def write_page(self, records: Sequence[dict[str, Any]]) -> None:
        self._table().write_page(records)

    def close(self) -> None:
        self._table().close()

    def abort(self) -> None:
        if self._output is not None:
            self._output.abort()

    def _table(self) -> TableOutput:
        if self._output is None:
            self._output = TableOutput(open_table_writer(self._config))
        return self._output


def _fill(summary: RunSummary, source: Any, started: float) -> None:
    summary.requests = source.client.stats.requests
    summary.retries = source.client.stats.retries
    summary.pages = source.stats.pages
    summary.records = source.stats.records
    summary.lookups = source.stats.lookups
    summary.lookups_skipped = source.stats.lookups_skipped
    summary.seconds = time.monotonic() - started
