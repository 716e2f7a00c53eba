"""Every one of the 32 Babelforce source templates, end to end over real HTTP against the emulator.

Each test writes the source a user would write (template + params), runs it through the public
Python API, and checks the records against the emulator's own dataset: counts across several pages,
ids in order, and the fields a user would look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from trunkline.api import read_source
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import start_in_thread

NOW = datetime(2026, 6, 24, 10, 15, tzinfo=UTC)


@pytest.fixture(scope="module")
def bf() -> Iterator[Any]:
    """The emulator (anchored at NOW) and its dataset."""
    app = create_app(seed=11, now=NOW)
    with start_in_thread(app) as running:
        running.data = app.state.data
        yield running


def fetch(bf: Any, template: str, params: dict | None = None, *, agent: bool = False,
          access_headers: bool = False) -> list[dict]:
    """Run a template source as a user would configure it."""
    creds = bf.data.credentials
    credential: dict[str, Any] = {"service": "babelforce", "base_url": bf.base_url}
    if access_headers:
        credential |= {"access_id": creds.access_id, "access_token": creds.access_token}
    elif agent:
        credential |= {"username": creds.agent_username, "password": creds.agent_password}
    else:
        credential |= {"username": creds.username, "password": creds.password}
    return read_source({"credential": credential, "template": template, "params": params or {}}, now=NOW)


def ids(items: list[dict]) -> list[str]:
    return [item["id"] for item in items]


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def calls_between(bf: Any, start: datetime, end: datetime, *, top_level_only: bool = False) -> list[dict]:
    return [call for call, created in zip(bf.data.calls, bf.data.call_epochs, strict=True)
            if epoch(start) <= created < epoch(end) and not (top_level_only and "parentId" in call)]


# ---- single items ---------------------------------------------------------------------------------

def test_get_agent(bf):
    agent = bf.data.agents[17]
    assert fetch(bf, "get_agent", {"id": agent["id"]}) == [agent]


def test_get_call_record(bf):
    call = bf.data.calls[3]
    assert fetch(bf, "get_call_record", {"id": call["id"]}) == [call]


def test_get_outbound_campaign(bf):
    campaign = bf.data.outbound_campaigns[1]
    assert ids(fetch(bf, "get_outbound_campaign", {"campaign_id": campaign["id"]})) == [campaign["id"]]


def test_get_conversation(bf):
    conversation = bf.data.conversations[5]
    assert fetch(bf, "get_conversation", {"id": conversation["id"]}) == [conversation]


def test_get_queue(bf):
    queue = bf.data.queues[2]
    assert fetch(bf, "get_queue", {"id": queue["id"]}) == [queue]


def test_get_call_recording(bf):
    recording = bf.data.recordings[9]
    assert fetch(bf, "get_call_recording", {"id": recording["id"]}) == [recording]


def test_get_session_variables(bf):
    session_id = bf.data.calls[4]["sessionId"]
    [record] = fetch(bf, "get_session_variables", {"session_id": session_id})
    assert record["id"] == session_id
    root = bf.data.by_id["calls"][bf.data.session_roots[session_id]]
    assert record["data"]["call.id"] == root["id"]
    assert record["data"]["call.from"] == root["from"]


def test_get_current_agent_conference_is_scoped_to_the_credential_user(bf):
    as_agent = fetch(bf, "get_current_agent_conference", agent=True)
    assert len(as_agent) == 1
    people = [as_agent[0]["moderator"], *as_agent[0]["members"]]
    member_agents = {person["agent"]["id"] for person in people if person and "agent" in person}
    assert bf.data.agent_user["agent"]["uuid"] in member_agents
    assert fetch(bf, "get_current_agent_conference") == []  # a manager is in no conference


# ---- metrics --------------------------------------------------------------------------------------

def test_get_available_agents_count(bf):
    expected = sum(1 for a in bf.data.agents if a["enabled"] and a["state"] == "available"
                   and a["presence"]["available"])
    [record] = fetch(bf, "get_available_agents_count")
    assert record["id"] == "agents.state.available.total"
    assert record["metric"]["value"] == expected


def test_get_agents_in_call_count(bf):
    expected = sum(1 for a in bf.data.agents if a["enabled"] and a["state"] == "in-call")
    [record] = fetch(bf, "get_agents_in_call_count")
    assert record["id"] == "agents.state.in_call.total"
    assert record["metric"]["value"] == expected


def test_get_total_agents_metric_with_and_without_enabled_filter(bf):
    [everyone] = fetch(bf, "get_total_agents_metric")
    [enabled] = fetch(bf, "get_total_agents_metric", {"enabled": True})
    assert everyone["metric"]["value"] == len(bf.data.agents)
    assert enabled["metric"]["value"] == sum(1 for a in bf.data.agents if a["enabled"])


def test_get_total_calls_metric_over_a_window(bf):
    [record] = fetch(bf, "get_total_calls_metric", {"start_date": "{now-2}", "end_date": "{now}"})
    assert record["id"] == "calls.total"
    assert record["metric"]["value"] == len(calls_between(bf, NOW - timedelta(days=2), NOW, top_level_only=True))


def test_get_average_call_duration_over_a_window(bf):
    start = NOW - timedelta(days=3)
    [record] = fetch(bf, "get_average_call_duration",
                     {"start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "end_date": "{now}"})
    finished = [c["duration"] for c in calls_between(bf, start, NOW, top_level_only=True) if "dateFinished" in c]
    assert record["id"] == "calls.duration.avg"
    assert record["metric"]["value"] == pytest.approx(sum(finished) / len(finished), abs=0.01)
    assert record["request"]["timeRange"]["from"].startswith(start.strftime("%Y-%m-%dT%H:%M"))


def test_get_average_wrapup_time(bf):
    [record] = fetch(bf, "get_average_wrapup_time", {"start_date": "{now-7}", "end_date": "{now}"})
    assert record["id"] == "queues.wrapup.avg"
    assert record["metric"]["value"] > 0


# ---- lists ----------------------------------------------------------------------------------------

def test_list_agents_walks_every_page(bf):
    assert len(bf.data.agents) > 200  # three pages of 100
    assert fetch(bf, "list_agents") == bf.data.agents


def test_list_agents_filters(bf):
    enabled = fetch(bf, "list_agents", {"enabled": "true"})
    assert ids(enabled) == [a["id"] for a in bf.data.agents if a["enabled"]]
    with_source = next(a for a in bf.data.agents if a.get("sourceId"))
    assert ids(fetch(bf, "list_agents", {"source_id": with_source["sourceId"]})) == [with_source["id"]]


@pytest.mark.parametrize(("template", "collection"), [
    ("list_applications", "applications"),
    ("list_business_hours", "business_hours"),
    ("list_call_flows", "call_flows"),
    ("list_conversations", "conversations"),
    ("list_queues", "queues"),
    ("list_recordings", "recordings"),
    ("list_sms", "sms"),
    ("list_triggers", "triggers"),
    ("list_campaigns", "outbound_campaigns"),
    ("list_outbound_lists", "outbound_lists"),
    ("list_tasks", "tasks"),
    ("list_users", "users"),
])
def test_list_templates_return_the_whole_collection(bf, template, collection):
    expected = getattr(bf.data, collection)
    assert ids(fetch(bf, template)) == ids(expected)


def test_list_call_records_for_the_last_day(bf):
    expected = calls_between(bf, NOW - timedelta(days=1), NOW)
    assert len(expected) > 100  # several pages
    records = fetch(bf, "list_call_records", {"start_date": "{now-1}", "end_date": "{now}"})
    assert records == expected


def test_list_call_records_for_one_agent(bf):
    start = NOW - timedelta(days=5)
    window = calls_between(bf, start, NOW)
    agent_id = next(c["bridged"]["agent"]["id"] for c in window if c.get("bridged", {}).get("agent"))
    records = fetch(bf, "list_call_records", {"start_date": "{now-5}", "end_date": "{now}", "agent_id": agent_id})
    assert records and all(r["bridged"]["agent"]["id"] == agent_id for r in records)
    assert ids(records) == [c["id"] for c in window if c.get("bridged", {}).get("agent", {}).get("id") == agent_id]


def test_list_calls_gives_reporting_rows_for_every_call(bf):
    records = fetch(bf, "list_calls")
    assert ids(records) == ids(bf.data.calls)
    assert {"talkTime", "holdTime", "wrapupTime", "handleTime"} <= set(records[0])


def test_get_outbound_leads_of_one_list(bf):
    outbound_list = bf.data.outbound_lists[0]
    expected = bf.data.leads_by_list[outbound_list["id"]]
    records = fetch(bf, "get_outbound_leads", {"list_id": outbound_list["id"]})
    assert ids(records) == ids(expected)
    assert all(record["listId"] == outbound_list["id"] for record in records)


def test_list_users_scim(bf):
    records = fetch(bf, "list_users_scim")
    assert len(records) == len(bf.data.users)
    assert all("urn:ietf:params:scim:schemas:core:2.0:User" in r["schemas"] for r in records)
    assert {r["userName"] for r in records} == {u["email"] for u in bf.data.users}


def test_synchronize_agents(bf):
    [result] = fetch(bf, "synchronize_agents")
    assert result["status"] == "completed"
    synchronized = [agent for agent in bf.data.agents if "sourceId" in agent]
    assert 0 < len(synchronized) < len(bf.data.agents)
    assert result["agents"]["total"] == len(synchronized)
    assert result["agents"]["updated"] + result["agents"]["unchanged"] == len(synchronized)


def test_access_id_headers_work_as_well_as_oauth(bf):
    assert ids(fetch(bf, "list_queues", access_headers=True)) == ids(bf.data.queues)
