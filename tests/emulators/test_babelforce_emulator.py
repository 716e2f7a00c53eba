"""The Babelforce emulator over real HTTP: auth, envelopes, paging and its aliases, time filters,
metrics, and the test controls (faults, token expiry, request log)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.babelforce.auth import Principal, TokenStore
from trunkline.emulators.babelforce.data import Dataset, build_dataset
from trunkline.emulators.server import RunningEmulator, start_in_thread

DAY = 86_400


def login(base_url: str, username: str, password: str) -> httpx.Response:
    return httpx.post(f"{base_url}/oauth/token",
                      data={"grant_type": "password", "username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def data(babelforce_emulator: RunningEmulator) -> Dataset:
    return babelforce_emulator.app.state.data


@pytest.fixture(scope="module")
def client(babelforce_emulator: RunningEmulator) -> Iterator[httpx.Client]:
    creds = babelforce_emulator.app.state.credentials
    token = login(babelforce_emulator.base_url, creds.username, creds.password).json()["access_token"]
    with httpx.Client(base_url=babelforce_emulator.base_url, headers=bearer(token)) as http:
        yield http


@pytest.fixture(scope="module")
def private() -> Iterator[RunningEmulator]:
    """An emulator of its own, for tests that change state (faults, token expiry, request log)."""
    with start_in_thread(create_app(seed=3)) as running:
        yield running


def collect(client: httpx.Client, url: str) -> tuple[list[dict], int]:
    """Follow ``pagination.next`` links; returns every item and the number of pages fetched."""
    items, pages = [], 0
    while url:
        body = client.get(url).raise_for_status().json()
        items += body["items"]
        pages += 1
        url = body["pagination"].get("next")
    return items, pages


def day_window(data: Dataset) -> tuple[int, int, list[str]]:
    """The last day (ending at the dataset anchor) and the ids of the calls created in it, newest first."""
    start, end = data.now_epoch - DAY, data.now_epoch
    ids = [call["id"] for call in data.calls if start <= data.call_stats[call["id"]].epoch < end]
    return start, end, ids


# --- startup and data ---------------------------------------------------------------------------

def test_app_starts_and_serves_within_a_second():
    started = time.perf_counter()
    with start_in_thread(create_app(seed=11)) as running:
        assert httpx.get(f"{running.base_url}/_emulator/health").json()["status"] == "ok"
        assert time.perf_counter() - started < 1.0
    assert running.base_url.startswith("http://127.0.0.1:")


def test_dataset_is_deterministic_and_realistic():
    anchor = datetime(2026, 6, 24, 10, 15, tzinfo=UTC)
    first, second = build_dataset(5, now=anchor), build_dataset(5, now=anchor)
    assert first.calls == second.calls and first.agents == second.agents and first.tasks == second.tasks
    assert build_dataset(6, now=anchor).calls != first.calls
    assert len(first.agents) == 230 and len(first.queues) == 12 and len(first.users) == 40
    assert 1_900 <= len(first.calls) <= 2_100
    assert all(len(call["id"]) == 32 and "-" not in call["id"] for call in first.calls)
    assert any("parentId" in call for call in first.calls)
    assert all(call["dateCreated"].endswith("Z") and call["dateCreated"] <= "2026-06-24T10:15:00Z"
               for call in first.calls)
    assert all(len(task["id"]) == 36 for task in first.tasks)
    assert all(60 <= len(leads) <= 250 for leads in first.leads_by_list.values())


def test_token_store_expires_tokens_after_ttl():
    clock = [1000.0]
    store = TokenStore(ttl=60, clock=lambda: clock[0])
    access, _ = store.issue(Principal("u", "u@example.com", "manager"))
    assert store.lookup(access) is not None
    clock[0] += 60
    assert store.lookup(access) is None


# --- auth ---------------------------------------------------------------------------------------

def test_password_grant_returns_a_bearer_token(babelforce_emulator):
    creds = babelforce_emulator.app.state.credentials
    response = login(babelforce_emulator.base_url, creds.username, creds.password)
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "bearer" and body["expires_in"] == 43_200 and body["scope"] == "*"
    assert len(body["access_token"]) >= 32


@pytest.mark.parametrize(("form", "error"), [
    ({"grant_type": "password", "username": "manager@example.com", "password": "wrong"}, "invalid_grant"),
    ({"grant_type": "client_credentials", "client_id": "x"}, "unsupported_grant_type"),
    ({"username": "manager@example.com"}, "invalid_request"),
])
def test_token_errors_follow_rfc_6749(babelforce_emulator, form, error):
    response = httpx.post(f"{babelforce_emulator.base_url}/oauth/token", data=form)
    assert response.status_code == 400
    assert response.json()["error"] == error and response.json()["error_description"]


def test_refresh_tokens_rotate(babelforce_emulator):
    creds = babelforce_emulator.app.state.credentials
    refresh = login(babelforce_emulator.base_url, creds.username, creds.password).json()["refresh_token"]
    url = f"{babelforce_emulator.base_url}/oauth/token"
    renewed = httpx.post(url, data={"grant_type": "refresh_token", "refresh_token": refresh})
    assert renewed.status_code == 200 and renewed.json()["refresh_token"] != refresh
    assert httpx.post(url, data={"grant_type": "refresh_token", "refresh_token": refresh}).status_code == 400


@pytest.mark.parametrize("names", [("X-Auth-Access-Id", "X-Auth-Access-Token"),
                                   ("x-auth-access-id", "x-auth-access-token"),
                                   ("X-Auth-Access-ID", "X-Auth-Access-Token")])
def test_access_id_headers_authenticate(babelforce_emulator, names):
    creds = babelforce_emulator.app.state.credentials
    headers = {names[0]: creds.access_id, names[1]: creds.access_token}
    response = httpx.get(f"{babelforce_emulator.base_url}/api/v2/queues", headers=headers)
    assert response.status_code == 200 and len(response.json()["items"]) == 12, response.text


def test_typo_authentication_header_is_accepted(babelforce_emulator, client):
    token = client.headers["Authorization"].split()[1]
    response = httpx.get(f"{babelforce_emulator.base_url}/api/v2/queues", headers={"Authentication": f"Bearer {token}"})
    assert response.status_code == 200


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer not-a-token"},
    {"Authorization": "Basic abc"},
    {"X-Auth-Access-Id": "0" * 32, "X-Auth-Access-Token": "0" * 32},
])
def test_missing_or_wrong_credentials_get_401(babelforce_emulator, headers):
    for path in ("/api/v2/agents", "/api/v3/tasks", "/auth/scim/v2/Users"):
        response = httpx.get(f"{babelforce_emulator.base_url}{path}", headers=headers)
        assert response.status_code == 401
        body = response.json()
        assert body["success"] is False and body["code"] == "UNAUTHORIZED" and body["message"]


def test_agent_token_is_limited_to_the_agent_and_user_apis(babelforce_emulator, data):
    creds = babelforce_emulator.app.state.credentials
    token = login(babelforce_emulator.base_url, creds.agent_username, creds.agent_password).json()["access_token"]
    with httpx.Client(base_url=babelforce_emulator.base_url, headers=bearer(token)) as agent:
        forbidden = agent.get("/api/v2/agents")
        assert forbidden.status_code == 403
        assert forbidden.json()["code"] == "FORBIDDEN" and forbidden.json()["success"] is False
        assert agent.get("/api/v2/user/me").json()["item"]["username"] == creds.agent_username
        conference = agent.get("/api/v2/agent/conferences/current").json()["item"]
    agent_id = data.agent_user["agent"]["uuid"]
    assert conference["state"] == "created"
    assert agent_id in [member["agent"]["id"] for member in conference["members"] if member and "agent" in member]


def test_manager_has_no_current_conference(client):
    assert client.get("/api/v2/agent/conferences/current").json() == {"item": None, "success": True}


def test_user_account_exposes_the_access_keys(client, babelforce_emulator):
    creds = babelforce_emulator.app.state.credentials
    apis = client.get("/api/v2/user/account").json()["item"]["customer"]["apis"]["babelforce"]
    assert apis == {"accessId": creds.access_id, "accessToken": creds.access_token}


# --- items and errors ---------------------------------------------------------------------------

def test_items_and_not_found(client, data):
    call = data.calls[10]
    assert client.get(f"/api/v2/calls/{call['id']}").json() == {"item": call, "success": True}
    hyphenated = "-".join((call["id"][:8], call["id"][8:12], call["id"][12:16], call["id"][16:20], call["id"][20:]))
    for path in (f"/api/v2/calls/{hyphenated}", "/api/v2/agents/" + "f" * 32, "/api/v2/outbound/lists/nope/leads"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["success"] is False and response.json()["code"] == "NOT_FOUND"


def test_session_variables(client, data):
    call = next(call for call in data.calls if "bridged" in call and "parentId" not in call)
    session = client.get(f"/api/v2/sessions/{call['sessionId']}").json()["item"]
    assert session["id"] == call["sessionId"] and session["data"]["call.id"] == call["id"]
    assert session["data"]["agent.name"] == call["bridged"]["name"]


# --- paging -------------------------------------------------------------------------------------

def test_v2_paging_covers_the_whole_collection(client, data):
    first = client.get("/api/v2/agents").json()
    assert first["pagination"] == {"pages": 10, "total": 230, "current": 1, "max": 25, "maxResults": 25,
                                   "next": "/api/v2/agents?page=2"}
    items, pages = collect(client, "/api/v2/agents?max=100")
    assert pages == 3 and [agent["id"] for agent in items] == [agent["id"] for agent in data.agents]
    last = client.get("/api/v2/agents?max=100&page=3").json()["pagination"]
    assert last["current"] == 3 and "next" not in last


def test_page_size_and_offset_limit_aliases(client, data):
    assert client.get("/api/v2/agents?pageSize=40").json()["items"] == data.agents[:40]
    body = client.get("/api/v2/agents?offset=50&limit=30").json()
    assert body["items"] == data.agents[50:80]
    assert body["pagination"]["next"] == "/api/v2/agents?limit=30&offset=80"
    items, _ = collect(client, "/api/v2/agents?limit=100&offset=0")
    assert len(items) == len(data.agents)
    assert client.get("/api/v2/agents?max=zero").status_code == 400


def test_filters_on_agents(client, data):
    enabled = collect(client, "/api/v2/agents?max=1000&enabled=true")[0]
    assert len(enabled) == sum(agent["enabled"] for agent in data.agents)
    agent = next(agent for agent in data.agents if "sourceId" in agent)
    assert client.get(f"/api/v2/agents?sourceId={agent['sourceId']}").json()["items"] == [agent]


def test_unpaged_envelopes(client, data):
    for path, expected in (("/api/v2/outbound/lists", data.outbound_lists),
                           ("/api/v2/outbound/campaigns", data.outbound_campaigns)):
        assert client.get(path).json() == {"items": expected, "success": True}
    ids = client.get("/api/v2/metrics/ids").json()
    assert ids["success"] is True and "calls.total" in ids["items"] and "pagination" not in ids


def test_leads_are_paged_and_filtered_by_status(client, data):
    lead_list = data.outbound_lists[0]
    leads = data.leads_by_list[lead_list["id"]]
    items, _ = collect(client, f"/api/v2/outbound/lists/{lead_list['id']}/leads?max=100")
    assert items == leads and lead_list["count"] == len(leads)
    fresh = client.get(f"/api/v2/outbound/lists/{lead_list['id']}/leads?status=new&max=1000").json()["items"]
    assert fresh == [lead for lead in leads if lead["status"] == "new"]


def test_users_on_one_page_and_scim(client, data):
    body = client.get("/api/v2/users").json()
    assert len(body["items"]) == 40 and body["pagination"]["pages"] == 1
    scim = client.get("/auth/scim/v2/Users?startIndex=11&count=10").json()
    assert scim["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert (scim["totalResults"], scim["startIndex"], scim["itemsPerPage"]) == (40, 11, 10)
    assert [user["id"] for user in scim["Resources"]] == [user["id"] for user in data.users[10:20]]
    found = client.get('/auth/scim/v2/Users?filter=userName eq "agent@example.com"').json()
    assert found["totalResults"] == 1 and found["Resources"][0]["userName"] == "agent@example.com"


def test_v3_tasks_and_the_v2_alias(client, data):
    body = client.get("/api/v3/tasks?page=2&page_size=100").json()
    assert body["_metadata"] == {"page": 2, "per_page": 100, "page_count": 3, "total_count": len(data.tasks)}
    assert body["records"] == data.tasks[100:200]
    assert client.get("/api/v2/tasks?page=2&page_size=100").json() == body
    completed = client.get("/api/v3/tasks?filter=state==Completed&page_size=100").json()
    assert completed["_metadata"]["total_count"] == sum(task["state"] == "Completed" for task in data.tasks)
    bad = client.get("/api/v3/tasks?page_size=101")
    assert bad.status_code == 400 and bad.json()["error_message"]


# --- calls --------------------------------------------------------------------------------------

def test_call_reporting_time_filters_in_every_spelling(client, data):
    start, end, expected = day_window(data)
    assert len(expected) > 100
    spellings = (
        f"/api/v2/calls/reporting?time.start={start}&time.end={end}&max=100",
        f"/api/v2/calls/reporting?filters.dateCreated.from={start}&filters.dateCreated.to={end}&max=100",
        f"/api/v2/calls/reporting?dateCreated.start={start}&dateCreated.end={end}&max=100",
        f"/api/v2/calls/reporting?filters.time.start={start}&filters.time.end={end}&max=100",
    )
    for url in spellings:
        items, pages = collect(client, url)
        assert [call["id"] for call in items] == expected and pages == 2


def test_calls_alias_takes_iso_dates_and_offset_limit(client, data):
    start, end, expected = day_window(data)
    start_iso = datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    end_iso = datetime.fromtimestamp(end, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    items, pages = collect(client, f"/api/v2/calls?startDate={start_iso}&endDate={end_iso}&offset=0&limit=100")
    assert [call["id"] for call in items] == expected and pages == 2


def test_call_filters_and_ordering(client, data):
    calls = collect(client, "/api/v2/calls/reporting?max=1000")[0]
    assert [call["dateCreated"] for call in calls] == sorted((call["dateCreated"] for call in calls), reverse=True)
    agent_id = data.calls[100]["bridged"]["id"] if "bridged" in data.calls[100] else data.agents[5]["id"]
    mine = collect(client, f"/api/v2/calls/reporting?agentId={agent_id}&max=1000")[0]
    assert mine == [call for call in data.calls if call.get("bridged", {}).get("id") == agent_id]
    queue_id = data.queues[0]["id"]
    queued = collect(client, f"/api/v2/calls/reporting?filters.queueId={queue_id}&state=completed&max=1000")[0]
    assert queued == [call for call in data.calls
                      if call.get("bridged", {}).get("queueId") == queue_id and call["state"] == "completed"]
    parent = next(call for call in data.calls if "parentId" in call)["parentId"]
    legs = client.get(f"/api/v2/calls/reporting?parentId={parent}").json()["items"]
    assert legs and all(leg["parentId"] == parent for leg in legs)


def test_simple_reporting_rows(client, data):
    rows = client.get("/api/v2/calls/reporting/simple?max=50").json()["items"]
    assert [row["id"] for row in rows] == [call["id"] for call in data.calls[:50]]
    for row in rows:
        assert row["type"] in ("inboundCall", "outboundCall")
        assert row["handleTime"] == row["talkTime"] + row["holdTime"] + row["wrapupTime"]


# --- metrics ------------------------------------------------------------------------------------

def test_call_metrics_match_the_data(client, data):
    start, end, _ = day_window(data)
    top_level = [call for call in data.calls
                 if "parentId" not in call and start <= data.call_stats[call["id"]].epoch < end]
    body = client.get(f"/api/v2/metrics/calls.total?from={start}&to={end}").json()
    assert body["metric"]["value"] == len(top_level) and body["success"] is True
    assert body["request"]["timeRange"]["duration"] == DAY
    durations = [call["duration"] for call in top_level if "dateFinished" in call]
    expected = round(sum(durations) / len(durations), 2)
    assert client.get(f"/api/v2/metrics/calls.duration.avg?from={start}&to={end}").json()["metric"]["value"] == expected
    alias = client.get(f"/api/v2/metrics/calls.duration/avg?from={start}&to={end}").json()
    assert alias["id"] == "calls.duration.avg" and alias["metric"]["value"] == expected
    wrapup = client.get(f"/api/v2/metrics/queues.wrapup.avg?from={start}&to={end}").json()["metric"]["value"]
    assert client.get(f"/api/v2/metrics/wrapup/avg?from={start}&to={end}").json()["metric"]["value"] == wrapup


def test_agent_metrics_and_definitions(client, data):
    enabled = client.get("/api/v2/metrics/agents.total?enabled=true").json()["metric"]["value"]
    assert enabled == sum(agent["enabled"] for agent in data.agents)
    in_call = client.get("/api/v2/metrics/agents.state.in_call.total").json()["metric"]["value"]
    assert in_call == sum(agent["enabled"] and agent["state"] == "in-call" for agent in data.agents)
    filters = client.get("/api/v2/metrics/calls.total/describe").json()["item"]["filters"]
    assert {"from", "to", "agentId", "queueId"} <= {spec["name"] for spec in filters}
    assert client.get("/api/v2/metrics/no.such.metric").status_code == 404


def test_agent_sync_is_a_completed_job(client, data):
    job = client.post("/api/v2/agents/sync").json()["item"]
    counts = job["agents"]
    assert job["status"] == "completed"
    assert counts["total"] == sum("sourceId" in agent for agent in data.agents)
    assert counts["created"] + counts["updated"] + counts["unchanged"] == counts["total"]


# --- controls -----------------------------------------------------------------------------------

def test_injected_429_carries_retry_after(private):
    creds = private.app.state.credentials
    headers = {"X-Auth-Access-Id": creds.access_id, "X-Auth-Access-Token": creds.access_token}
    fault = {"status": 429, "count": 2, "retry_after": 3, "path_prefix": "/api/v2/queues"}
    assert httpx.post(f"{private.base_url}/_emulator/faults", json=fault).status_code == 201
    with httpx.Client(base_url=private.base_url, headers=headers) as http:
        assert http.get("/api/v2/agents").status_code == 200
        for _ in range(2):
            limited = http.get("/api/v2/queues")
            assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
            assert limited.json()["code"] == "RATE_LIMITED" and limited.json()["success"] is False
        assert http.get("/api/v2/queues").status_code == 200
        httpx.post(f"{private.base_url}/_emulator/faults", json={"status": 503})
        assert http.get("/api/v2/sms").status_code == 503
        assert http.get("/api/v2/sms").status_code == 200


def test_expired_tokens_get_401(private):
    creds = private.app.state.credentials
    token = login(private.base_url, creds.username, creds.password).json()["access_token"]
    assert httpx.get(f"{private.base_url}/api/v2/queues", headers=bearer(token)).status_code == 200
    assert httpx.post(f"{private.base_url}/_emulator/tokens/expire").json()["expired"] >= 1
    assert httpx.get(f"{private.base_url}/api/v2/queues", headers=bearer(token)).status_code == 401
    fresh = login(private.base_url, creds.username, creds.password).json()["access_token"]
    assert httpx.get(f"{private.base_url}/api/v2/queues", headers=bearer(fresh)).status_code == 200


def test_request_log(private):
    creds = private.app.state.credentials
    assert httpx.delete(f"{private.base_url}/_emulator/requests").json() == {"requests": []}
    httpx.get(f"{private.base_url}/api/v2/agents?max=5")
    httpx.get(f"{private.base_url}/api/v2/agents?max=5",
              headers={"X-Auth-Access-Id": creds.access_id, "X-Auth-Access-Token": creds.access_token})
    log = httpx.get(f"{private.base_url}/_emulator/requests").json()["requests"]
    assert [(entry["auth"], entry["status"]) for entry in log] == [("none", 401), ("access_id", 200)]
    assert log[0]["method"] == "GET" and log[0]["path"] == "/api/v2/agents" and log[0]["query"] == "max=5"
