"""Benchmark: 100,000 Babelforce call records from the emulator into DuckDB — trunkline, dlt, the ceiling.

The emulator runs in its own process with every page pre-rendered (``bench_emulator``). Each pull
runs in a fresh process (``source_pulls``), so peak RSS is per tool: the first 10 pages (10,000
records) and the whole history (about 98,000), ``--repeat`` times each, interleaved. Prints
Markdown tables: median wall time, records/s, peak RSS, and the ratios.

    pip install -e '.[bench]'
    python benchmarks/source_vs_dlt.py [--repeat 3] [--tools trunkline,dlt-parquet,ceiling]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench_emulator import EmulatorProcess, Target, warm

PULLS = Path(__file__).with_name("source_pulls.py")
TOOLS = ("fetch", "ceiling", "trunkline-source", "trunkline", "dlt-parquet", "dlt")
LABELS = {
    "fetch": "bare httpx, fetch only (the emulator's share)",
    "ceiling": "ceiling: bare httpx, fetch + parse",
    "trunkline-source": "trunkline source engine, no storage",
    "trunkline": "trunkline → DuckDB",
    "dlt-parquet": "dlt rest_api → DuckDB (Parquet loader files)",
    "dlt": "dlt rest_api → DuckDB (defaults)",
}
SMALL_PAGES = 10


@dataclass
class Result:
    """One pull of one tool."""

    tool: str
    records: int
    seconds: float
    peak_rss_mib: float
    baseline_rss_mib: float
    workers_peak_rss_mib: float = 0.0


def pull(target: Target, tool: str, pages: int, page_size: int) -> Result:
    """Run one pull in a fresh process and read its JSON line."""
    env = {**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false"}
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [sys.executable, str(PULLS), tool, *target.as_args(), "--pages", str(pages), "--page-size",
             str(page_size), "--folder", folder],
            capture_output=True, text=True, env=env, check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"{tool} failed:\n{done.stderr[-3000:]}")
    return Result(**json.loads(done.stdout.strip().splitlines()[-1]))


def median(results: list[Result]) -> Result:
    """The run with the median time (its own memory figures)."""
    ordered = sorted(results, key=lambda result: result.seconds)
    return ordered[(len(ordered) - 1) // 2]


def table(results: dict[str, Result], records_label: str) -> list[str]:
    """One Markdown table of the medians."""
    lines = [f"| tool | {records_label} | time | records/s | peak RSS | RSS after imports |",
             "| --- | --- | --- | --- | --- | --- |"]
    for tool, result in results.items():
        rate = "—" if tool == "fetch" else f"{result.records / result.seconds:,.0f}"
        count = f"{result.records / 2**20:,.0f} MiB" if tool == "fetch" else f"{result.records:,}"
        lines.append(f"| {LABELS[tool]} | {count} | {result.seconds:.2f} s | {rate} | "
                     f"{result.peak_rss_mib:.0f} MiB | {result.baseline_rss_mib:.0f} MiB |")
    return lines


def ratios(full: dict[str, Result], small: dict[str, Result]) -> list[str]:
    """The comparisons the targets are about."""
    lines = []
    pairs = [("trunkline", "dlt-parquet"), ("trunkline", "dlt"), ("trunkline", "ceiling"),
             ("trunkline-source", "ceiling"), ("fetch", "ceiling")]
    for fast, slow in pairs:
        if fast in full and slow in full:
            lines.append(f"- {LABELS[fast]} vs {LABELS[slow]}: time × {full[fast].seconds / full[slow].seconds:.2f}"
                         f" ({full[slow].seconds / full[fast].seconds:.2f}× the speed)")
    for tool in full:
        if tool in small and tool != "fetch":
            lines.append(f"- peak RSS of {LABELS[tool]}: {small[tool].peak_rss_mib:.0f} MiB at "
                         f"{small[tool].records:,} records, {full[tool].peak_rss_mib:.0f} MiB at "
                         f"{full[tool].records:,}")
    return lines


def machine() -> str:
    """Where the numbers come from."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return (f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores ({model}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="pulls of each tool and size; the median is shown")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated, of: {', '.join(TOOLS)}")
    parser.add_argument("--page-size", type=int, default=1000)
    arguments = parser.parse_args()
    tools = [tool for tool in TOOLS if tool in arguments.tools.split(",")]
    with EmulatorProcess(size="large") as target:
        started = time.perf_counter()
        pages, records = warm(target, arguments.page_size)
        print(f"emulator warmed: {pages} pages, {records:,} records rendered in "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
        runs: dict[tuple[str, int], list[Result]] = {}
        for _ in range(arguments.repeat):
            for size in (SMALL_PAGES, pages):
                for tool in tools:
                    result = pull(target, tool, size, arguments.page_size)
                    print(f"{tool:17} {size:3} pages {result.seconds:7.2f} s {result.peak_rss_mib:6.0f} MiB",
                          file=sys.stderr)
                    runs.setdefault((tool, size), []).append(result)
    small = {tool: median(runs[tool, SMALL_PAGES]) for tool in tools}
    full = {tool: median(runs[tool, pages]) for tool in tools}
    print(f"Machine: {machine()}; page size {arguments.page_size}; median of {arguments.repeat}.\n")
    print("\n".join(table(full, f"records ({pages} pages)")))
    print()
    print("\n".join(table(small, f"records ({SMALL_PAGES} pages)")))
    print()
    print("\n".join(ratios(full, small)))


if __name__ == "__main__":
    main()
