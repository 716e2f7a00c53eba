"""The destination templates: the 16 of seed 000, CallRail's ready endpoints, and what they expand to."""

from __future__ import annotations

import json

import pytest

from tests.cli.run import run_cli
from trunkline.api import show_destination
from trunkline.connectors import registry
from trunkline.core.errors import ConfigError

SEED_000 = ["Add Outbound Lead", "Create Application", "Create Calendar", "Create Outbound Campaign",
            "Create Conversation", "Create Outbound List", "Create Session", "Create Trigger", "Create User",
            "Create User (SCIM)", "Send SMS", "Start Sync", "Submit Task", "Update Campaign",
            "Update Session Variables", "Update Trigger"]
BF = {"service": "babelforce", "base_url": "https://bf.example.com", "username": "u@example.com", "password": "pw"}
CR = {"service": "callrail", "token": "cr-token"}


def test_the_16_babelforce_destination_templates_in_seed_order():
    templates = registry.templates("babelforce", "destination")
    assert [template.name for template in templates] == SEED_000
    assert len({template.id for template in templates}) == 16


def test_callrail_offers_the_seed_endpoints_and_call_updates_and_forms():
    ids = {template.id for template in registry.templates("callrail", "destination")}
    assert {"create_company", "update_company", "create_tracker", "update_tracker", "create_outbound_call",
            "send_text_message", "update_call", "create_form_submission"} <= ids


@pytest.mark.parametrize("template", registry.templates(kind="destination"), ids=lambda t: f"{t.service}.{t.id}")
def test_every_destination_template_expands(template):
    params = {param.name: "X1" for param in template.params if param.required}
    credential = BF if template.service == "babelforce" else CR
    shown = show_destination({"credential": credential, "template": template.id, "params": params})
    assert shown["from_template"] == f"{template.service}.{template.id}"
    assert shown["method"] == template.method
    assert shown["body"] == "{message.json}"
    assert shown["url"].startswith("https://")


def test_callrail_paths_limits_and_token_header():
    shown = show_destination({"credential": CR, "template": "send_text_message", "params": {"account_id": "ACC9"}})
    assert shown["url"] == "https://api.callrail.com/v3/a/ACC9/text-messages.json"
    limits = {limit["name"]: (limit["requests"], limit["per_seconds"]) for limit in shown["rate_limits"]}
    assert limits == {"callrail-general": (1000, 3600.0), "callrail-text-messages": (150, 3600.0)}
    assert shown["credential"]["token"] == "****"


def test_record_field_ids_in_paths_default_to_the_record_and_can_be_set():
    default = show_destination({"credential": BF, "template": "update_trigger"})
    assert default["url"] == "https://bf.example.com/api/v2/triggers/{id}"
    chosen = show_destination({"credential": BF, "template": "update_trigger", "params": {"id": "{trigger_id}"}})
    assert chosen["url"].endswith("/api/v2/triggers/{trigger_id}")


def test_upsert_is_refused_where_no_record_can_be_found_and_with_batches():
    with pytest.raises(ConfigError, match="destination.mode"):
        show_destination({"credential": BF, "template": "create_user", "mode": "upsert"})
    with pytest.raises(ConfigError, match="destination.batch"):
        show_destination({"credential": BF, "template": "add_outbound_lead", "params": {"list_id": "L"},
                          "mode": "upsert", "batch": 10})
    with pytest.raises(ConfigError, match="destination.path_to_data"):
        show_destination({"credential": BF, "template": "create_user", "path_to_data": "$.x"})


def test_templates_cli_lists_destinations_and_shows_parameters():
    listed = json.loads(run_cli("templates", "--service", "babelforce", "--kind", "destination", "--json").stdout)
    assert [row["name"] for row in listed] == SEED_000
    shown = run_cli("templates", "show", "babelforce.add_outbound_lead", columns=200).stdout
    assert "list_id" in shown and "/api/v2/outbound/lists/{list_id}/leads" in shown
