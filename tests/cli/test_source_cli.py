"""``trunkline source show|test|run`` against the Babelforce emulator, as a user runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from tests.cli.run import run_cli


@pytest.fixture
def sources(tmp_path: Path, babelforce_emulator) -> Path:
    """A folder with an agents source (password from the environment) and a call-records source."""
    credential = {"service": "babelforce", "base_url": babelforce_emulator.base_url,
                  "username": "${BF_USER}", "password": "${BF_PASSWORD}"}
    (tmp_path / "agents.yaml").write_text(yaml.safe_dump({"credential": credential, "template": "list_agents"}))
    (tmp_path / "calls.yaml").write_text(yaml.safe_dump({
        "credential": credential, "template": "list_call_records",
        "params": {"start_date": "{now-3}", "end_date": "{now}"},
    }))
    return tmp_path


@pytest.fixture
def env(tmp_path: Path, babelforce_emulator) -> dict[str, str]:
    creds = babelforce_emulator.app.state.credentials
    return {"BF_USER": creds.username, "BF_PASSWORD": creds.password, "TRUNKLINE_HOME": str(tmp_path / "home")}


def test_show_prints_the_effective_manual_configuration_with_the_secret_masked(sources, env):
    result = run_cli("source", "show", str(sources / "agents.yaml"), env=env)
    shown = yaml.safe_load(result.stdout)
    assert shown["from_template"] == "babelforce.list_agents"
    assert shown["method"] == "GET" and shown["url"].endswith("/api/v2/agents")
    assert shown["path_to_data"] == "$.items[*]"
    assert shown["pagination"]["type"] == "page" and shown["pagination"]["size_param"] == "max"
    assert shown["credential"]["password"] == "****"
    assert env["BF_PASSWORD"] not in result.stdout + result.stderr


def test_test_gives_records_schema_and_path_suggestions(sources, env, babelforce_emulator):
    result = run_cli("source", "test", str(sources / "agents.yaml"), "--limit", "3", "--json", env=env)
    sample = json.loads(result.stdout)
    agents = babelforce_emulator.app.state.data.agents
    assert [record["id"] for record in sample["records"]] == [agent["id"] for agent in agents[:3]]
    fields = {column["field"]: column for column in sample["schema"]}
    assert fields["id"]["type"] == "string" and fields["enabled"]["type"] == "boolean"
    data_paths = [s["path"] for s in sample["suggestions"] if s["kind"] == "data"]
    assert data_paths[0] == "$.items[*]"
    assert "$.pagination.pages" in [s["path"] for s in sample["suggestions"] if s["kind"] == "pagination"]


def test_test_as_tables_names_fields_and_suggestions(sources, env):
    result = run_cli("source", "test", str(sources / "agents.yaml"), "--limit", "2", env=env, columns=160)
    assert "Path suggestions" in result.stdout
    assert "$.items[*]" in result.stdout
    assert "display_status" in result.stdout


@pytest.mark.parametrize("suffix", ["jsonl", "csv", "parquet"])
def test_run_writes_every_record_and_prints_a_summary(sources, env, babelforce_emulator, suffix):
    output = sources / f"agents.{suffix}"
    result = run_cli("source", "run", str(sources / "agents.yaml"), "--output", str(output), "--json", env=env)
    summary = json.loads(result.stdout)
    agents = babelforce_emulator.app.state.data.agents
    assert summary["records"] == len(agents)
    assert summary["pages"] == summary["requests"] >= 2  # the emulator pages 100 per page
    if suffix == "jsonl":
        ids = [json.loads(line)["id"] for line in output.read_text().splitlines()]
    elif suffix == "csv":
        with output.open(newline="") as handle:
            ids = [row["id"] for row in csv.DictReader(handle)]
    else:
        ids = pq.read_table(output).column("id").to_pylist()
    assert ids == [agent["id"] for agent in agents]


def test_run_human_summary_and_limit(sources, env):
    output = sources / "calls.jsonl"
    result = run_cli("source", "run", str(sources / "calls.yaml"), "-o", str(output), "--limit", "120", env=env)
    assert len(output.read_text().splitlines()) == 120
    assert "120 records" in " ".join(result.stdout.split())


def test_the_password_never_appears_in_any_output_or_file(sources, env):
    outputs = [
        run_cli("source", "show", str(sources / "calls.yaml"), env=env),
        run_cli("source", "test", str(sources / "calls.yaml"), "--json", env=env),
        run_cli("source", "test", str(sources / "calls.yaml"), env=env),
        run_cli("source", "run", str(sources / "calls.yaml"), "-o", str(sources / "out.jsonl"), env=env),
        run_cli("--debug", "source", "run", str(sources / "calls.yaml"), "-o", str(sources / "o.csv"), env=env),
    ]
    bad_env = {**env, "BF_PASSWORD": env["BF_PASSWORD"] + "-wrong"}
    outputs.append(run_cli("source", "test", str(sources / "calls.yaml"), env=bad_env, expect_exit=1))
    for result in outputs:
        for secret in (env["BF_PASSWORD"], bad_env["BF_PASSWORD"]):
            assert secret not in result.stdout and secret not in result.stderr
    assert "refused the username/password" in outputs[-1].stderr
    for path in sources.rglob("*"):
        if path.is_file():
            assert env["BF_PASSWORD"].encode() not in path.read_bytes(), path


def test_a_malformed_source_names_the_key_and_the_fix(tmp_path, env):
    source = tmp_path / "bad.yaml"
    source.write_text("url: http://127.0.0.1:9/x\npagination: {type: page, size: many}\n")
    result = run_cli("source", "test", str(source), env=env, expect_exit=2)
    assert "pagination.size" in result.stderr
    assert "many" in result.stderr


@pytest.mark.parametrize(("credential", "url", "expected"), [
    ({"username": "manager@example.com"}, "/api/v2/queues",
     "credential.password: username and password are both required"),
    ({"access_id": "0123456789abcdef"}, "/api/v2/queues", "credential.access_token: access_id and access_token"),
    ({"username": "manager@example.com", "password": "x", "token": "y"}, "/api/v2/queues",
     "credential.auth: the credential has the fields of more than one way to sign in (username/password and token)"),
    ({"username": "manager@example.com", "password": "x"}, "api/v2/queues",
     "source.url: must start with http:// or https://, or with / to use the credential's base_url"),
    ({"username": "manager@example.com", "password": "x"}, "{now}", "url: is not an http:// or https:// URL"),
])
def test_a_source_that_cannot_sign_in_or_has_no_http_url_is_a_config_error_before_any_request(
        tmp_path, env, babelforce_emulator, credential, url, expected):
    source = tmp_path / "half.yaml"
    source.write_text(yaml.safe_dump({
        "credential": {"service": "babelforce", "base_url": babelforce_emulator.base_url, **credential}, "url": url,
    }))
    result = run_cli("source", "test", str(source), env=env, expect_exit=2)
    assert expected in result.stderr
    assert "retried" not in result.stderr


BF = {"service": "babelforce", "base_url": "http://127.0.0.1:9", "username": "a", "password": "b"}


@pytest.mark.parametrize(("source", "expected"), [
    pytest.param({"credential": BF, "template": "list_call_records",
                  "parameters": {"start_date": "{now-1}", "end_date": "{now}"}},
                 ["source.parameters: cannot be set on a template source", "did you mean params?"], id="template-key"),
    pytest.param({"credential": BF, "template": "list_agents", "pagination": {"type": "page", "size": 5}},
                 ["source.pagination: cannot be set on a template source", "manual form"], id="template-paging"),
    pytest.param({"credential": BF, "template": "list_call_records"},
                 ["source.params.start_date: is required by template list_call_records (so is end_date)",
                  "set start_date:", "set end_date:"], id="every-missing-parameter"),
    pytest.param({"credential": {**BF, "service": "babelforc"}, "template": "list_agents"},
                 ["credential.service: is not a known service (got 'babelforc')"], id="service"),
    pytest.param({"url": "http://127.0.0.1:9/x?d={now}", "date_format": "garbage"},
                 ["source.date_format: bad date format 'garbage'"], id="date-format"),
    pytest.param({"url": "http://127.0.0.1:9/x", "headers": "X-List:a,b"},
                 ["source.headers: each header must be written name:value, and 'b' is not",
                  "write headers as a YAML mapping"], id="header-string"),
])
def test_a_mistake_in_a_source_file_is_named_where_it_was_written_with_the_fix(tmp_path, env, source, expected):
    path = tmp_path / "source.yaml"
    path.write_text(yaml.safe_dump(source))
    stderr = run_cli("source", "show", str(path), env=env, expect_exit=2).stderr
    assert all(part in stderr for part in expected), stderr


def test_a_key_written_twice_in_a_file_is_refused_with_both_lines(tmp_path, env):
    source = tmp_path / "twice.yaml"
    source.write_text("url: http://127.0.0.1:9/first\nheaders: {Accept: application/json}\nurl: http://127.0.0.1:9/second\n")
    result = run_cli("source", "show", str(source), env=env, expect_exit=2)
    assert "writes the key 'url' twice in one mapping (lines 1 and 3)" in result.stderr
    assert "second" not in result.stdout


def test_an_error_under_a_lookup_source_is_one_clear_line_without_a_traceback(sources, env, babelforce_emulator):
    credential = yaml.safe_load((sources / "agents.yaml").read_text())["credential"]
    (sources / "lists.yaml").write_text(yaml.safe_dump({"credential": credential, "url": "/api/v2/outbound/lists",
                                                        "path_to_data": "$.items[*]"}))
    (sources / "chained.yaml").write_text(yaml.safe_dump({
        "credential": credential, "url": "/api/v2/outbound/nolists/{lookup.id}/leads", "path_to_data": "$.items[*]",
        "lookup": {"source": "lists.yaml", "column": "id"},
    }))
    result = run_cli("source", "test", str(sources / "chained.yaml"), env=env, expect_exit=1)
    assert "answered 404" in result.stderr
    assert "Traceback" not in result.stderr and "already running" not in result.stderr


def test_a_metadata_or_total_path_the_first_page_lacks_is_warned_about(sources, env, tmp_path):
    credential = yaml.safe_load((sources / "agents.yaml").read_text())["credential"]
    source = tmp_path / "paths.yaml"
    source.write_text(yaml.safe_dump({
        "credential": credential, "url": "/api/v2/agents", "path_to_data": "$.items[*]",
        "path_to_metadata": "$.pagination.nope", "pagination": {"type": "page", "total_pages_path": "$.paging.pages"},
    }))
    result = run_cli("source", "run", str(source), "--output", str(tmp_path / "agents.jsonl"), env=env)
    assert "path_to_metadata $.pagination.nope matches nothing in the first page" in result.stderr
    assert "pagination.total_pages_path $.paging.pages matches nothing in the first page" in result.stderr
    assert (tmp_path / "agents.jsonl").read_text().count("\n") > 0
