"""Endpoint templates: loading, the Babelforce source catalogue, expansion rules, errors, base URLs."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from trunkline.connectors import registry
from trunkline.connectors.templates import Template, expand_template, load_templates
from trunkline.core.config import Credential, OffsetPagination, PagePagination, SourceConfig
from trunkline.core.errors import ConfigError

BASE = "https://services.babelforce.com"
JAN_1_2026 = "1767225600"

# The 32 source templates of seed 001, in the seed's order: (our id, the seed's name).
SEED_SOURCES = [
    ("get_agent", "Get Agent"),
    ("get_available_agents_count", "Get Available Agents Count"),
    ("get_agents_in_call_count", "Get Agents In Call Count"),
    ("get_total_agents_metric", "Get Total Agents Metric"),
    ("get_average_call_duration", "Get Average Call Duration"),
    ("get_average_wrapup_time", "Get Average Wrap-up Time"),
    ("get_call_record", "Get Call Record"),
    ("get_total_calls_metric", "Get Total Calls Metric"),
    ("get_outbound_campaign", "Get Outbound Campaign"),
    ("get_conversation", "Get Conversation"),
    ("get_current_agent_conference", "Get Current Agent Conference"),
    ("get_outbound_leads", "Get Outbound Leads"),
    ("get_queue", "Get Queue"),
    ("get_call_recording", "Get Call Recording"),
    ("get_session_variables", "Get Session Variables"),
    ("list_agents", "List Agents"),
    ("list_applications", "List Applications"),
    ("list_business_hours", "List Business Hours"),
    ("list_call_flows", "List Call Flows"),
    ("list_call_records", "List Call Records"),
    ("list_calls", "List Calls"),
    ("list_campaigns", "List Campaigns"),
    ("list_conversations", "List Conversations"),
    ("list_outbound_lists", "List Outbound Lists"),
    ("list_queues", "List Queues"),
    ("list_recordings", "List Recordings"),
    ("list_sms", "List SMS"),
    ("list_tasks", "List Tasks"),
    ("list_triggers", "List Triggers"),
    ("list_users", "List Users"),
    ("list_users_scim", "List Users (SCIM)"),
    ("synchronize_agents", "Synchronize Agents"),
]
SEED_ONLY = {"get_current_agent_conference", "list_call_flows", "list_users_scim", "synchronize_agents"}
EXAMPLE_VALUES: dict[str, Any] = {
    "string": "ee369f62c0c04c8993e4b3921c506c45",
    "boolean": True,
    "integer": 5,
    "datetime": "2026-01-01T00:00:00Z",
}


def source_templates() -> list[Template]:
    return registry.templates("babelforce", "source")


def expand(ref: str, params: dict[str, Any]) -> dict[str, Any]:
    return expand_template(registry.get_template(ref), params, BASE)


def custom_template(**fields: Any) -> Template:
    return Template.model_validate({"id": "custom", "name": "Custom", "description": "for tests",
                                    "path": "/things", "documented_by": "vendor", **fields})


# --- the catalogue -------------------------------------------------------------------------------

def test_the_32_seed_templates_load_in_seed_order_with_unique_ids() -> None:
    loaded = source_templates()
    assert [(t.id, t.name) for t in loaded] == SEED_SOURCES
    assert len({t.id for t in loaded}) == 32
    assert all(t.service == "babelforce" for t in loaded)


def test_the_yaml_file_loads_directly() -> None:
    path = registry.CONNECTORS_DIR / "babelforce" / "templates" / "sources.yaml"
    assert [t.id for t in load_templates(path)] == [template_id for template_id, _ in SEED_SOURCES]


@pytest.mark.parametrize("template", source_templates(), ids=lambda t: t.id)
@pytest.mark.parametrize("which", ["all", "required"])
def test_every_template_expands_into_a_valid_source_config(template: Template, which: str) -> None:
    params = {p.name: EXAMPLE_VALUES[p.type] for p in template.params if which == "all" or p.required}
    expanded = expand_template(template, params, BASE)
    ref = f"babelforce.{template.id}"
    config = SourceConfig.model_validate({**expanded, "template": ref, "params": params})
    assert config.url.startswith(BASE + "/")
    assert "{" not in config.url
    assert template.description and all(p.description for p in template.params)


def test_seed_only_endpoints_are_marked_and_others_are_vendor_documented() -> None:
    marked = {t.id for t in source_templates() if t.documented_by == "seed-only"}
    assert marked == SEED_ONLY
    for template in source_templates():
        assert template.seed_path != template.path
        if template.seed_path or template.documented_by == "seed-only":
            assert template.notes


def test_real_api_conventions() -> None:
    by_id = {t.id: t for t in source_templates()}
    assert by_id["list_call_records"].path == "/api/v2/calls/reporting"
    assert by_id["list_calls"].path == "/api/v2/calls/reporting/simple"
    assert by_id["get_average_call_duration"].path == "/api/v2/metrics/calls.duration.avg"
    assert by_id["get_average_wrapup_time"].path == "/api/v2/metrics/queues.wrapup.avg"
    assert by_id["get_average_call_duration"].path_to_data == "$"
    assert by_id["get_agent"].path_to_data == "$.item"
    queues = by_id["list_queues"].pagination
    assert isinstance(queues, PagePagination)
    assert (queues.page_param, queues.size_param, queues.size, queues.total_pages_path) == (
        "page", "max", 100, "$.pagination.pages")
    tasks = by_id["list_tasks"]
    assert tasks.path == "/api/v3/tasks" and tasks.path_to_data == "$.records[*]"
    assert isinstance(tasks.pagination, PagePagination)
    assert (tasks.pagination.size_param, tasks.pagination.total_pages_path) == (
        "page_size", "$._metadata.page_count")
    scim = by_id["list_users_scim"]
    assert isinstance(scim.pagination, OffsetPagination)
    assert (scim.pagination.offset_param, scim.pagination.limit_param, scim.pagination.start) == (
        "startIndex", "count", 1)
    assert scim.pagination.total_records_path == "$.totalResults" and scim.path_to_data == "$.Resources[*]"
    for unpaged in ("list_users", "list_campaigns", "list_outbound_lists"):
        assert by_id[unpaged].pagination.type == "none"
        assert by_id[unpaged].path_to_data == "$.items[*]"
    assert by_id["synchronize_agents"].method == "POST"


# --- expansion -----------------------------------------------------------------------------------

def test_list_call_records_expands_to_reporting_with_unix_second_filters() -> None:
    expanded = expand("babelforce.list_call_records", {
        "start_date": "2026-01-01T00:00:00Z", "end_date": "{now}", "agent_id": "a1", "queue_id": "q1"})
    assert expanded["url"] == f"{BASE}/api/v2/calls/reporting"
    assert expanded["query"] == {"time.start": JAN_1_2026, "time.end": "{now|epoch}",
                                 "agentId": "a1", "queueId": "q1"}
    assert expanded["pagination"]["type"] == "page"
    assert expanded["path_to_data"] == "$.items[*]"


@pytest.mark.parametrize(("given", "wire"), [
    ("{now}", "{now|epoch}"),
    ("{now-1}", "{now-1|epoch}"),
    ("{now+2}", "{now+2|epoch}"),
    ("(now-4)", "{now-4|epoch}"),
    ("{now-1|yyyy-MM-dd}", "{now-1|yyyy-MM-dd}"),
    ("2026-01-01T00:00:00Z", JAN_1_2026),
    ("2026-01-01T01:00:00+01:00", JAN_1_2026),
    ("2026-01-01", JAN_1_2026),
    (date(2026, 1, 1), JAN_1_2026),
    (datetime(2026, 1, 1), JAN_1_2026),
    (1767225600, JAN_1_2026),
    ("{lookup.started}", "{lookup.started}"),
])
def test_datetime_params_are_sent_in_the_wire_format(given: Any, wire: str) -> None:
    expanded = expand("get_total_calls_metric", {"start_date": given, "end_date": "{now}"})
    assert expanded["query"] == {"from": wire, "to": "{now|epoch}"}


def test_datetime_params_without_wire_format_pass_as_given_and_iso_stays_iso() -> None:
    template = custom_template(
        query={"since": "{since}", "until": "{until}"},
        params=[{"name": "since", "type": "datetime", "required": True, "description": "start"},
                {"name": "until", "type": "datetime", "required": True, "description": "end",
                 "wire_format": "iso"}])
    expanded = expand_template(template, {"since": "(now-4)", "until": "2026-01-01T00:00:00Z"}, BASE)
    assert expanded["query"] == {"since": "(now-4)", "until": "2026-01-01T00:00:00Z"}
    macro = expand_template(template, {"since": "{now}", "until": "{now-1}"}, BASE)["query"]["until"]
    assert macro == "{now-1|iso}"


def test_absent_optional_query_params_are_dropped_and_booleans_render_lowercase() -> None:
    assert expand("list_agents", {})["query"] == {}
    assert expand("list_agents", {"enabled": False})["query"] == {"enabled": "false"}
    assert expand("list_agents", {"enabled": "TRUE", "source_id": "crm-7"})["query"] == {
        "sourceId": "crm-7", "enabled": "true"}


def test_path_params_are_url_quoted_but_lookup_macros_are_kept() -> None:
    assert expand("get_agent", {"id": "a b/c"})["url"] == f"{BASE}/api/v2/agents/a%20b%2Fc"
    leads = expand("get_outbound_leads", {"list_id": "{lookup.id}"})
    assert leads["url"] == f"{BASE}/api/v2/outbound/lists/{{lookup.id}}/leads"


def test_integer_params_are_checked_and_rendered() -> None:
    limit = {"name": "limit", "type": "integer", "required": False, "description": "n"}
    template = custom_template(query={"limit": "{limit}"}, params=[limit])
    assert expand_template(template, {"limit": "12"}, BASE)["query"] == {"limit": "12"}
    with pytest.raises(ConfigError) as caught:
        expand_template(template, {"limit": "twelve"}, BASE, where="destination")
    assert caught.value.path == "destination.params.limit"
    assert caught.value.value == "twelve" and caught.value.fix


# --- errors --------------------------------------------------------------------------------------

def test_unknown_param_names_the_param_and_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        expand("list_agents", {"enabeld": True})
    assert caught.value.path == "source.params.enabeld"
    assert "is not a parameter of template list_agents" in str(caught.value)
    assert caught.value.fix == "use one of: source_id, enabled"


def test_missing_required_param_gives_its_description_as_the_fix() -> None:
    with pytest.raises(ConfigError) as caught:
        expand("get_outbound_campaign", {})
    assert caught.value.path == "source.params.campaign_id"
    assert caught.value.fix and "list_campaigns" in caught.value.fix


@pytest.mark.parametrize(("ref", "params", "path"), [
    ("list_agents", {"enabled": "yes"}, "source.params.enabled"),
    ("list_agents", {"source_id": ["a", "b"]}, "source.params.source_id"),
    ("get_total_calls_metric", {"start_date": "last week", "end_date": "{now}"}, "source.params.start_date"),
    ("get_total_calls_metric", {"start_date": "{now}", "end_date": 1.5}, "source.params.end_date"),
])
def test_values_of_the_wrong_type_are_refused(ref: str, params: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        expand(ref, params)
    assert caught.value.path == path and caught.value.fix


def test_unknown_template_suggests_close_matches() -> None:
    with pytest.raises(ConfigError) as caught:
        registry.get_template("babelforce.list_call_record")
    assert "babelforce.list_call_records" in (caught.value.fix or "")
    with pytest.raises(ConfigError) as bare:
        registry.get_template("get_agnet", service="babelforce", kind="source")
    assert bare.value.path == "source.template" and "babelforce.get_agent" in (bare.value.fix or "")


def test_templates_are_found_by_qualified_or_bare_id() -> None:
    assert registry.get_template("babelforce.list_sms").name == "List SMS"
    assert registry.get_template("list_sms", service="babelforce").name == "List SMS"
    assert registry.get_template("list_sms").name == "List SMS"
    assert registry.templates("rest") == []


def test_unknown_service_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        registry.get_service("babelfarce")
    assert "babelforce" in (caught.value.fix or "") and "rest" in (caught.value.fix or "")


@pytest.mark.parametrize(("change", "message"), [
    ({"pagination": {"type": "pages"}}, "pagination"),
    ({"path": "/x/{nope}"}, "not a declared parameter"),
    ({"colour": "blue"}, "colour"),
])
def test_a_bad_template_file_names_the_file_and_the_template(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    entry = {"id": "broken_one", "name": "Broken", "description": "d", "path": "/x",
             "documented_by": "vendor"}
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"service": "demo", "kind": "source", "templates": [{**entry, **change}]}))
    with pytest.raises(ConfigError) as caught:
        load_templates(path)
    assert str(path) in caught.value.path and "broken_one" in caught.value.path
    assert message in str(caught.value)


# --- base URLs -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "url"), [
    ({}, "https://services.babelforce.com"),
    ({"environment": "services"}, "https://services.babelforce.com"),
    ({"environment": "us-east"}, "https://us-east.babelforce.com"),
    ({"environment": "ap-southeast"}, "https://ap-southeast.babelforce.com"),
    ({"environment": "my-company"}, "https://my-company.babelforce.com"),
    ({"environment": "https://acme.babelforce.com/"}, "https://acme.babelforce.com"),
    ({"environment": "us-east", "base_url": "http://127.0.0.1:8080"}, "http://127.0.0.1:8080"),
])
def test_babelforce_base_url_follows_the_environment(fields: dict[str, str], url: str) -> None:
    credential = Credential(service="babelforce", **fields)
    assert registry.get_service("babelforce").base_url_for(credential) == url


@pytest.mark.parametrize("environment", ["us east", "us-east.babelforce.com", "ftp://x.example", "-bad-"])
def test_a_bad_environment_is_a_config_error(environment: str) -> None:
    babelforce = registry.get_service("babelforce")
    with pytest.raises(ConfigError) as caught:
        babelforce.base_url_for(Credential(service="babelforce", environment=environment))
    assert caught.value.path == "credential.environment"
    assert caught.value.value == environment and caught.value.fix


def test_the_generic_rest_service_needs_a_base_url() -> None:
    rest = registry.get_service("rest")
    assert rest.base_url_for(Credential(base_url="https://api.example.com/")) == "https://api.example.com"
    with pytest.raises(ConfigError) as caught:
        rest.base_url_for(Credential())
    assert caught.value.path == "credential.base_url"


def test_a_mistyped_date_macro_is_reported_at_the_parameter_that_holds_it() -> None:
    with pytest.raises(ConfigError) as caught:
        expand("list_call_records", {"start_date": "{now-1d}", "end_date": "{now}"})
    assert caught.value.path == "source.params.start_date"
    assert "unknown macro {now-1d}" in str(caught.value)
    assert expand("list_call_records", {"start_date": "{now-1}", "end_date": "{now}"})["query"]
