"""Known secrets go through every command (sources, destinations, flows, nexsets, credentials, errors,
--verbose and --debug); then every output, log and stored file is searched for them: none appear."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import yaml

from tests.cli.run import CliResult, run_cli
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.callrail.app import create_app as create_callrail_app
from trunkline.emulators.server import RunningEmulator, start_in_thread


@pytest.fixture
def services() -> Iterator[tuple[RunningEmulator, RunningEmulator]]:
    with start_in_thread(create_app(seed=41)) as bf, start_in_thread(create_callrail_app(seed=41)) as cr:
        yield bf, cr


def test_no_secret_appears_in_any_output_log_or_stored_file(services, tmp_path):
    bf, cr = services
    bf_creds, cr_creds = bf.app.state.credentials, cr.app.state.credentials
    secrets = [bf_creds.password, bf_creds.access_token, cr_creds.api_key]
    home = tmp_path / "home"
    env = {"TRUNKLINE_HOME": str(home), "BF_PASSWORD": bf_creds.password, "CR_KEY": cr_creds.api_key}
    outputs: list[CliResult] = []

    def cli(*args: str, expect_exit: int = 0) -> CliResult:
        result = run_cli(*args, env=env, expect_exit=expect_exit, columns=200)
        outputs.append(result)
        return result

    cli("credentials", "add", "bf", "--service", "babelforce", "--base-url", bf.base_url,
        "--username", bf_creds.username, "--password", "${BF_PASSWORD}")
    cli("credentials", "add", "bf-access", "--service", "babelforce", "--base-url", bf.base_url,
        "--access-id", bf_creds.access_id, "--access-token", bf_creds.access_token)
    cli("credentials", "add", "cr", "--service", "callrail", "--base-url", cr.base_url, "--token", "${CR_KEY}")
    cli("credentials", "list")
    cli("credentials", "list", "--json")

    (tmp_path / "lists.yaml").write_text(yaml.safe_dump({"credential": "bf", "template": "list_outbound_lists"}))
    (tmp_path / "agents.yaml").write_text(yaml.safe_dump({"credential": "bf-access", "template": "list_agents"}))
    for source in ("lists.yaml", "agents.yaml"):
        cli("source", "show", str(tmp_path / source))
        cli("source", "test", str(tmp_path / source), "--json")
        cli("--verbose", "source", "run", str(tmp_path / source), "-o", str(tmp_path / f"{source}.jsonl"))
        cli("--debug", "source", "test", str(tmp_path / source))

    list_id = json.loads((tmp_path / "lists.yaml.jsonl").read_text().splitlines()[0])["id"]
    (tmp_path / "leads.jsonl").write_text("".join(
        json.dumps({"uid": f"s-{n}", "number": f"+4930555{n:04d}", "rank": n}) + "\n" for n in range(4)))
    (tmp_path / "to-list.yaml").write_text(yaml.safe_dump({
        "credential": "bf", "template": "add_outbound_lead", "params": {"list_id": list_id}, "mode": "upsert",
        "capture_responses": "lead-responses"}))
    company = cr.app.state.data.companies[0]
    (tmp_path / "companies.jsonl").write_text(json.dumps({"id": company["id"], "name": "Renamed Co"}) + "\n")
    (tmp_path / "to-callrail.yaml").write_text(yaml.safe_dump({
        "credential": "cr", "template": "update_company", "params": {"account_id": cr_creds.account_id},
        "exclude": ["id"], "capture_responses": "company-responses"}))
    for destination, records in (("to-list.yaml", "leads.jsonl"), ("to-callrail.yaml", "companies.jsonl")):
        cli("destination", "show", str(tmp_path / destination))
        cli("destination", "preview", str(tmp_path / destination), "-i", str(tmp_path / records))
        cli("destination", "test", str(tmp_path / destination), "-i", str(tmp_path / records), "--json")
        cli("--verbose", "destination", "run", str(tmp_path / destination), "-i", str(tmp_path / records))

    (tmp_path / "flow.yaml").write_text(yaml.safe_dump({
        "name": "secret-flow", "source": {"type": "file", "path": "leads.jsonl"},
        "destinations": [{"type": "api", "destination": "to-list.yaml", "key": "uid"},
                         {"type": "duckdb", "path": "w.duckdb", "table": "leads", "mode": "merge", "key": "uid"}]}))
    cli("flow", "run", str(tmp_path / "flow.yaml"), "--json")
    cli("flow", "status", "--json")
    cli("flow", "runs", "secret-flow")
    cli("deadletters", "list", "secret-flow", "--json")
    cli("nexset", "list")
    cli("nexset", "sample", "secret-flow", "--lineage", "--json")
    cli("nexset", "export", "secret-flow", "--output", str(tmp_path / "export.csv"))

    wrong = {**env, "BF_PASSWORD": bf_creds.password + "-wrong"}
    (tmp_path / "wrong.yaml").write_text(yaml.safe_dump({"credential": {
        "service": "babelforce", "base_url": bf.base_url, "username": bf_creds.username,
        "password": "${BF_PASSWORD}"}, "template": "list_agents"}))
    for flag in ("--verbose", "--debug"):
        result = run_cli(flag, "source", "test", str(tmp_path / "wrong.yaml"), env=wrong, expect_exit=1)
        outputs.append(result)
        secrets.append(wrong["BF_PASSWORD"])

    for result in outputs:
        for secret in secrets:
            assert secret not in result.stdout and secret not in result.stderr
    stored = [path for path in [*home.rglob("*"), *tmp_path.glob("*")] if path.is_file()]
    assert any(path.name == "trunkline.db" for path in stored)
    assert any(path.name == "lead-responses.jsonl" for path in stored)
    for path in stored:
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, f"{secret[:3]}… found in {path}"
    key_file = home / "secret.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
