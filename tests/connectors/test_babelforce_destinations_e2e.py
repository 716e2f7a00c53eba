"""Every Babelforce destination template end to end against the emulator, judged by the state the
emulator holds afterwards (read back over its API), plus lead upsert and the dialer's hopper."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.babelforce_access import babelforce_credential
from trunkline.api import deliver
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import RunningEmulator, start_in_thread


@pytest.fixture
def bf() -> Iterator[RunningEmulator]:
    with start_in_thread(create_app(seed=21)) as running:
        yield running


def send(bf: RunningEmulator, tmp_path: Path, template: str, records: list[dict], **config: Any):
    destination = {"credential": babelforce_credential(bf), "template": template, **config}
    responses = tmp_path / f"{config['capture_responses']}.jsonl" if "capture_responses" in config else None
    return deliver(destination, records, rejects=tmp_path / f"{template}.rejected.jsonl", responses=responses)


def api(bf: RunningEmulator) -> httpx.Client:
    creds = bf.app.state.credentials
    token = httpx.post(f"{bf.base_url}/oauth/token", data={"grant_type": "password", "username": creds.username,
                                                          "password": creds.password}).json()["access_token"]
    return httpx.Client(base_url=bf.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def items(client: httpx.Client, path: str, **params: Any) -> list[dict]:
    found: list[dict] = []
    page = 1
    while True:
        body = client.get(path, params={"page": page, "max": 1000, **params}).json()
        found.extend(body["items"])
        if "pagination" not in body or page >= body["pagination"].get("pages", 1):
            return found
        page += 1


def rejected(tmp_path: Path, template: str) -> list[dict]:
    path = tmp_path / f"{template}.rejected.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def new_list(bf: RunningEmulator, client: httpx.Client, name: str) -> str:
    response = client.post("/api/v2/outbound/lists", json={"name": name})
    assert response.status_code == 200
    return response.json()["item"]["id"]


def test_add_outbound_lead_puts_leads_in_the_list_and_keeps_invalid_ones(bf, tmp_path):
    client = api(bf)
    list_id = new_list(bf, client, "crm import")
    leads = [{"uid": "crm-1", "number": "+4916098119998", "rank": 500, "data": {"address": "Main St 1"}},
             {"uid": "crm-2", "number": "030 1234567", "rank": "10"},
             {"uid": "crm-3", "number": "not a phone", "rank": 1},
             {"number": "+4930123456", "rank": 1}]
    summary = send(bf, tmp_path, "add_outbound_lead", leads, params={"list_id": list_id}, default_region="DE")
    assert summary.outcomes["delivered"] == 2 and summary.outcomes["invalid"] == 2
    stored = {lead["uid"]: lead for lead in items(client, f"/api/v2/outbound/lists/{list_id}/leads")}
    assert set(stored) == {"crm-1", "crm-2"}
    assert stored["crm-1"]["data"] == {"address": "Main St 1"} and stored["crm-1"]["rank"] == 500
    assert stored["crm-2"]["number"] == "+49301234567"
    reasons = {r["row"]: r["reason"] for r in rejected(tmp_path, "add_outbound_lead")}
    assert "number: 'not a phone'" in reasons[2] and "uid: is required" in reasons[3]


def test_upsert_updates_existing_uids_deletes_null_data_keys_and_never_duplicates(bf, tmp_path):
    client = api(bf)
    list_id = new_list(bf, client, "upsert list")
    first = [{"uid": f"u{n}", "number": f"+49301234{n:03d}", "rank": n, "data": {"old": "x", "keep": "k"}}
             for n in range(5)]
    send(bf, tmp_path, "add_outbound_lead", first, params={"list_id": list_id}, mode="upsert")
    changes = [{"uid": "u1", "number": "+49301234001", "rank": 99, "data": {"old": None, "new": "n"}},
               {"uid": "u9", "number": "+49301234009", "rank": 9},
               {"uid": "u9", "number": "+49301234009", "rank": 10}]
    summary = send(bf, tmp_path, "add_outbound_lead", changes, params={"list_id": list_id}, mode="upsert")
    assert summary.outcomes["delivered"] == 3
    stored = items(client, f"/api/v2/outbound/lists/{list_id}/leads")
    assert sorted(lead["uid"] for lead in stored) == ["u0", "u1", "u2", "u3", "u4", "u9"]
    by_uid = {lead["uid"]: lead for lead in stored}
    assert by_uid["u1"]["rank"] == 99 and by_uid["u1"]["data"] == {"keep": "k", "new": "n"}
    assert by_uid["u9"]["rank"] == 10


def test_upsert_holds_leads_in_the_hopper_and_reports_them(bf, tmp_path):
    client = api(bf)
    list_id = new_list(bf, client, "dialer list")
    campaign = client.post("/api/v2/outbound/campaigns", json={
        "name": "hopper test", "active": True, "testMode": False, "displayNumber": "+4930555000",
        "listOrder": "DOWN RANK"}).json()["item"]
    client.put(f"/api/v2/outbound/campaigns/{campaign['id']}/list", json={"listId": list_id})
    leads = [{"uid": f"h{n}", "number": f"+49301230{n:03d}", "rank": n} for n in range(1, 51)]
    send(bf, tmp_path, "add_outbound_lead", leads, params={"list_id": list_id})
    hopper = client.get(f"/api/v2/outbound/campaigns/{campaign['id']}/hopper").json()["items"]
    assert sorted(int(item["uid"][1:]) for item in hopper) == list(range(31, 51))  # the 20 highest ranks
    updates = [{"uid": "h40", "number": "+49301230040", "rank": 1}, {"uid": "h10", "number": "+49301230010",
                                                                    "rank": 100}]
    summary = send(bf, tmp_path, "add_outbound_lead", updates, params={"list_id": list_id}, mode="upsert")
    assert summary.outcomes["held"] == 1 and summary.outcomes["delivered"] == 1
    [held] = rejected(tmp_path, "add_outbound_lead")
    assert held["row"] == 0 and held["status"] == "held" and "hopper" in held["reason"]
    by_uid = {lead["uid"]: lead for lead in items(client, f"/api/v2/outbound/lists/{list_id}/leads")}
    assert by_uid["h40"]["rank"] == 40 and by_uid["h10"]["rank"] == 100


@pytest.mark.parametrize(("template", "record", "list_path"), [
    ("create_application", {"name": "Welcome menu", "module": "simpleMenu"}, "/api/v2/applications"),
    ("create_calendar", {"name": "Holidays DE", "timeZone": "Europe/Berlin"}, "/api/v2/calendars"),
    ("create_conversation", {"state": "open", "phone": "+4930123456"}, "/api/v2/conversations"),
    ("create_trigger", {"name": "VIP caller", "type": "ALL", "conditions": [
        {"expression": "call.from", "operator": "STARTS_WITH", "expectation": "+4930"}]}, "/api/v2/triggers"),
    ("create_user", {"email": "new.agent@example.com", "roles": ["agent"]}, "/api/v2/users"),
])
def test_create_templates_make_records_the_api_lists(bf, tmp_path, template, record, list_path):
    summary = send(bf, tmp_path, template, [record], capture_responses="created")
    assert summary.outcomes["delivered"] == 1
    listed = items(api(bf), list_path)
    key = next(iter(record))
    assert any(item.get(key) == record[key] for item in listed)


def test_create_outbound_campaign_and_list(bf, tmp_path):
    send(bf, tmp_path, "create_outbound_list", [{"name": "autumn"}, {"name": "winter"}])
    campaign = {"name": "Autumn sale", "active": False, "testMode": True, "displayNumber": "+4930555111",
                "listOrder": "UP"}
    send(bf, tmp_path, "create_outbound_campaign", [campaign])
    client = api(bf)
    lists = client.get("/api/v2/outbound/lists").json()["items"]
    assert {"autumn", "winter"} <= {item["name"] for item in lists}
    campaigns = client.get("/api/v2/outbound/campaigns").json()["items"]
    assert any(item["name"] == "Autumn sale" and item["testMode"] is True for item in campaigns)


def test_a_duplicate_list_name_is_refused_with_the_apis_message(bf, tmp_path):
    summary = send(bf, tmp_path, "create_outbound_list", [{"name": "dup"}, {"name": "dup"}])
    assert summary.outcomes == {"delivered": 1, "failed": 1, "invalid": 0, "review": 0, "held": 0}
    [refused] = rejected(tmp_path, "create_outbound_list")
    assert refused["row"] == 1 and refused["http_status"] in (400, 409)


def test_update_campaign_and_trigger_take_the_id_from_the_record(bf, tmp_path):
    client = api(bf)
    campaign = client.get("/api/v2/outbound/campaigns").json()["items"][0]
    send(bf, tmp_path, "update_campaign", [{"id": campaign["id"], "callRatio": 2.5, "active": False}])
    updated = client.get(f"/api/v2/outbound/campaigns/{campaign['id']}").json()["item"]
    assert updated["callRatio"] == 2.5 and updated["active"] is False
    trigger = items(client, "/api/v2/triggers")[0]
    send(bf, tmp_path, "update_trigger", [{"trigger": trigger["id"], "name": "renamed trigger"}],
         params={"id": "{trigger}"}, exclude=["trigger"])
    assert client.get(f"/api/v2/triggers/{trigger['id']}").json()["item"]["name"] == "renamed trigger"


def test_sessions_are_created_and_their_variables_updated(bf, tmp_path):
    summary = send(bf, tmp_path, "create_session", [{"customer": "ACME"}], capture_responses="sessions")
    assert summary.outcomes["delivered"] == 1
    [captured] = [json.loads(line) for line in (tmp_path / "sessions.jsonl").read_text().splitlines()]
    session_id = captured["body"]["item"]["id"]
    assert captured["input_rows"] == [0]
    send(bf, tmp_path, "update_session_variables", [{"session_id": session_id, "tier": "gold", "customer": None}])
    variables = api(bf).get(f"/api/v2/sessions/{session_id}").json()["item"]["data"]
    assert variables["tier"] == "gold" and "customer" not in variables
    assert "session_id" not in variables  # it names the session in the URL; by default it is no variable
    send(bf, tmp_path, "update_session_variables", [{"session_id": session_id, "channel": "web"}], exclude=[])
    variables = api(bf).get(f"/api/v2/sessions/{session_id}").json()["item"]["data"]
    assert variables["channel"] == "web" and variables["session_id"] == session_id  # exclude: [] sends it all


def test_send_sms_submit_task_start_sync_and_scim(bf, tmp_path):
    assert send(bf, tmp_path, "send_sms", [{"to": "+4915112345678", "text": "Your appointment is at 10"},
                                           {"to": "nope", "text": "x"}]).outcomes["invalid"] == 1
    assert any(sms["to"] == "+4915112345678" for sms in items(api(bf), "/api/v2/sms"))
    task = send(bf, tmp_path, "submit_task", [{"body": {"ticket": 42}, "type": "crm.callback"}],
                capture_responses="tasks")
    assert task.outcomes["delivered"] == 1
    task_id = json.loads((tmp_path / "tasks.jsonl").read_text())["body"]["id"]
    assert api(bf).get(f"/api/v3/tasks/{task_id}").json()["body"] == {"ticket": 42}
    sync = send(bf, tmp_path, "start_sync", [{"target": "sandbox"}], capture_responses="syncs")
    assert sync.outcomes["delivered"] == 1
    job_id = json.loads((tmp_path / "syncs.jsonl").read_text())["body"]["item"]["id"]
    assert api(bf).get(f"/api/v2/env-sync/jobs/{job_id}").status_code == 200
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "scim.user@example.com",
            "name": {"givenName": "Scim", "familyName": "User"}, "active": True}
    assert send(bf, tmp_path, "create_user_scim", [user, user]).outcomes["failed"] == 1
    scim = api(bf).get("/auth/scim/v2/Users", params={"count": 1000}).json()["Resources"]
    assert any(resource["userName"] == "scim.user@example.com" for resource in scim)
