"""A service that asks to wait too long ends the run as partial, and the next run continues; a revoked
credential is a clear error after one request, never a loop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.babelforce_access import babelforce_credential
from trunkline.api import read_source
from trunkline.core.errors import AuthError
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import RunningEmulator, start_in_thread
from trunkline.flows.runner import load_flow, run_flow
from trunkline.store.metadata import open_store
from trunkline.store.nexsets import NexsetStore


@pytest.fixture
def bf() -> Iterator[RunningEmulator]:
    with start_in_thread(create_app(seed=51)) as running:
        yield running


def test_a_long_retry_after_makes_the_run_partial_and_the_next_run_resumes(bf, tmp_path: Path):
    creds = bf.app.state.credentials
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    flow = load_flow({
        "name": "calls", "source": {"credential": {"service": "babelforce", "base_url": bf.base_url,
                                                   "username": creds.username, "password": creds.password},
                                    "template": "list_call_records"},
        "incremental": {"start": start.isoformat(), "window": "1 day"},
        "retry": {"max_retry_after": 1},
    })
    home = tmp_path / "home"
    nexsets = NexsetStore(home)

    def after_first_window(step: str, numbers: dict) -> None:
        if step == "fetch" and not bf.app.state.control.faults():
            bf.app.state.control.add_fault(status=429, retry_after=30, path_prefix="/api/v2/calls", count=1)

    with open_store(home, url="") as store:
        first = asyncio.run(run_flow(flow, store=store, nexsets=nexsets, home=home, on_progress=after_first_window))
        assert first.status == "partial" and first.counts["windows"] == 1
        assert "asks to wait 30s" in first.error and "next run resumes" in first.error
        second = asyncio.run(run_flow(flow, store=store, nexsets=nexsets, home=home))
        assert second.status == "succeeded" and second.counts["windows"] in (2, 3)  # + the seconds since start
    ids = [record["id"] for record in nexsets.read("calls")]
    data = bf.app.state.data
    end = datetime.fromisoformat(second.started_at)
    expected = {call["id"] for call, created in zip(data.calls, data.call_epochs, strict=True)
                if start.timestamp() <= created < end.timestamp()}
    assert len(ids) == len(set(ids)) and set(ids) <= expected and len(ids) >= len(expected) - 5


def test_a_revoked_access_token_is_a_clear_error_after_one_request(bf):
    creds = bf.app.state.credentials
    source = {"credential": {"service": "babelforce", "base_url": bf.base_url, "access_id": creds.access_id,
                             "access_token": "0" * 32}, "template": "list_agents"}
    with pytest.raises(AuthError, match="refused the credential"):
        read_source(source)
    assert [entry["status"] for entry in bf.app.state.control.requests()] == [401]


def test_a_password_changed_mid_run_stops_with_a_clear_error_not_a_loop(bf):
    source = {"credential": babelforce_credential(bf), "template": "list_agents"}
    assert read_source(source, limit=1)
    bf.app.state.control.expire_tokens(refresh_tokens=True)
    wrong = {**source, "credential": {**source["credential"], "password": "no-longer-valid"}}
    with pytest.raises(AuthError):
        read_source(wrong)
    assert len(bf.app.state.control.requests()) <= 4
