"""Benchmark: 20,000 leads into a Babelforce outbound list, in batches and one request per lead, at
several concurrencies.

trunkline delivers them with the ``add_outbound_lead`` template (record rules, E.164 phones, the
emulator's bulk-lead extension for batches) through ``trunkline.api.deliver`` with ``concurrency: N``.
The emulator's capacity is measured the same way a bare client would use it: an asyncio httpx loop
posting the very same request bodies, prepared in advance, with the same number of requests in flight.
Each run writes to a fresh list, so every uid is new. ``--latency MS`` makes the emulator hold every
lead request that long (its delay fault), as a remote service's round trip would; both clients meet it.

    python benchmarks/destination_leads.py [--leads 20000] [--batch 500] [--concurrency 1,4,8] [--repeat 3]
                                           [--latency 0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from bench_emulator import EmulatorProcess, Target

from trunkline.api import deliver

LISTS_PATH = "/api/v2/outbound/lists"


def make_leads(count: int) -> list[dict[str, Any]]:
    """``count`` distinct, valid leads: uid, a German mobile number, rank and a little data."""
    return [{"uid": f"lead-{index:06d}", "number": f"+49151{index:08d}", "rank": index % 100,
             "data": {"source": "benchmark", "segment": f"s{index % 7}"}} for index in range(count)]


def new_list(target: Target, name: str) -> str:
    """Create an empty outbound list on the emulator; returns its id."""
    with httpx.Client(base_url=target.base_url, headers=target.headers) as client:
        response = client.post(LISTS_PATH, json={"name": name}).raise_for_status()
        return response.json()["item"]["id"]


def list_size(target: Target, list_id: str) -> int:
    """How many leads the emulator holds in the list."""
    with httpx.Client(base_url=target.base_url, headers=target.headers) as client:
        lists = client.get(LISTS_PATH, params={"max": 1000}).raise_for_status().json()["items"]
    return next(item["count"] for item in lists if item["id"] == list_id)


def run_trunkline(target: Target, leads: list[dict[str, Any]], list_id: str, batch: int | None,
                  concurrency: int) -> int:
    """Deliver ``leads`` with trunkline; returns how many were delivered."""
    destination: dict[str, Any] = {
        "credential": {"service": "babelforce", "base_url": target.base_url, "access_id": target.access_id,
                       "access_token": target.access_token},
        "template": "add_outbound_lead", "params": {"list_id": list_id}, "concurrency": concurrency,
    }
    if batch is not None:
        destination["batch"] = {"size": batch}
    with tempfile.TemporaryDirectory() as folder:
        summary = deliver(destination, leads, rejects=Path(folder) / "rejects.jsonl", home=Path(folder) / "home")
    return summary.outcomes["delivered"]


def run_capacity(target: Target, leads: list[dict[str, Any]], list_id: str, batch: int | None,
                 concurrency: int) -> int:
    """Post the same bodies with a bare asyncio httpx loop, ``concurrency`` requests in flight (bodies
    encoded before the clock starts)."""
    size = batch or 1
    chunks = [leads[start:start + size] for start in range(0, len(leads), size)]
    bodies = [json.dumps(chunk if batch is not None else chunk[0]).encode() for chunk in chunks]
    asyncio.run(post_all(target, f"{LISTS_PATH}/{list_id}/leads", bodies, concurrency))
    return len(leads)


async def post_all(target: Target, url: str, bodies: list[bytes], concurrency: int) -> None:
    """POST every body to ``url``, ``concurrency`` at a time, each checked for a 2xx."""
    headers = {**target.headers, "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    remaining = iter(bodies)
    async with httpx.AsyncClient(base_url=target.base_url, headers=headers, timeout=60, limits=limits) as client:

        async def worker() -> None:
            for body in remaining:
                (await client.post(url, content=body)).raise_for_status()

        await asyncio.gather(*(worker() for _ in range(concurrency)))


Sender = Callable[[Target, list[dict[str, Any]], str, int | None, int], int]


def hold_requests(target: Target, list_id: str, seconds: float, count: int) -> None:
    """Make the emulator hold the next ``count`` requests to the list's leads ``seconds`` before answering."""
    fault = {"status": None, "delay": seconds, "count": count, "path_prefix": f"{LISTS_PATH}/{list_id}/leads"}
    httpx.post(f"{target.base_url}/_emulator/faults", json=fault).raise_for_status()


def measure(target: Target, leads: list[dict[str, Any]], batch: int | None, concurrency: int, latency: float,
            how: str, run: int, send: Sender) -> float:
    """Seconds one delivery of ``leads`` takes; checks the emulator's list holds every lead afterwards."""
    list_id = new_list(target, f"bench-{how}-{batch or 1}-{concurrency}-{run}")
    if latency:
        hold_requests(target, list_id, latency, -(-len(leads) // (batch or 1)))
    started = time.perf_counter()
    delivered = send(target, leads, list_id, batch, concurrency)
    seconds = time.perf_counter() - started
    stored = list_size(target, list_id)
    if delivered != len(leads) or stored != len(leads):
        raise SystemExit(f"{how}: {delivered} delivered, {stored} stored of {len(leads)}")
    return seconds


def concurrencies(text: str) -> list[int]:
    """``1,4,8`` as a list of whole numbers from 1 to 32."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"give whole numbers separated by commas, got {text!r}") from None
    if not values or not all(1 <= value <= 32 for value in values):
        raise argparse.ArgumentTypeError(f"each concurrency must be from 1 to 32, got {text!r}")
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500, help="leads per request in the batched runs")
    parser.add_argument("--concurrency", type=concurrencies, default=[1, 4, 8],
                        help="requests in flight, comma-separated (default 1,4,8)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the median time is reported")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="milliseconds the emulator holds each lead request (default 0)")
    arguments = parser.parse_args()
    latency = arguments.latency / 1000
    leads = make_leads(arguments.leads)
    print("| requests | concurrency | trunkline records/s | capacity records/s | share of capacity |")
    print("| --- | --- | --- | --- | --- |")
    with EmulatorProcess(size="small") as target:
        for batch in (arguments.batch, None):
            for concurrency in arguments.concurrency:
                times: dict[str, list[float]] = {"trunkline": [], "capacity": []}
                for run in range(arguments.repeat):
                    times["trunkline"].append(measure(target, leads, batch, concurrency, latency, "trunkline",
                                                      run, run_trunkline))
                    times["capacity"].append(measure(target, leads, batch, concurrency, latency, "capacity",
                                                     run, run_capacity))
                rates = {how: len(leads) / statistics.median(seconds) for how, seconds in times.items()}
                label = f"batches of {batch}" if batch else "one per lead"
                print(f"| {label} | {concurrency} | {rates['trunkline']:,.0f} | {rates['capacity']:,.0f} | "
                      f"{rates['trunkline'] / rates['capacity']:.0%} |", flush=True)


if __name__ == "__main__":
    main()
