"""The Babelforce emulator as the benchmarks use it: in its own process, with the page cache on.

Run as a script it builds the dataset, serves it on a free loopback port and prints one JSON line
(base URL and credentials); :class:`EmulatorProcess` starts it that way and stops it. Pages of
``CALLS_PATH`` are rendered once (``warm``) and then served as bytes, so the emulator's JSON
rendering is not part of what the benchmarks measure. One uvicorn worker: the clients fetch page
after page, so a second worker would only compete with them for the machine's two cores.

    python benchmarks/bench_emulator.py [--size large] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

CALLS_PATH = "/api/v2/calls/reporting"


@dataclass(frozen=True)
class Target:
    """Where the emulator listens and how to sign in to it (Babelforce access headers)."""

    base_url: str
    access_id: str
    access_token: str

    @property
    def headers(self) -> dict[str, str]:
        """The access headers every benchmarked client sends."""
        return {"X-Auth-Access-Id": self.access_id, "X-Auth-Access-Token": self.access_token}

    def as_args(self) -> list[str]:
        """The command-line arguments that hand this target to a benchmark subprocess."""
        return ["--base-url", self.base_url, "--access-id", self.access_id, "--access-token", self.access_token]


class EmulatorProcess:
    """The emulator in a subprocess (``with EmulatorProcess() as target: ...``)."""

    def __init__(self, size: str = "large", seed: int = 0) -> None:
        self.size = size
        self.seed = seed
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Target:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--size", self.size, "--seed", str(self.seed)],
            stdout=subprocess.PIPE, text=True, env=env,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the emulator process ended before it listened")
        return Target(**json.loads(line))

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)


def warm(target: Target, page_size: int) -> tuple[int, int]:
    """Fetch every calls page once so the emulator renders and caches it; returns (pages, records)."""
    pages = records = 0
    with httpx.Client(base_url=target.base_url, headers=target.headers, timeout=60) as client:
        page, total = 1, 1
        while page <= total:
            body = client.get(CALLS_PATH, params={"page": page, "max": page_size}).raise_for_status().json()
            total = body["pagination"]["pages"]
            pages, records, page = pages + 1, records + len(body["items"]), page + 1
    return pages, records


def serve_forever(size: str, seed: int) -> None:
    """Build the dataset, listen on a free loopback port, print the target as JSON, serve until stopped."""
    from trunkline.emulators.babelforce.app import create_app
    from trunkline.emulators.server import bind, serve

    started = time.perf_counter()
    app = create_app(seed=seed, size=size, cached_paths=[CALLS_PATH])
    sock = bind("127.0.0.1", 0)
    host, port = sock.getsockname()[:2]
    credentials = app.state.credentials
    print(json.dumps({"base_url": f"http://{host}:{port}", "access_id": credentials.access_id,
                      "access_token": credentials.access_token}), flush=True)
    print(f"emulator ready in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    serve(app, sock)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve the Babelforce emulator for the benchmarks.")
    parser.add_argument("--size", default="large", choices=["small", "large"])
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    serve_forever(arguments.size, arguments.seed)
