"""The Babelforce emulator's write paths over real HTTP: every path the destination templates use,
read back through the API; validation, unknown ids and rights; bulk leads; the dialer hopper."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.babelforce.data import Dataset
from trunkline.emulators.server import RunningEmulator, start_in_thread

SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture(scope="module")
def bf() -> Iterator[RunningEmulator]:
    """An emulator of its own: these tests change its state."""
    with start_in_thread(create_app(seed=21)) as running:
        yield running


@pytest.fixture(scope="module")
def data(bf: RunningEmulator) -> Dataset:
    return bf.app.state.data


def _client(bf: RunningEmulator, username: str, password: str) -> httpx.Client:
    form = {"grant_type": "password", "username": username, "password": password}
    token = httpx.post(f"{bf.base_url}/oauth/token", data=form).json()["access_token"]
    return httpx.Client(base_url=bf.base_url, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="module")
def client(bf: RunningEmulator) -> Iterator[httpx.Client]:
    creds = bf.app.state.credentials
    with _client(bf, creds.username, creds.password) as http:
        yield http


@pytest.fixture(scope="module")
def agent(bf: RunningEmulator) -> Iterator[httpx.Client]:
    creds = bf.app.state.credentials
    with _client(bf, creds.agent_username, creds.agent_password) as http:
        yield http


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def created(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    """The item of a successful write, after checking status and envelope."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True and set(body) == {"item", "success"}
    return body["item"]


def invalid(response: httpx.Response, message_start: str) -> None:
    """A v2 validation error whose message starts with the field's path."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["success"] is False and body["code"] == "VALIDATION_ERROR"
    assert body["message"].startswith(message_start), body["message"]


def new_list(client: httpx.Client) -> dict[str, Any]:
    return created(client.post("/api/v2/outbound/lists", json={"name": unique("List")}))


def lead(uid: str, rank: int, **extra: Any) -> dict[str, Any]:
    return {"uid": uid, "number": f"+4915112{rank:06d}", "rank": rank, **extra}


def all_leads(client: httpx.Client, list_id: str) -> list[dict[str, Any]]:
    return client.get(f"/api/v2/outbound/lists/{list_id}/leads?max=1000").raise_for_status().json()["items"]


def new_campaign(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"name": unique("Campaign"), "active": True, "testMode": False, "displayNumber": "+4930123456",
            "listOrder": "DOWN RANK", **fields}
    return created(client.post("/api/v2/outbound/campaigns", json=body), 201)


def hopper(client: httpx.Client, campaign_id: str) -> list[dict[str, Any]]:
    body = client.get(f"/api/v2/outbound/campaigns/{campaign_id}/hopper").raise_for_status().json()
    assert body["success"] is True
    return body["items"]


def dial(bf: RunningEmulator, campaign_id: str, count: int) -> httpx.Response:
    return httpx.post(f"{bf.base_url}/_emulator/dialer/{campaign_id}/dial", json={"count": count})


def ranked_campaign(client: httpx.Client, count: int, **fields: Any) -> tuple[dict, dict, dict[int, dict]]:
    """A campaign working a new list of ``count`` leads ranked 1..count (posted shuffled); returns the
    campaign, the list and the leads by rank."""
    lead_list = new_list(client)
    ranks = list(range(1, count + 1))
    random.Random(count).shuffle(ranks)
    response = client.post(f"/api/v2/outbound/lists/{lead_list['id']}/leads",
                           json=[lead(f"crm-{rank}", rank) for rank in ranks])
    by_rank = {item["rank"]: item for item in response.raise_for_status().json()["items"]}
    campaign = new_campaign(client, leadList={"id": lead_list["id"]}, **fields)
    return campaign, lead_list, by_rank


# --- lists and leads ----------------------------------------------------------------------------

def test_create_outbound_list(client, data):
    name = unique("Spring leads")
    item = created(client.post("/api/v2/outbound/lists", json={"name": name}))
    assert item == {"id": item["id"], "name": name, "count": 0} and len(item["id"]) == 32
    assert client.get(f"/api/v2/outbound/lists/{item['id']}").json()["item"] == item
    assert item in client.get("/api/v2/outbound/lists").json()["items"]
    assert data.leads_by_list[item["id"]] == []
    invalid(client.post("/api/v2/outbound/lists", json={"name": name.upper()}), "name '")
    invalid(client.post("/api/v2/outbound/lists", json={}), "name is required")


def test_add_lead_reads_back(client, data):
    lead_list = new_list(client)
    body = {"uid": "uuid_100", "number": "4916098119998", "rank": 500,
            "data": {"address": "martin mendalde", "new data": "new"}}
    item = created(client.post(f"/api/v2/outbound/lists/{lead_list['id']}/leads", json=body))
    assert {key: item[key] for key in body} == body
    assert item["listId"] == lead_list["id"] and item["status"] == "new" and item["callCount"] == 0
    assert {"id", "duration", "calledSinceReset", "dateCreated", "lastUpdated"} <= set(item)
    assert all_leads(client, lead_list["id"]) == [item]
    assert client.get(f"/api/v2/outbound/lists/{lead_list['id']}/leads/{item['id']}").json()["item"] == item
    assert client.get(f"/api/v2/outbound/lists/{lead_list['id']}").json()["item"]["count"] == 1
    assert data.leads_by_list[lead_list["id"]] == [item]
    found = client.get(f"/api/v2/outbound/lists/{lead_list['id']}/leads?uid=uuid_100").json()["items"]
    assert [found_lead["id"] for found_lead in found] == [item["id"]]


@pytest.mark.parametrize(("body", "message"), [
    ({"number": "+4930123456", "rank": 1}, "uid is required"),
    ({"uid": "a", "rank": 1}, "number is required"),
    ({"uid": "a", "number": "+4930123456"}, "rank is required"),
    ({"uid": "a", "number": "call me", "rank": 1}, "number must be a phone number"),
    ({"uid": "a", "number": "12345", "rank": 1}, "number must be a phone number"),
    ({"uid": "a", "number": "+4930123456", "rank": "5"}, "rank must be an integer"),
    ({"uid": "a", "number": "+4930123456", "rank": 1.5}, "rank must be an integer"),
    ({"uid": "a", "number": "+4930123456", "rank": 1, "data": {"age": 42}}, "data.age must be a string or null"),
    ({"uid": "a", "number": "+4930123456", "rank": 1, "data": "x"}, "data must be an object"),
])
def test_lead_validation_names_the_field(client, body, message):
    lead_list = new_list(client)
    invalid(client.post(f"/api/v2/outbound/lists/{lead_list['id']}/leads", json=body), message)
    assert all_leads(client, lead_list["id"]) == []


def test_lead_uid_is_unique_in_its_list(client):
    lead_list = new_list(client)
    url = f"/api/v2/outbound/lists/{lead_list['id']}/leads"
    created(client.post(url, json=lead("dup", 1)))
    invalid(client.post(url, json=lead("dup", 2)), "uid 'dup' is already used")


def test_bulk_leads_as_an_array_and_as_a_property(client):
    lead_list = new_list(client)
    url = f"/api/v2/outbound/lists/{lead_list['id']}/leads"
    first = client.post(url, json=[lead("b-1", 1), lead("b-2", 2, data={"source": "crm"}), lead("b-3", 3)])
    assert first.status_code == 200 and first.json()["success"] is True
    assert [item["uid"] for item in first.json()["items"]] == ["b-1", "b-2", "b-3"]
    second = client.post(url, json={"leads": [lead("b-4", 4), lead("b-5", 5)], "batch": "nightly"})
    assert second.status_code == 200 and len(second.json()["items"]) == 2
    stored = all_leads(client, lead_list["id"])
    assert [item["uid"] for item in stored] == ["b-1", "b-2", "b-3", "b-4", "b-5"]
    assert stored[1]["data"] == {"source": "crm"}
    assert client.get(f"/api/v2/outbound/lists/{lead_list['id']}").json()["item"]["count"] == 5


@pytest.mark.parametrize(("batch", "message"), [
    ([lead("x-0", 1), lead("x-1", 2), lead("x-2", 3), {"uid": "x-3", "number": "n/a", "rank": 4}],
     "leads[3].number: must be a phone number"),
    ({"leads": [lead("x-0", 1), {"uid": "x-1", "number": "+4930123456"}]}, "leads[1].rank: is required"),
    ([lead("x-0", 1), lead("x-0", 2)], "leads[1].uid: 'x-0' is already used by leads[0]"),
    ([lead("x-0", 1), "x-1"], "leads[1]: must be an object"),
    ([lead("x-0", 1, data={"a": ["b"]})], "leads[0].data.a: must be a string or null"),
    ({"leads": []}, "leads must not be empty"),
    ({"leads": "x"}, "leads must be an array"),
])
def test_bulk_leads_are_all_or_nothing(client, batch, message):
    lead_list = new_list(client)
    invalid(client.post(f"/api/v2/outbound/lists/{lead_list['id']}/leads", json=batch), message)
    assert all_leads(client, lead_list["id"]) == []


def test_lead_update_applies_fields_and_null_deletes_data(client):
    lead_list = new_list(client)
    url = f"/api/v2/outbound/lists/{lead_list['id']}/leads"
    item = created(client.post(url, json=lead("u-1", 5, data={"address": "martin mendalde", "old data": "x"})))
    # the upsert flow: find the lead by uid, then PUT it by id
    [found] = client.get(f"{url}?uid=u-1").json()["items"]
    change = {"rank": 200, "number": "4916098119998", "data": {"new data": "new", "old data": None}}
    updated = created(client.put(f"{url}/{found['id']}", json=change))
    assert updated["rank"] == 200 and updated["number"] == "4916098119998"
    assert updated["data"] == {"address": "martin mendalde", "new data": "new"}
    assert client.get(f"{url}/{item['id']}").json()["item"] == updated
    invalid(client.put(f"{url}/{item['id']}", json={"rank": "high"}), "rank must be an integer")
    created(client.post(url, json=lead("u-2", 1)))
    invalid(client.put(f"{url}/{item['id']}", json={"uid": "u-2"}), "uid 'u-2' is already used")


def test_delete_lead(client):
    lead_list = new_list(client)
    url = f"/api/v2/outbound/lists/{lead_list['id']}/leads"
    item = created(client.post(url, json=lead("d-1", 1)))
    response = client.delete(f"{url}/{item['id']}")
    assert response.status_code == 200 and response.json() == {}
    assert client.get(f"{url}/{item['id']}").status_code == 404
    assert client.get(f"/api/v2/outbound/lists/{lead_list['id']}").json()["item"]["count"] == 0


def test_a_uid_is_free_again_once_its_lead_is_renamed_or_deleted(client):
    lead_list = new_list(client)
    url = f"/api/v2/outbound/lists/{lead_list['id']}/leads"
    renamed = created(client.post(url, json=lead("r-1", 1)))
    created(client.put(f"{url}/{renamed['id']}", json={"uid": "r-2"}))
    invalid(client.post(url, json=lead("r-2", 1)), "uid 'r-2' is already used")
    invalid(client.post(url, json=[lead("r-9", 1), lead("r-2", 1)]), "leads[1].uid: 'r-2' is already used by this list")
    created(client.post(url, json=lead("r-1", 2)))  # the old uid is free
    client.delete(f"{url}/{renamed['id']}")
    created(client.post(url, json=lead("r-2", 3)))  # so is a deleted lead's
    assert sorted(item["uid"] for item in all_leads(client, lead_list["id"])) == ["r-1", "r-2"]


# --- campaigns and the hopper -------------------------------------------------------------------

def test_create_and_update_campaign(client, data):
    campaign = new_campaign(client, callRatio=1.5)
    assert campaign["callRatio"] == 1.5 and campaign["listOrder"] == "DOWN RANK" and "leadList" not in campaign
    assert client.get(f"/api/v2/outbound/campaigns/{campaign['id']}").json()["item"] == campaign
    assert campaign in client.get("/api/v2/outbound/campaigns").json()["items"]
    updated = created(client.put(f"/api/v2/outbound/campaigns/{campaign['id']}", json={"active": False}), 201)
    assert updated == {**campaign, "active": False}
    assert data.by_id["outbound_campaigns"][campaign["id"]]["active"] is False
    assert hopper(client, campaign["id"]) == []


@pytest.mark.parametrize(("change", "message"), [
    ({"displayNumber": None}, "displayNumber is required"),
    ({"active": "yes"}, "active must be true or false"),
    ({"listOrder": "RANDOM"}, "listOrder must be one of DOWN, UP, UP RANK, DOWN RANK"),
    ({"callRatio": 5}, "callRatio must be between 0 and 4"),
    ({"hopperSize": 0}, "hopperSize must be at least 1"),
    ({"leadList": {}}, "leadList.id is required"),
])
def test_campaign_validation(client, change, message):
    body = {"name": "Bad", "active": True, "testMode": False, "displayNumber": "+4930123456", "listOrder": "UP"}
    invalid(client.post("/api/v2/outbound/campaigns", json={**body, **change}), message)


def test_attach_a_list_to_a_campaign(client, data):
    campaign = new_campaign(client)
    lead_list = new_list(client)
    client.post(f"/api/v2/outbound/lists/{lead_list['id']}/leads", json=[lead(f"a-{n}", n) for n in range(3)])
    url = f"/api/v2/outbound/campaigns/{campaign['id']}"
    attached = created(client.put(f"{url}/list", json={"listId": lead_list["id"]}))
    assert attached["leadList"] == {"id": lead_list["id"], "name": lead_list["name"]}
    listed = client.get(f"{url}/list").json()["item"]
    assert listed["id"] == lead_list["id"] and listed["campaignId"] == campaign["id"]
    assert all(item["campaignId"] == campaign["id"] for item in all_leads(client, lead_list["id"]))
    assert [data.by_id["leads"][item["id"]]["rank"] for item in hopper(client, campaign["id"])] == [2, 1, 0]
    assert len(data.hoppers[campaign["id"]].lead_ids) == 3
    assert "leadList" not in client.delete(f"{url}/list").json()["item"]
    assert hopper(client, campaign["id"]) == [] and client.get(f"{url}/list").status_code == 404
    assert "campaignId" not in client.get(f"/api/v2/outbound/lists/{lead_list['id']}").json()["item"]


def test_a_list_moves_to_the_campaign_it_is_attached_to(client, data):
    first, lead_list, _ = ranked_campaign(client, 5)
    second = new_campaign(client)
    moved = created(client.put(f"/api/v2/outbound/campaigns/{second['id']}/list/{lead_list['id']}"))
    assert moved["leadList"]["id"] == lead_list["id"]
    assert "leadList" not in client.get(f"/api/v2/outbound/campaigns/{first['id']}").json()["item"]
    assert hopper(client, first["id"]) == [] and len(hopper(client, second["id"])) == 5
    assert {item["campaignId"] for item in data.leads_by_list[lead_list["id"]]} == {second["id"]}


def test_hopper_holds_the_20_highest_ranked_callable_leads(client):
    campaign, lead_list, by_rank = ranked_campaign(client, 50)
    items = hopper(client, campaign["id"])
    assert [item["id"] for item in items] == [by_rank[rank]["id"] for rank in range(50, 30, -1)]
    first = items[0]
    assert first == {"id": by_rank[50]["id"], "uid": "crm-50", "listId": lead_list["id"], "count": "0",
                     "number": by_rank[50]["number"], "status": "new", "order": "1", "source": "list"}
    assert all(isinstance(value, str) for item in items for value in item.values())


def test_hopper_size_is_settable(client):
    campaign, _, by_rank = ranked_campaign(client, 30, hopperSize=5)
    assert [item["id"] for item in hopper(client, campaign["id"])] == [by_rank[r]["id"] for r in (30, 29, 28, 27, 26)]
    client.put(f"/api/v2/outbound/campaigns/{campaign['id']}", json={"hopperSize": 8}).raise_for_status()
    assert len(hopper(client, campaign["id"])) == 8


def test_update_to_a_hopper_lead_is_ignored_and_a_raised_rank_waits_for_the_next_refill(bf, client):
    campaign, lead_list, by_rank = ranked_campaign(client, 50)
    url = f"/api/v2/outbound/lists/{lead_list['id']}/leads"
    in_hopper = client.get(f"{url}/{by_rank[40]['id']}").json()["item"]
    outside = by_rank[10]
    assert in_hopper["campaignId"] == campaign["id"]

    ignored = client.put(f"{url}/{in_hopper['id']}", json={"rank": 1, "data": {"note": "x"}})
    assert ignored.status_code == 200 and ignored.json()["item"] == in_hopper
    assert client.get(f"{url}/{in_hopper['id']}").json()["item"] == in_hopper

    raised = created(client.put(f"{url}/{outside['id']}", json={"rank": 100}))
    assert raised["rank"] == 100
    assert outside["id"] not in [item["id"] for item in hopper(client, campaign["id"])]

    response = dial(bf, campaign["id"], 5)
    assert response.status_code == 200
    dialled = response.json()["dialled"]
    assert [item["id"] for item in dialled] == [by_rank[rank]["id"] for rank in range(50, 45, -1)]
    after = [item["id"] for item in hopper(client, campaign["id"])]
    assert after == [by_rank[rank]["id"] for rank in range(45, 30, -1)] + [
        outside["id"], *(by_rank[rank]["id"] for rank in (30, 29, 28, 27))]
    called = client.get(f"{url}/{by_rank[50]['id']}").json()["item"]
    assert called["status"] == "no_answer" and called["callCount"] == 1 and called["calledSinceReset"] is True
    assert called["dateCalled"] == called["lastUpdated"]


def test_a_list_uploaded_lead_by_lead_loads_its_highest_ranks(client):
    lead_list = new_list(client)
    campaign = new_campaign(client, leadList={"id": lead_list["id"]})
    for rank in range(1, 31):
        created(client.post(f"/api/v2/outbound/lists/{lead_list['id']}/leads", json=lead(f"s-{rank}", rank)))
    assert [int(item["uid"][2:]) for item in hopper(client, campaign["id"])] == list(range(30, 10, -1))


def test_new_leads_top_up_a_hopper_below_its_minimum(client):
    campaign, lead_list, _ = ranked_campaign(client, 3)
    assert len(hopper(client, campaign["id"])) == 3
    client.post(f"/api/v2/outbound/lists/{lead_list['id']}/leads", json=[lead(f"n-{n}", 0) for n in range(30)])
    assert len(hopper(client, campaign["id"])) == 20


def test_dialled_leads_do_not_come_back(bf, client):
    campaign, _, _ = ranked_campaign(client, 25)
    assert len(dial(bf, campaign["id"], 20).json()["hopper"]) == 5
    assert len(dial(bf, campaign["id"], 10).json()["dialled"]) == 5
    assert hopper(client, campaign["id"]) == []


def test_dial_control_validates(bf, client):
    campaign = new_campaign(client)
    assert httpx.post(f"{bf.base_url}/_emulator/dialer/{campaign['id']}/dial", json={"count": 0}).status_code == 400
    bad_status = httpx.post(f"{bf.base_url}/_emulator/dialer/{campaign['id']}/dial", json={"status": "new"})
    assert bad_status.status_code == 400 and "status must be one of" in bad_status.json()["error"]
    assert dial(bf, "f" * 32, 1).status_code == 404


def test_seeded_campaigns_work_lists_with_filled_hoppers(client, data):
    for campaign in data.outbound_campaigns[:4]:
        list_id = campaign["leadList"]["id"]
        callable_leads = [item for item in data.leads_by_list[list_id] if item["status"] in ("new", "pending")]
        expected = sorted(callable_leads, key=lambda item: -item["rank"])[:20]
        assert [item["id"] for item in hopper(client, campaign["id"])] == [item["id"] for item in expected]


# --- configuration ------------------------------------------------------------------------------

def test_create_application(client):
    item = created(client.post("/api/v2/applications", json={"name": "Main inbound IVR", "module": "agentQueue"}), 201)
    assert item["module"] == "agentQueue" and item["enabled"] is True and item["routings"] == []
    assert client.get(f"/api/v2/applications/{item['id']}").json()["item"] == item
    assert client.get("/api/v2/applications?name=Main inbound IVR").json()["items"] == [item]
    invalid(client.post("/api/v2/applications", json={"name": "x", "module": "disco"}), "module must be one of")
    invalid(client.post("/api/v2/applications", json={"module": "transfer"}), "name is required")


def test_create_calendar(client):
    name = unique("German public holidays")
    item = created(client.post("/api/v2/calendars", json={"name": name, "timeZone": "Europe/Berlin"}), 201)
    assert item == {"id": item["id"], "name": name, "timeZone": "Europe/Berlin", "enabled": True, "dateCount": 0,
                    "tags": []}
    assert client.get(f"/api/v2/calendars/{item['id']}").json()["item"] == item
    assert item in client.get("/api/v2/calendars?max=1000").json()["items"]
    invalid(client.post("/api/v2/calendars", json={"name": "x", "timeZone": "Mars/Olympus"}), "timeZone must be")
    invalid(client.post("/api/v2/calendars", json={"name": name, "timeZone": "UTC"}), "name '")
    invalid(client.post("/api/v2/calendars", json={"name": "y"}), "timeZone is required")


def test_create_and_update_trigger(client):
    condition = {"expression": "call.fromNumber", "operator": "STARTS_WITH", "expectation": "+49"}
    body = {"name": unique("German caller"), "type": "ALL", "conditions": [condition]}
    item = created(client.post("/api/v2/triggers", json=body), 201)
    assert item["conditions"] == [{"id": item["conditions"][0]["id"], **condition}] and item["tags"] == []
    assert client.get(f"/api/v2/triggers/{item['id']}").json()["item"] == item
    new_condition = {"expression": "session.app.language", "operator": "EQ", "expectation": "de"}
    updated = created(client.put(f"/api/v2/triggers/{item['id']}", json={"type": "ANY", "conditions": [new_condition]}))
    assert updated["type"] == "ANY" and updated["name"] == body["name"]
    assert [{k: v for k, v in c.items() if k != "id"} for c in updated["conditions"]] == [new_condition]
    assert client.get(f"/api/v2/triggers/{item['id']}").json()["item"] == updated
    bad = {**body, "name": "other", "conditions": [condition, {**condition, "operator": "SOMETIMES"}]}
    invalid(client.post("/api/v2/triggers", json=bad), "conditions[1].operator must be one of")
    empty = {**body, "name": "other", "conditions": []}
    invalid(client.post("/api/v2/triggers", json=empty), "conditions must not be empty")
    invalid(client.post("/api/v2/triggers", json=body), "name '")
    assert client.put("/api/v2/triggers/" + "0" * 32, json={"type": "ANY"}).status_code == 404


# --- activity -----------------------------------------------------------------------------------

def test_create_conversation(client, data):
    item = created(client.post("/api/v2/conversations", json={"state": "open", "phone": "+4930555000"}), 201)
    assert item["state"] == "open" and item["phone"] == "+4930555000"
    assert client.get(f"/api/v2/conversations/{item['id']}").json()["item"] == item
    assert data.conversations[0] == item
    invalid(client.post("/api/v2/conversations", json={"state": "pending"}), "state must be one of open, closed")


def test_send_sms(client, data):
    body = {"to": "+447700900123", "text": "Your appointment is confirmed.", "session": {"app.reminder": "yes"}}
    item = created(client.post("/api/v2/sms", json=body))
    assert (item["to"], item["type"], item["source"], item["state"]) == ("+447700900123", "outbound", "api", "sent")
    assert client.get(f"/api/v2/sms/{item['id']}").json()["item"] == item
    conversation = client.get(f"/api/v2/conversations/{item['conversationId']}").json()["item"]
    assert conversation["phone"] == "+447700900123"
    session = client.get(f"/api/v2/sessions/{item['conversationId']}").json()["item"]
    assert session["data"] == {"app.reminder": "yes"}
    invalid(client.post("/api/v2/sms", json={"to": "07700900123", "text": "x"}), "to must be an E.164 phone number")
    invalid(client.post("/api/v2/sms", json={"to": "+447700900123"}), "text is required")


def test_create_session_and_set_variables(client):
    empty = created(client.post("/api/v2/sessions"))
    assert empty["valid"] is True and empty["data"] == {} and len(empty["id"]) == 32
    item = created(client.post("/api/v2/sessions", json={"customerTier": "gold", "lastOrderId": "ord-1"}))
    updated = created(client.put(f"/api/v2/sessions/{item['id']}", json={"customerTier": None, "score": 7}))
    assert updated["data"] == {"lastOrderId": "ord-1", "score": 7}
    assert client.get(f"/api/v2/sessions/{item['id']}").json()["item"] == updated
    invalid(client.put(f"/api/v2/sessions/{item['id']}", json={"nested": {"a": 1}}), "nested must be a string")
    assert client.put("/api/v2/sessions/" + "0" * 32, json={"a": "b"}).status_code == 404


def test_set_variables_on_a_call_session(client, data):
    session_id = data.calls[0]["sessionId"]
    before = client.get(f"/api/v2/sessions/{session_id}").json()["item"]["data"]
    created(client.put(f"/api/v2/sessions/{session_id}", json={"app.crmId": "CRM-1", "app.language": None}))
    after = client.get(f"/api/v2/sessions/{session_id}").json()["item"]["data"]
    expected = {key: value for key, value in before.items() if key != "app.language"} | {"app.crmId": "CRM-1"}
    assert after == expected


# --- users --------------------------------------------------------------------------------------

def test_create_user(client):
    email = f"{uuid.uuid4().hex[:8]}.lee@example.com"
    item = created(client.post("/api/v2/users", json={"email": email.upper(), "roles": ["agent", "user"]}), 201)
    assert item["email"] == email and item["roles"] == ["agent", "user"] and item["enabled"] is True
    assert client.get(f"/api/v2/users/{item['id']}").json()["item"] == item
    assert client.get(f"/api/v2/users?email={email}").json()["items"] == [item]
    scim = client.get(f"/auth/scim/v2/Users/{item['id']}").json()
    assert scim["userName"] == email and scim["name"]["familyName"] == "Lee"
    invalid(client.post("/api/v2/users", json={"email": email, "roles": ["user"]}), "email '")
    invalid(client.post("/api/v2/users", json={"email": "x@example.com", "roles": ["boss"]}), "roles[0] must be one of")
    invalid(client.post("/api/v2/users", json={"email": "x@example.com"}), "roles is required")
    invalid(client.post("/api/v2/users", json={"email": "nobody", "roles": ["user"]}), "email must be an e-mail")


def test_create_scim_user(client):
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    body = {"schemas": [SCIM_USER], "userName": email, "externalId": "okta-1", "active": True,
            "name": {"givenName": "Jordan", "familyName": "Reed"}, "emails": [{"value": email, "primary": True}]}
    response = client.post("/auth/scim/v2/Users", json=body)
    assert response.status_code == 201 and response.headers["content-type"].startswith("application/scim+json")
    resource = response.json()
    assert resource["userName"] == email and resource["externalId"] == "okta-1"
    assert resource["name"]["formatted"] == "Jordan Reed" and resource["active"] is True
    assert response.headers["Location"] == resource["meta"]["location"]
    assert client.get(f"/auth/scim/v2/Users/{resource['id']}").json() == resource
    assert client.get(f"/api/v2/users/{resource['id']}").json()["item"]["email"] == email
    assert client.get('/auth/scim/v2/Users?filter=externalId eq "okta-1"').json()["totalResults"] == 1

    duplicate = client.post("/auth/scim/v2/Users", json=body)
    assert duplicate.status_code == 409
    assert duplicate.json() == {"schemas": [SCIM_ERROR], "status": "409", "scimType": "uniqueness",
                                "detail": f"userName '{email}' is already in use"}
    missing = client.post("/auth/scim/v2/Users", json={"schemas": [SCIM_USER]})
    assert missing.status_code == 400
    assert missing.json()["scimType"] == "invalidValue" and missing.json()["detail"] == "userName is required"


# --- tasks and env sync -------------------------------------------------------------------------

def test_submit_task_and_the_v2_alias(client, data):
    body = {"body": {"subject": "Callback request"}, "type": "babelforce.callback", "queue_id": data.queues[0]["id"]}
    response = client.post("/api/v3/tasks", json=body)
    assert response.status_code == 201
    task = response.json()
    assert task["body"] == body["body"] and task["state"] == "Scheduled" and len(task["id"]) == 36
    assert client.get(f"/api/v3/tasks/{task['id']}").json() == task
    assert client.get("/api/v3/tasks?page_size=1").json()["records"] == [task]
    alias = client.post("/api/v2/tasks", json={"body": {"subject": "Order status"}})
    assert alias.status_code == 201 and alias.json()["type"] == "babelforce.task"
    assert client.get(f"/api/v3/tasks/{alias.json()['id']}").json() == alias.json()


@pytest.mark.parametrize(("path", "body", "message"), [
    ("/api/v3/tasks", {"type": "x"}, "body is required"),
    ("/api/v3/tasks", {"body": {}, "type": "bad type!"}, "type must look like"),
    ("/api/v3/tasks", {"body": {}, "priority": 1}, "priority is not a task property"),
    ("/api/v2/tasks", {"body": []}, "body must be an object"),
])
def test_task_validation_uses_the_v3_error_body(client, path, body, message):
    response = client.post(path, json=body)
    assert response.status_code == 400
    assert response.json()["error_detail"] == "VALIDATION_ERROR"
    assert response.json()["error_message"].startswith(message)


def test_start_env_sync(client, data):
    job = created(client.post("/api/v2/env-sync/jobs", json={"target": "sandbox", "types": ["triggers"]}), 201)
    assert job["status"] == "completed" and job["counts"] == {"triggers": len(data.triggers)}
    assert client.get(f"/api/v2/env-sync/jobs/{job['id']}").json()["item"] == job
    assert job in client.get("/api/v2/env-sync/jobs").json()["items"]
    invalid(client.post("/api/v2/env-sync/jobs", json={}), "target is required")
    invalid(client.post("/api/v2/env-sync/jobs", json={"target": "x", "types": ["agents"]}), "types[0] must be")
    assert client.get("/api/v2/env-sync/jobs/" + "0" * 32).status_code == 404


# --- rights, unknown ids, bad bodies ------------------------------------------------------------

WRITES = [
    ("POST", "/api/v2/outbound/lists"),
    ("POST", "/api/v2/outbound/lists/{list}/leads"),
    ("PUT", "/api/v2/outbound/lists/{list}/leads/{lead}"),
    ("DELETE", "/api/v2/outbound/lists/{list}/leads/{lead}"),
    ("POST", "/api/v2/outbound/campaigns"),
    ("PUT", "/api/v2/outbound/campaigns/{campaign}"),
    ("PUT", "/api/v2/outbound/campaigns/{campaign}/list"),
    ("POST", "/api/v2/applications"),
    ("POST", "/api/v2/calendars"),
    ("POST", "/api/v2/conversations"),
    ("POST", "/api/v2/sessions"),
    ("PUT", "/api/v2/sessions/{session}"),
    ("POST", "/api/v2/sms"),
    ("POST", "/api/v2/triggers"),
    ("PUT", "/api/v2/triggers/{trigger}"),
    ("POST", "/api/v2/users"),
    ("POST", "/auth/scim/v2/Users"),
    ("POST", "/api/v2/env-sync/jobs"),
    ("POST", "/api/v3/tasks"),
    ("POST", "/api/v2/tasks"),
]


def _path(template: str, data: Dataset) -> str:
    campaign = data.outbound_campaigns[0]
    list_id = campaign["leadList"]["id"]
    return template.format(list=list_id, lead=data.leads_by_list[list_id][0]["id"], campaign=campaign["id"],
                           session=data.calls[0]["sessionId"], trigger=data.triggers[0]["id"])


@pytest.mark.parametrize(("method", "template"), WRITES)
def test_agent_token_may_not_write(agent, data, method, template):
    response = agent.request(method, _path(template, data), json={})
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN" and response.json()["success"] is False


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/api/v2/outbound/lists/{unknown}/leads"),
    ("PUT", "/api/v2/outbound/lists/{list}/leads/{unknown}"),
    ("DELETE", "/api/v2/outbound/lists/{list}/leads/{unknown}"),
    ("GET", "/api/v2/outbound/lists/{list}/leads/{unknown}"),
    ("PUT", "/api/v2/outbound/campaigns/{unknown}"),
    ("PUT", "/api/v2/outbound/campaigns/{campaign}/list/{unknown}"),
    ("GET", "/api/v2/outbound/campaigns/{unknown}/hopper"),
    ("PUT", "/api/v2/triggers/{unknown}"),
    ("PUT", "/api/v2/sessions/{unknown}"),
])
def test_unknown_ids_get_404(client, data, method, path):
    campaign = data.outbound_campaigns[0]
    url = path.format(unknown="f" * 32, list=campaign["leadList"]["id"], campaign=campaign["id"])
    response = client.request(method, url, json=lead("z", 1))
    assert response.status_code == 404
    assert response.json()["success"] is False and response.json()["code"] == "NOT_FOUND"


def test_malformed_json_is_a_400(client):
    response = client.post("/api/v2/outbound/lists", content=b"{name: x", headers={"Content-Type": "application/json"})
    invalid(response, "the request body must be JSON")
    invalid(client.post("/api/v2/applications", json=["x"]), "the request body must be a JSON object")
