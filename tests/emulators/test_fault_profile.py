"""The emulators' random fault profile: each kind as a client meets it over real HTTP, whether the
emulator acted before failing, the control endpoint, exemptions and seeded repeatability."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from trunkline.emulators.babelforce.app import create_app as create_babelforce
from trunkline.emulators.callrail.app import create_app as create_callrail
from trunkline.emulators.common.fault_profile import FAULT_KINDS, KIND_ACTS, FaultProfile, parse_fault_spec
from trunkline.emulators.server import RunningEmulator, start_in_thread


@pytest.fixture
def bf() -> Iterator[RunningEmulator]:
    with start_in_thread(create_babelforce(seed=4)) as running:
        yield running


def api(bf: RunningEmulator, timeout: float = 5.0) -> httpx.Client:
    creds = bf.app.state.credentials
    return httpx.Client(base_url=bf.base_url, timeout=timeout,
                        headers={"X-Auth-Access-Id": creds.access_id, "X-Auth-Access-Token": creds.access_token})


def always(kind: str, **options: Any) -> FaultProfile:
    return FaultProfile(**{"rate": 1.0, "kinds": (kind,), "retry_after": 0.5, "slow": 0.3, "hold": 1.0, **options})


@pytest.mark.parametrize(("spec", "message"), [
    ("rate=0.1,kinds=404", "unknown fault kind '404'"),
    ("rate=2", "between 0 and 1"),
    ("rate=often", "rate must be a number"),
    ("retry_after=5", "between 0 and 1 second"),
    ("sometimes", "has no key"),
    ("speed=1", "unknown key 'speed'"),
    ("methods=GET!", "HTTP methods"),
])
def test_a_bad_spec_says_what_is_wrong(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_fault_spec(spec)


def test_the_cli_form_lists_kinds_and_methods():
    assert parse_fault_spec("rate=0.1,kinds=429,500,503,timeout,reset,slow,truncated", seed=7) == \
        FaultProfile(rate=0.1, kinds=FAULT_KINDS, seed=7)
    assert parse_fault_spec("kinds=500,methods=post,put,hold=0.5,seed=3") == \
        FaultProfile(kinds=("500",), methods=("POST", "PUT"), hold=0.5, seed=3)


def test_refusals_carry_the_services_error_body(bf):
    with api(bf) as client:
        bf.app.state.control.set_fault_profile(always("429"))
        limited = client.get("/api/v2/agents")
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "0.5"
        assert limited.json()["success"] is False
        for kind in ("500", "503"):
            bf.app.state.control.set_fault_profile(always(kind))
            assert client.get("/api/v2/agents").status_code == int(kind)


def test_a_timeout_never_answers_and_a_reset_drops_the_connection(bf):
    bf.app.state.control.set_fault_profile(always("timeout"))
    started = time.monotonic()
    with api(bf, timeout=0.2) as client, pytest.raises(httpx.ReadTimeout):
        client.get("/api/v2/agents")  # held longer than the client waits
    assert time.monotonic() - started < 0.9
    with api(bf, timeout=5) as client, pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        client.get("/api/v2/agents")  # the hold ends with the connection closed, no answer
    bf.app.state.control.set_fault_profile(always("reset"))
    with api(bf) as client, pytest.raises(httpx.ReadError):
        client.get("/api/v2/agents")
    assert [entry["status"] for entry in bf.app.state.control.requests()[-2:]] == [None, None]


def test_slow_answers_late_and_truncated_answers_half_a_body(bf):
    with api(bf) as client:
        bf.app.state.control.set_fault_profile(always("slow"))
        started = time.monotonic()
        assert client.get("/api/v2/agents").status_code == 200
        assert time.monotonic() - started >= 0.3
        bf.app.state.control.set_fault_profile(always("truncated"))
        with pytest.raises(httpx.RemoteProtocolError, match="incomplete|complete message body"):
            client.get("/api/v2/agents")
    deadline = time.monotonic() + 5  # the client sees the cut before the server has logged the request
    while len(bf.app.state.control.requests()) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert bf.app.state.control.requests()[-1] | {"time": 0} == {
        "method": "GET", "path": "/api/v2/agents", "query": "", "status": 200, "auth": "access_id",
        "fault": "truncated", "time": 0}


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_whether_the_emulator_acts_before_failing(bf, kind):
    list_id = bf.app.state.data.outbound_lists[0]["id"]
    bf.app.state.control.set_fault_profile(always(kind, methods=("POST",), hold=0.05))
    with api(bf) as client:
        with contextlib.suppress(httpx.TransportError):
            client.post(f"/api/v2/outbound/lists/{list_id}/leads",
                        json={"uid": f"acts-{kind}", "number": "+4930123456", "rank": 1})
        assert client.get("/api/v2/agents").status_code == 200  # GETs are left alone
    stored = [lead for lead in bf.app.state.data.leads_by_list[list_id] if lead["uid"] == f"acts-{kind}"]
    assert len(stored) == int(KIND_ACTS[kind])
    assert bf.app.state.control.random_faults.status()["injected"] == {kind: 1}


def test_the_token_endpoint_and_the_controls_are_exempt(bf):
    bf.app.state.control.set_fault_profile(always("503"))
    creds = bf.app.state.credentials
    token = httpx.post(f"{bf.base_url}/oauth/token",
                       data={"grant_type": "password", "username": creds.username, "password": creds.password})
    assert token.status_code == 200
    assert httpx.get(f"{bf.base_url}/_emulator/health").status_code == 200


def test_the_profile_is_set_read_and_cleared_over_http_on_callrail():
    with start_in_thread(create_callrail(seed=4)) as cr:
        key = cr.app.state.credentials.api_key
        headers = {"Authorization": f'Token token="{key}"'}
        control = f"{cr.base_url}/_emulator/fault-profile"
        assert httpx.get(control).json() == {"profile": None, "injected": {}}
        bad = httpx.put(control, json={"rate": 0.5, "kinds": ["418"]})
        assert bad.status_code == 400 and "unknown fault kind '418'" in bad.json()["error"]
        set_ = httpx.put(control, json={"rate": 1, "kinds": "503", "seed": 2})
        assert set_.json()["profile"]["kinds"] == ["503"]
        refused = httpx.get(f"{cr.base_url}/v3/a.json", headers=headers)
        assert refused.status_code == 503 and "error" in refused.json()
        assert httpx.get(control).json()["injected"] == {"503": 1}
        assert cr.app.state.requests.entries()[-1]["fault"] == "503"
        assert cr.app.state.rate_limiter.usage()["general"]["hour"] == 0  # refused before it counted
        assert httpx.delete(control).json() == {"profile": None, "injected": {}}
        assert httpx.get(f"{cr.base_url}/v3/a.json", headers=headers).status_code == 200


def statuses_with(seed: int) -> list[int]:
    profile = FaultProfile(rate=0.5, kinds=("429", "503"), seed=seed, retry_after=0)
    with start_in_thread(create_babelforce(seed=4, faults=profile)) as running, api(running) as client:
        return [client.get("/api/v2/queues").status_code for _ in range(30)]


def test_the_same_seed_draws_the_same_faults():
    first = statuses_with(seed=5)
    assert first == statuses_with(seed=5)
    assert {429, 503, 200} == set(first)
    assert first != statuses_with(seed=6)
