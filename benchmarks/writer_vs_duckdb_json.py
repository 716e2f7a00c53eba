"""Benchmark: trunkline's table writer process work against DuckDB's own JSON reader, same page bodies.

What the table writer process of ``trunkline source run --output X.duckdb`` does with 98,000 call
records, without HTTP: parse each page body (1,000 records) and write the records into a DuckDB
table (``PageReader`` + ``TableOutput``, as ``flows/table_process.py`` runs them). Against it, DuckDB
reading the same bodies from files with ``read_json`` and unnesting ``items`` into a table, on one
thread (types detected by DuckDB, not by trunkline's column rules): a floor for any design that hands
DuckDB the bodies. CPU seconds of this process, median of ``--repeat`` runs each, interleaved.

    python benchmarks/writer_vs_duckdb_json.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

PAGE = 1_000


def write_pages(folder: Path) -> list[bytes]:
    """The large dataset's calls as page bodies (``{"items": [...], "pagination": ...}``), also saved as files."""
    from trunkline.emulators.babelforce.data import build_dataset

    calls = build_dataset(size="large").calls
    pages = [json.dumps({"items": calls[start:start + PAGE], "pagination": {"pages": len(calls) // PAGE + 1}}).encode()
             for start in range(0, len(calls), PAGE)]
    for number, body in enumerate(pages):
        (folder / f"page{number:04d}.json").write_bytes(body)
    return pages


def trunkline_writer(pages: list[bytes], database: Path) -> None:
    """What the table writer process does with the bodies."""
    from trunkline.flows.table_process import PageReader
    from trunkline.sinks.outputs import TableOutput, table_config
    from trunkline.sinks.tables import open_table_writer

    reader = PageReader("auto", "$.items[*]", None)
    output = TableOutput(open_table_writer(table_config(database, "calls")))
    for body in pages:
        output.write_page(reader.records(body, "application/json"))
    output.close()


def duckdb_reader(folder: Path, database: Path) -> None:
    """DuckDB's JSON reader over the same bodies, one thread."""
    import duckdb

    with duckdb.connect(str(database)) as connection:
        connection.execute("SET threads = 1")
        connection.execute(f"CREATE TABLE calls AS SELECT unnest(items, max_depth := 2) FROM "
                           f"read_json('{folder}/page*.json', maximum_object_size = 100000000)")


def cpu_seconds(work: Callable[[], None]) -> float:
    """CPU time of this process spent in ``work``."""
    started = time.process_time()
    work()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    import duckdb  # noqa: F401 - imports are not part of the time

    import trunkline.flows.table_process  # noqa: F401
    import trunkline.sinks.duckdb_sink  # noqa: F401

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        pages = write_pages(folder)
        records = sum(len(json.loads(body)["items"]) for body in pages)
        timings: dict[str, list[float]] = {"trunkline": [], "duckdb": []}
        for run in range(arguments.repeat):
            timings["trunkline"].append(cpu_seconds(partial(trunkline_writer, pages, folder / f"t{run}.duckdb")))
            timings["duckdb"].append(cpu_seconds(partial(duckdb_reader, folder, folder / f"d{run}.duckdb")))
    trunkline, duck = statistics.median(timings["trunkline"]), statistics.median(timings["duckdb"])
    print(f"{records:,} records in {len(pages)} page bodies, median of {arguments.repeat}:")
    print("| work | CPU time |\n| --- | --- |")
    print(f"| trunkline's table writer (parse, column rules, DuckDB insert) | {trunkline:.2f} s |")
    print(f"| DuckDB read_json + unnest into a table, 1 thread | {duck:.2f} s ({duck / trunkline:.2f}×) |")


if __name__ == "__main__":
    main()
