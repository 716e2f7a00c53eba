"""A Babelforce run survives what a long run meets: an access token that expires mid-run, a 429 with
Retry-After, a failing or silent service, and answers that never arrive whole — without sending a
create twice. Each test has its own emulator, so its request log and faults are its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.babelforce_access import babelforce_credential
from trunkline.api import deliver, read_source, run_source, stream_source
from trunkline.core.errors import AuthError
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.common.fault_profile import FaultProfile
from trunkline.emulators.server import RunningEmulator, start_in_thread
from trunkline.rest.http import RetryPolicy

QUICK = RetryPolicy(base_delay=0.01, max_delay=0.05)


@pytest.fixture
def bf() -> Iterator[RunningEmulator]:
    with start_in_thread(create_app(seed=3)) as running:
        yield running


def agents_source(bf: RunningEmulator) -> dict[str, Any]:
    return {"credential": babelforce_credential(bf), "template": "list_agents"}


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


def test_a_500_on_a_read_is_retried(bf):
    bf.app.state.control.add_fault(status=500, path_prefix="/api/v2/agents", count=1)
    records = read_source(agents_source(bf), retry=QUICK)
    assert [record["id"] for record in records] == [agent["id"] for agent in bf.app.state.data.agents]
    assert [entry["status"] for entry in logged(bf) if entry["path"] == "/api/v2/agents"][:2] == [500, 200]


def test_a_read_held_past_the_clients_timeout_is_abandoned_and_retried(bf):
    bf.app.state.control.add_fault(status=None, delay=2, path_prefix="/api/v2/agents", count=1)
    started = time.monotonic()
    records = read_source(agents_source(bf), retry=RetryPolicy(base_delay=0.01, timeout=0.3))
    assert len(records) == len(bf.app.state.data.agents)
    assert time.monotonic() - started < 1.8  # the client did not wait for the held answer


def test_a_create_whose_answer_is_cut_short_is_for_review_and_not_sent_again(bf, tmp_path: Path):
    bf.app.state.control.set_fault_profile(FaultProfile(rate=1, kinds=("truncated",), methods=("POST",)))
    destination = {"credential": babelforce_credential(bf), "template": "create_calendar"}
    summary = deliver(destination, [{"name": "Holidays", "timeZone": "Europe/Berlin"}],
                      rejects=tmp_path / "rejects.jsonl", retry=QUICK)
    assert summary.outcomes["review"] == 1 and summary.requests == 1
    assert [calendar["name"] for calendar in bf.app.state.data.by_id["calendars"].values()] == ["Holidays"]


def test_an_upsert_whose_create_failed_after_acting_is_sent_again_as_an_update(bf, tmp_path: Path):
    list_id = bf.app.state.data.outbound_lists[0]["id"]
    destination = {"credential": babelforce_credential(bf),
                   "template": "add_outbound_lead", "params": {"list_id": list_id},
                   "mode": "upsert"}
    lead = {"uid": "upsert-500", "number": "+4930555000", "rank": 3}
    bf.app.state.control.set_fault_profile(FaultProfile(rate=1, kinds=("500",), methods=("POST",)))
    first = deliver(destination, [lead], rejects=tmp_path / "first.jsonl", retry=QUICK)
    assert first.outcomes["failed"] == 1 and first.outcomes["review"] == 0  # safe to send again
    bf.app.state.control.set_fault_profile(None)
    second = deliver(destination, [{**lead, "rank": 4}], rejects=tmp_path / "second.jsonl", retry=QUICK)
    assert second.outcomes["delivered"] == 1
    stored = [item for item in bf.app.state.data.leads_by_list[list_id] if item["uid"] == "upsert-500"]
    assert len(stored) == 1 and stored[0]["rank"] == 4
    assert ("PUT", 200) in [(entry["method"], entry["status"]) for entry in logged(bf)]


def test_a_token_endpoint_that_is_briefly_unavailable_is_asked_again(bf):
    bf.app.state.control.add_fault(status=503, retry_after=0, path_prefix="/oauth/", count=2)
    records = read_source(agents_source(bf), retry=QUICK)
    assert len(records) == len(bf.app.state.data.agents)
    grants = [entry["status"] for entry in logged(bf) if entry["path"] == "/oauth/token"]
    assert grants == [503, 503, 200]


def test_a_token_endpoint_that_stays_unavailable_is_not_called_a_wrong_password(bf):
    bf.app.state.control.add_fault(status=503, retry_after=0, path_prefix="/oauth/", count=10)
    with pytest.raises(AuthError) as failed:
        read_source(agents_source(bf), retry=QUICK)
    assert "the token endpoint is unavailable; the username/password was not checked" in str(failed.value)
    assert "refused the username/password" not in str(failed.value)
    assert [entry["status"] for entry in logged(bf) if entry["path"] == "/oauth/token"] == [503] * 4
