"""Benchmark: a whole Babelforce source run against the large emulator dataset.

Runs ``list_call_records`` over the emulator's whole history (about 100,000 calls, 1,000 per page)
into JSONL, CSV and Parquet, and reports records/s and the process's peak resident memory growth.
The emulator runs in a subprocess so its own memory does not count.

    python benchmarks/source_run.py [--pages-of 1000]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from trunkline.api import run_source


def start_emulator() -> tuple[subprocess.Popen[str], str, str, str]:
    """The large emulator in a subprocess; returns it, its base URL, username and password."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "trunkline", "emulator", "babelforce", "--port", "0",
                                "--size", "large"], stdout=subprocess.PIPE, text=True, env=env)
    banner = process.stdout.readline() + process.stdout.readline()
    base_url = re.search(r"on (http://\S+)", banner).group(1)
    username, password = re.search(r"username (\S+) password (\S+)", banner).groups()
    return process, base_url, username, password


def peak_rss_mib() -> float:
    """This process's peak resident set size so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages-of", type=int, default=1000, help="records per page (max)")
    args = parser.parse_args()
    process, base_url, username, password = start_emulator()
    try:
        source = {
            "credential": {"service": "babelforce", "base_url": base_url, "username": username, "password": password},
            "method": "GET", "url": f"{base_url}/api/v2/calls/reporting", "path_to_data": "$.items[*]",
            "pagination": {"type": "page", "page_param": "page", "size_param": "max", "size": args.pages_of,
                           "total_pages_path": "$.pagination.pages"},
        }
        baseline = peak_rss_mib()
        print(f"baseline peak RSS {baseline:.0f} MiB")
        with tempfile.TemporaryDirectory() as folder:
            for suffix in ("jsonl", "csv", "parquet"):
                started = time.perf_counter()
                summary = run_source(source, Path(folder) / f"calls.{suffix}")
                seconds = time.perf_counter() - started
                print(f"{suffix:8} {summary.records:>7,} records {summary.pages:>4} pages {seconds:6.2f}s "
                      f"{summary.records / seconds:>8,.0f} records/s  peak RSS {peak_rss_mib():.0f} MiB")
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
