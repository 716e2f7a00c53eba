"""``trunkline destination show|preview|test|run`` against the Babelforce emulator, as a user runs them."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.cli.run import run_cli
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import RunningEmulator, start_in_thread

LEADS = [{"uid": "c-1", "number": "+4915112345001", "rank": 3, "data": {"segment": "gold"}},
         {"uid": "c-2", "number": "015112345002", "rank": 2},
         {"uid": "c-3", "number": "12", "rank": 1}]


@pytest.fixture
def bf() -> Iterator[RunningEmulator]:
    with start_in_thread(create_app(seed=4)) as running:
        yield running


@pytest.fixture
def setup(tmp_path: Path, bf: RunningEmulator) -> tuple[Path, Path, dict[str, str]]:
    """A fresh outbound list, a destination file for it and a JSONL of leads."""
    creds = bf.app.state.credentials
    token = httpx.post(f"{bf.base_url}/oauth/token", data={"grant_type": "password", "username": creds.username,
                                                          "password": creds.password}).json()["access_token"]
    list_id = httpx.post(f"{bf.base_url}/api/v2/outbound/lists", json={"name": "cli list"},
                         headers={"Authorization": f"Bearer {token}"}).json()["item"]["id"]
    destination = tmp_path / "leads-out.yaml"
    destination.write_text(yaml.safe_dump({
        "credential": {"service": "babelforce", "base_url": bf.base_url, "username": "${BF_USER}",
                       "password": "${BF_PASSWORD}"},
        "template": "add_outbound_lead", "params": {"list_id": list_id}, "default_region": "DE",
        "capture_responses": "lead-responses",
    }))
    records = tmp_path / "leads.jsonl"
    records.write_text("".join(json.dumps(lead) + "\n" for lead in LEADS))
    env = {"BF_USER": creds.username, "BF_PASSWORD": creds.password, "TRUNKLINE_HOME": str(tmp_path / "home")}
    bf.app.state.control.clear_requests()
    return destination, records, env


def test_preview_prints_the_requests_masks_secrets_and_sends_nothing(setup, bf):
    destination, records, env = setup
    result = run_cli("destination", "preview", str(destination), "--input", str(records), env=env, columns=200)
    assert "POST http://127.0.0.1" in result.stdout and "/leads" in result.stdout
    assert "Authorization: Bearer ****" in result.stdout
    assert '"number": "+4915112345002"' in result.stdout  # normalised to E.164
    assert "not sent row 2: number: '12' is not a valid phone number" in " ".join(result.stdout.split())
    assert env["BF_PASSWORD"] not in result.stdout + result.stderr
    assert not [entry for entry in bf.app.state.control.requests() if entry["path"].endswith("/leads")]
    as_json = json.loads(run_cli("destination", "preview", str(destination), "-i", str(records), "--json",
                                 env=env).stdout)
    assert [request["rows"] for request in as_json["requests"]] == [[0], [1]]
    assert as_json["not_sent"][0]["row"] == 2


def test_test_sends_one_record_and_shows_the_response(setup):
    destination, records, env = setup
    [exchange] = json.loads(run_cli("destination", "test", str(destination), "-i", str(records), "--json",
                                    env=env).stdout)
    assert exchange["status"] == 200
    assert exchange["response_body"]["item"]["uid"] == "c-1"
    assert exchange["outcomes"] == [{"row": 0, "status": "delivered", "reason": None, "http_status": 200}]


def test_run_delivers_keeps_the_rest_with_reasons_and_captures_responses(setup, tmp_path):
    destination, records, env = setup
    csv_input = tmp_path / "leads.csv"
    with csv_input.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["uid", "number", "rank"])
        writer.writeheader()
        writer.writerows({key: lead[key] for key in ("uid", "number", "rank")} for lead in LEADS)
    result = run_cli("destination", "run", str(destination), "--input", str(csv_input), env=env, expect_exit=1,
                     columns=200)
    text = " ".join(result.stdout.split())
    assert "3 records — 2 delivered, 0 failed, 1 invalid" in text
    rejects = [json.loads(line) for line in (tmp_path / "leads-out.rejected.jsonl").read_text().splitlines()]
    assert [(r["row"], r["status"]) for r in rejects] == [(2, "invalid")]
    captured = [json.loads(line) for line in (tmp_path / "lead-responses.jsonl").read_text().splitlines()]
    assert [c["input_rows"] for c in captured] == [[0], [1]]
    assert all(c["status"] == 200 and c["body"]["item"]["id"] for c in captured)
    everything = result.stdout + result.stderr + "".join(p.read_text() for p in tmp_path.glob("*.jsonl"))
    assert env["BF_PASSWORD"] not in everything


def test_show_prints_the_expanded_template(setup):
    destination, _, env = setup
    shown = yaml.safe_load(run_cli("destination", "show", str(destination), env=env).stdout)
    assert shown["from_template"] == "babelforce.add_outbound_lead"
    assert shown["validate"]["required"] == ["uid", "number", "rank"]
    assert shown["credential"]["password"] == "****"


def test_preview_shows_what_the_run_sends_on_another_host_and_in_upsert_mode(setup, tmp_path):
    destination, records, env = setup
    config = yaml.safe_load(destination.read_text())
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(yaml.safe_dump({"credential": config["credential"], "method": "POST",
                                         "url": "http://127.0.0.2:9/hook"}))
    shown = json.loads(run_cli("destination", "preview", str(elsewhere), "-i", str(records), "--json",
                               env=env).stdout)
    assert shown["requests"] and all("Authorization" not in request["headers"] for request in shown["requests"])
    upsert = tmp_path / "upsert.yaml"
    upsert.write_text(yaml.safe_dump({**config, "mode": "upsert"}))
    noted = json.loads(run_cli("destination", "preview", str(upsert), "-i", str(records), "--json", env=env).stdout)
    assert noted["note"].startswith("mode upsert: a record already in the service")
    assert "note: mode upsert" in run_cli("destination", "preview", str(upsert), "-i", str(records), env=env,
                                          columns=200).stdout


def test_a_misspelt_nested_key_gets_the_key_it_most_likely_meant(setup):
    destination, records, env = setup
    config = yaml.safe_load(destination.read_text())
    destination.write_text(yaml.safe_dump({**config, "batch": {"sizee": 50}}))
    result = run_cli("destination", "preview", str(destination), "-i", str(records), env=env, expect_exit=2)
    assert "destination.batch.sizee: is not a known key. Fix: did you mean size?" in result.stderr
