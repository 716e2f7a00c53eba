"""The Python API: the same jobs as the CLI, for scripts and notebooks.

>>> from trunkline.api import read_source
>>> records = read_source("sources/agents.yaml", limit=50)

A source is a YAML file path or the same content as a mapping. Errors are the typed
:mod:`trunkline.core.errors` exceptions, each naming the config key, the value and the fix.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from trunkline.connectors.resolve import ResolvedSource, effective_config, load_source, open_source
from trunkline.flows.source_jobs import RunSummary, SampleResult, run_source_to_file, sample_source
from trunkline.rest.http import RetryPolicy

SourceSpec = Path | str | Mapping[str, Any]

__all__ = ["read_source", "stream_source", "sample", "run_source", "show_source", "load_source"]


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


def run_source(source: SourceSpec | ResolvedSource, output: Path | str, *, home: Path | None = None,
               now: datetime | None = None, limit: int | None = None) -> RunSummary:
    """Fetch every record into a JSONL, CSV or Parquet file (``trunkline source run``)."""
    return asyncio.run(run_source_to_file(_resolved(source, home), Path(output), home=home, now=now, limit=limit))


def show_source(source: SourceSpec, *, home: Path | None = None) -> dict[str, Any]:
    """The effective manual configuration (``trunkline source show``), secrets masked."""
    return effective_config(load_source(source, home=home))
