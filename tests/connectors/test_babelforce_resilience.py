"""A Babelforce run survives what a long run meets: an access token that expires mid-run and a 429
with Retry-After. Each test has its own emulator, so its request log and faults are its own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from trunkline.api import run_source, stream_source
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import RunningEmulator, start_in_thread


@pytest.fixture
def bf() -> Iterator[RunningEmulator]:
    with start_in_thread(create_app(seed=3)) as running:
        yield running


def agents_source(bf: RunningEmulator) -> dict[str, Any]:
    creds = bf.app.state.credentials
    return {"credential": {"service": "babelforce", "base_url": bf.base_url, "username": creds.username,
                           "password": creds.password},
            "template": "list_agents"}


def logged(bf: RunningEmulator) -> list[dict[str, Any]]:
    return bf.app.state.control.requests()


def test_an_access_token_expiring_mid_run_is_renewed_and_no_record_is_lost(bf):
    agents = bf.app.state.data.agents
    assert len(agents) > 100

    async def read_expiring_after_first_page() -> list[dict[str, Any]]:
        records = []
        async for record in stream_source(agents_source(bf)):
            records.append(record)
            if len(records) == 50:
                assert bf.app.state.control.expire_tokens() >= 1
        return records

    records = asyncio.run(read_expiring_after_first_page())
    assert [record["id"] for record in records] == [agent["id"] for agent in agents]
    calls = [(entry["method"], entry["path"], entry["status"]) for entry in logged(bf)]
    assert calls.count(("POST", "/oauth/token", 200)) == 2
    rejected = calls.index(("GET", "/api/v2/agents", 401))
    assert calls[rejected + 1] == ("POST", "/oauth/token", 200)
    assert calls[rejected + 2] == ("GET", "/api/v2/agents", 200)


def test_a_429_is_retried_after_the_time_the_server_asks_for(bf, tmp_path):
    bf.app.state.control.add_fault(status=429, retry_after=1, path_prefix="/api/v2/agents", count=1)
    summary = run_source(agents_source(bf), tmp_path / "agents.jsonl")
    assert summary.records == len(bf.app.state.data.agents)
    assert summary.retries == 1
    pages = [entry for entry in logged(bf) if entry["path"] == "/api/v2/agents"]
    assert [entry["status"] for entry in pages[:2]] == [429, 200]
    assert pages[0]["query"] == pages[1]["query"]
    assert pages[1]["time"] - pages[0]["time"] >= 1.0
    assert len((tmp_path / "agents.jsonl").read_text().splitlines()) == summary.records
