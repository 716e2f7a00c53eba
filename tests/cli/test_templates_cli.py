"""``trunkline templates``: the catalogue a user browses, as the command prints it."""

from __future__ import annotations

import json

from tests.cli.run import run_cli

SEED_SOURCE_NAMES = [
    "Get Agent",
    "Get Available Agents Count",
    "Get Agents In Call Count",
    "Get Total Agents Metric",
    "Get Average Call Duration",
    "Get Average Wrap-up Time",
    "Get Call Record",
    "Get Total Calls Metric",
    "Get Outbound Campaign",
    "Get Conversation",
    "Get Current Agent Conference",
    "Get Outbound Leads",
    "Get Queue",
    "Get Call Recording",
    "Get Session Variables",
    "List Agents",
    "List Applications",
    "List Business Hours",
    "List Call Flows",
    "List Call Records",
    "List Calls",
    "List Campaigns",
    "List Conversations",
    "List Outbound Lists",
    "List Queues",
    "List Recordings",
    "List SMS",
    "List Tasks",
    "List Triggers",
    "List Users",
    "List Users (SCIM)",
    "Synchronize Agents",
]


def test_lists_all_32_babelforce_source_templates_by_the_seed_names():
    result = run_cli("templates", "--service", "babelforce", "--kind", "source", "--json")
    listed = json.loads(result.stdout)
    assert [row["name"] for row in listed] == SEED_SOURCE_NAMES
    assert len({row["id"] for row in listed}) == 32
    assert {"babelforce.get_agent", "babelforce.list_call_records", "babelforce.synchronize_agents"} <= {
        row["id"] for row in listed
    }


def test_table_shows_every_id_in_full():
    result = run_cli("templates", "--service", "babelforce", "--kind", "source", columns=200)
    assert "32 templates" in result.stdout
    assert "babelforce.list_call_records" in result.stdout
    assert "List Users (SCIM)" in result.stdout


def test_show_gives_parameters_method_path_pagination_and_path_to_data():
    result = run_cli("templates", "show", "babelforce.list_call_records", columns=200)
    out = result.stdout
    assert "GET /api/v2/calls/reporting" in out
    for param in ("start_date", "end_date", "agent_id", "queue_id"):
        assert param in out
    assert "Pagination: page" in out and "size_param=max" in out
    assert "Path to data: $.items[*]" in out


def test_show_json():
    details = json.loads(run_cli("templates", "show", "babelforce.get_outbound_leads", "--json").stdout)
    assert details["method"] == "GET"
    assert details["path"] == "/api/v2/outbound/lists/{list_id}/leads"
    assert details["params"] == [
        {"name": "list_id", "type": "string", "required": True, "description": details["params"][0]["description"]}
    ]
    assert details["pagination"]["type"] == "page"


def test_unknown_template_suggests_close_names():
    result = run_cli("templates", "show", "babelforce.list_call_record", expect_exit=2)
    assert "list_call_records" in result.stderr
