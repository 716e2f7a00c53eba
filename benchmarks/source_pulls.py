"""One benchmarked pull of the emulator's call records, run in a process of its own.

``python benchmarks/source_pulls.py TOOL --base-url URL --access-id ID --access-token TOKEN
[--pages N] [--page-size 1000] [--folder DIR]`` pulls the calls list page by page (``page``/``max``,
records at ``$.items[*]``, page count at ``$.pagination.pages``) with TOOL and prints one JSON line:
records, seconds, peak RSS (the process's own plus the largest of the processes it started, if it
starts any: an upper bound of what the pull held at once) and RSS after imports. TOOL is:

- ``trunkline``: a manual source run with ``trunkline.api.run_source`` into a DuckDB table (pages
  written on a thread of their own while the next are fetched, batches of 5,000 records, one transaction);
- ``trunkline-source``: the same source streamed and counted, storing nothing (the source engine alone);
- ``dlt``: dlt's ``rest_api`` source, same endpoint, paging and page size, into DuckDB with dlt's
  defaults (``dlt[duckdb]``, the ``bench`` extra); ``dlt-parquet``: the same with Parquet loader files;
- ``ceiling``: a bare httpx loop that fetches the same pages and parses their JSON, storing nothing;
- ``fetch``: the same loop without parsing (what the emulator costs; prints bytes, not records).

The time covers the pull alone (imports excluded, the commit included); the row count is read back
from the database afterwards, outside the time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench_emulator import CALLS_PATH, Target

Count = Callable[[], int]
"""What a pull returns: how to count the records it stored (called after the time is taken)."""


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def workers_peak_rss_mib() -> float:
    """The largest peak resident set size of the processes this one started and waited for (a tool's
    worker processes, if it starts any), in MiB; 0 if there were none."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def table_rows(database: Path, table: str) -> int:
    """How many rows ``table`` of the DuckDB file holds."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def trunkline_source(target: Target, pages: int | None, page_size: int) -> dict[str, Any]:
    """The manual source every trunkline pull runs: the calls list, ``page``/``max`` paging."""
    pagination: dict[str, Any] = {"type": "page", "page_param": "page", "size_param": "max", "size": page_size,
                                  "total_pages_path": "$.pagination.pages"}
    if pages is not None:
        pagination["max_pages"] = pages
    return {
        "credential": {"service": "babelforce", "base_url": target.base_url, "access_id": target.access_id,
                       "access_token": target.access_token},
        "method": "GET", "url": f"{target.base_url}{CALLS_PATH}", "path_to_data": "$.items[*]",
        "pagination": pagination,
    }


def pull_trunkline(target: Target, pages: int | None, page_size: int, folder: Path) -> Count:
    """trunkline: ``trunkline.api.run_source`` into a DuckDB table (what ``trunkline source run
    --output trunkline.duckdb --table calls`` does)."""
    from trunkline.api import run_source

    database = folder / "trunkline.duckdb"
    run_source(trunkline_source(target, pages, page_size), database, table="calls", home=folder / "home")
    return lambda: table_rows(database, "calls")


def pull_dlt(target: Target, pages: int | None, page_size: int, folder: Path, file_format: str | None = None) -> Count:
    """dlt: the ``rest_api`` source into DuckDB (nested fields become child tables, as dlt does); its
    loader files in ``file_format`` (dlt's default for DuckDB, SQL insert statements, when None)."""
    import dlt
    from dlt.sources.rest_api import rest_api_source

    paginator: dict[str, Any] = {"type": "page_number", "page_param": "page", "base_page": 1,
                                 "total_path": "pagination.pages"}
    if pages is not None:
        paginator["maximum_page"] = pages + 1  # dlt stops *at* maximum_page: pages 1..N need N + 1
    source = rest_api_source({
        "client": {"base_url": target.base_url, "headers": target.headers, "paginator": paginator},
        "resources": [{"name": "calls", "endpoint": {"path": CALLS_PATH.lstrip("/"), "params": {"max": page_size},
                                                     "data_selector": "items"}}],
    })
    database = folder / "dlt.duckdb"
    pipeline = dlt.pipeline(pipeline_name="bench_calls", destination=dlt.destinations.duckdb(str(database)),
                            dataset_name="bench", pipelines_dir=str(folder / "dlt-pipelines"))
    pipeline.run(source, loader_file_format=file_format)
    return lambda: table_rows(database, "bench.calls")


def pull_ceiling(target: Target, pages: int | None, page_size: int, folder: Path) -> Count:
    """The ceiling: fetch and parse every page with a bare httpx client, storing nothing."""
    import httpx

    records, page, total = 0, 1, 1
    with httpx.Client(base_url=target.base_url, headers=target.headers, timeout=60) as client:
        while page <= total and (pages is None or page <= pages):
            response = client.get(CALLS_PATH, params={"page": page, "max": page_size})
            body = json.loads(response.content)
            records += len(body["items"])
            total = body["pagination"]["pages"]
            page += 1
    return lambda: records


def pull_fetch(target: Target, pages: int | None, page_size: int, folder: Path) -> Count:
    """The emulator's share: fetch the same pages with a bare httpx client and parse nothing, to show
    that the emulator is not what the other pulls measure (needs ``pages``)."""
    import httpx

    if pages is None:
        raise SystemExit("fetch needs --pages")
    received = 0
    with httpx.Client(base_url=target.base_url, headers=target.headers, timeout=60) as client:
        for page in range(1, pages + 1):
            received += len(client.get(CALLS_PATH, params={"page": page, "max": page_size}).content)
    return lambda: received


def pull_trunkline_source(target: Target, pages: int | None, page_size: int, folder: Path) -> Count:
    """trunkline's source engine alone: stream the records and count them, storing nothing."""
    from trunkline.api import stream_source

    source = trunkline_source(target, pages, page_size)

    async def pull() -> int:
        records = 0
        async for _record in stream_source(source, home=folder / "home"):
            records += 1
        return records

    records = asyncio.run(pull())
    return lambda: records


TOOLS: dict[str, Callable[[Target, int | None, int, Path], Count]] = {
    "trunkline": pull_trunkline, "trunkline-source": pull_trunkline_source, "dlt": pull_dlt,
    "dlt-parquet": partial(pull_dlt, file_format="parquet"), "ceiling": pull_ceiling, "fetch": pull_fetch,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tool", choices=sorted(TOOLS))
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--access-id", required=True)
    parser.add_argument("--access-token", required=True)
    parser.add_argument("--pages", type=int, default=None, help="stop after this many pages (default: all)")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--folder", type=Path, default=Path.cwd(), help="where the databases are written")
    arguments = parser.parse_args()
    target = Target(arguments.base_url, arguments.access_id, arguments.access_token)
    pull = TOOLS[arguments.tool]
    if arguments.tool.startswith("dlt"):
        os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
        import dlt.sources.rest_api  # noqa: F401 - imports are not part of the time
    elif arguments.tool.startswith("trunkline"):
        import trunkline.api  # noqa: F401
        import trunkline.sinks.duckdb_sink  # noqa: F401
    baseline = peak_rss_mib()
    started = time.perf_counter()
    count = pull(target, arguments.pages, arguments.page_size, arguments.folder)
    seconds = time.perf_counter() - started
    records = count()
    workers = workers_peak_rss_mib()
    json.dump({"tool": arguments.tool, "records": records, "seconds": seconds,
               "peak_rss_mib": peak_rss_mib() + workers, "workers_peak_rss_mib": workers,
               "baseline_rss_mib": baseline}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
