"""Benchmark: peak memory of the DuckDB table writer alone, for runs of growing length.

Call records like the emulator's (its large dataset, round-robin) are written in batches of 5,000 by
``open_table_writer`` in one run (one transaction), each run in a fresh process. Every batch is parsed
from JSON afresh, as a source hands new records over. Without HTTP, this shows where memory stops
growing: DuckDB keeps the open transaction's rows in memory until a row group (122,880 rows) is full.

    python benchmarks/table_writer_memory.py [--records 10000,100000,300000,600000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BATCH = 5_000


def write(records: int, folder: Path) -> dict[str, float]:
    """Write ``records`` call records into a fresh DuckDB table; seconds and peak RSS (MiB)."""
    from trunkline.emulators.babelforce.data import build_dataset
    from trunkline.sinks.tables import open_table_writer

    calls = build_dataset(size="large").calls
    pages = [json.dumps(calls[start:start + BATCH]).encode() for start in range(0, len(calls) - BATCH, BATCH)]
    del calls
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    with open_table_writer({"type": "duckdb", "path": str(folder / "calls.duckdb"), "table": "calls"}) as writer:
        for number in range(records // BATCH):
            writer.write_batch(json.loads(pages[number % len(pages)]))
    return {"records": records, "seconds": time.perf_counter() - started, "baseline_rss_mib": baseline,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", default="10000,100000,300000,600000", help="comma-separated run lengths")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child process: one run
    arguments = parser.parse_args()
    if arguments.one is not None:
        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps(write(arguments.one, Path(folder))))
        return
    print("| records | time | records/s | peak RSS | RSS before writing |")
    print("| --- | --- | --- | --- | --- |")
    for records in (int(text) for text in arguments.records.split(",")):
        done = subprocess.run([sys.executable, __file__, "--one", str(records)], capture_output=True, text=True,
                              check=True)
        result = json.loads(done.stdout)
        print(f"| {records:,} | {result['seconds']:.2f} s | {records / result['seconds']:,.0f} | "
              f"{result['peak_rss_mib']:.0f} MiB | {result['baseline_rss_mib']:.0f} MiB |", flush=True)


if __name__ == "__main__":
    main()
