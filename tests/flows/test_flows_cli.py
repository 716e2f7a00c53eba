"""Flows through the real CLI against the Babelforce emulator: incremental windows, the delivery ledger,
crash and resume, dead letters and the scheduler. The emulator's state is the judge."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.cli.run import run_cli
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import RunningEmulator, start_in_thread


@pytest.fixture
def bf() -> Iterator[RunningEmulator]:
    with start_in_thread(create_app(seed=31)) as running:
        yield running


@pytest.fixture
def env(tmp_path: Path, bf: RunningEmulator) -> dict[str, str]:
    creds = bf.app.state.credentials
    return {"BF_USER": creds.username, "BF_PASSWORD": creds.password, "BF_URL": bf.base_url,
            "TRUNKLINE_HOME": str(tmp_path / "home")}


def manager(bf: RunningEmulator) -> httpx.Client:
    creds = bf.app.state.credentials
    token = httpx.post(f"{bf.base_url}/oauth/token", data={"grant_type": "password", "username": creds.username,
                                                          "password": creds.password}).json()["access_token"]
    return httpx.Client(base_url=bf.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def leads_in(bf: RunningEmulator, list_id: str) -> list[dict]:
    body = manager(bf).get(f"/api/v2/outbound/lists/{list_id}/leads", params={"max": 1000}).json()
    return body["items"]


CREDENTIAL = {"service": "babelforce", "base_url": "${BF_URL}", "username": "${BF_USER}", "password": "${BF_PASSWORD}"}


def write_leads_flow(folder: Path, list_id: str, count: int, *, name: str = "crm-leads", **flow: Any) -> Path:
    """A CSV of leads and a flow that upserts them into the list, keyed by uid."""
    with (folder / "leads.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["uid", "number", "rank", "segment"])
        writer.writeheader()
        for n in range(count):
            writer.writerow({"uid": f"crm-{n}", "number": f"+4930{1000000 + n}", "rank": n % 100,
                             "segment": "gold" if n % 3 == 0 else "silver"})
    (folder / "to-dialer.yaml").write_text(yaml.safe_dump({
        "credential": CREDENTIAL, "template": "add_outbound_lead", "params": {"list_id": list_id}, "mode": "upsert",
    }))
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({
        "name": name, "source": {"type": "file", "path": "leads.csv"},
        "transforms": [{"compute": {"data": {"segment": "{segment}"}}}, {"exclude": ["segment"]}],
        "destinations": [{"type": "api", "destination": "to-dialer.yaml", "key": "uid", "name": "dialer"}], **flow,
    }))
    return path


def write_calls_flow(folder: Path, start: datetime, *, cursor: str) -> Path:
    """A flow that fetches call records from ``start`` in windows of a day into JSONL files, one per run."""
    (folder / "calls.yaml").write_text(yaml.safe_dump({"credential": CREDENTIAL, "template": "list_call_records"}))
    flow = folder / "calls-flow.yaml"
    flow.write_text(yaml.safe_dump({
        "name": "calls", "source": "calls.yaml",
        "incremental": {"cursor": cursor, "start": start.isoformat(), "window": "1 day"},
        "destinations": [{"type": "jsonl", "path": "out/calls-{run}.jsonl"}],
    }))
    return flow


def new_list(bf: RunningEmulator, name: str) -> str:
    return manager(bf).post("/api/v2/outbound/lists", json={"name": name}).json()["item"]["id"]


def test_leads_flow_delivers_once_and_then_only_changes(bf, env, tmp_path):
    list_id = new_list(bf, "flow list")
    flow = write_leads_flow(tmp_path, list_id, 30)
    first = json.loads(run_cli("flow", "run", str(flow), "--json", env=env).stdout)
    assert first["status"] == "succeeded" and first["counts"]["fetched"] == 30
    assert first["counts"]["destinations"]["dialer"]["acknowledged"] == 30
    stored = {lead["uid"]: lead for lead in leads_in(bf, list_id)}
    assert len(stored) == 30 and stored["crm-3"]["data"] == {"segment": "gold"}
    rows = list(csv.DictReader((tmp_path / "leads.csv").open()))
    rows[5]["segment"] = "platinum"
    with (tmp_path / "leads.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    second = json.loads(run_cli("flow", "run", str(flow), "--json", env=env).stdout)
    step = second["counts"]["destinations"]["dialer"]
    assert step["unchanged"] == 29 and step["acknowledged"] == 1
    assert {lead["uid"]: lead for lead in leads_in(bf, list_id)}["crm-5"]["data"] == {"segment": "platinum"}
    runs = json.loads(run_cli("flow", "runs", "crm-leads", "--json", env=env).stdout)
    assert [run["status"] for run in runs] == ["succeeded", "succeeded"]


def test_a_killed_run_resumes_with_nothing_lost_and_nothing_sent_twice(bf, env, tmp_path):
    list_id = new_list(bf, "crash list")
    count = 120
    flow = write_leads_flow(tmp_path, list_id, count)
    leads_path = f"/api/v2/outbound/lists/{list_id}/leads"
    bf.app.state.control.add_fault(status=None, delay=0.02, count=10_000, path_prefix=leads_path)
    process = subprocess.Popen([sys.executable, "-m", "trunkline", "flow", "run", str(flow)],
                               env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(leads_in(bf, list_id)) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    delivered_before = len(leads_in(bf, list_id))
    assert 40 <= delivered_before < count
    bf.app.state.control.clear_faults()
    bf.app.state.control.clear_requests()
    rerun = json.loads(run_cli("flow", "run", str(flow), "--json", env=env).stdout)
    step = rerun["counts"]["destinations"]["dialer"]
    leads = leads_in(bf, list_id)
    assert sorted(lead["uid"] for lead in leads) == sorted(f"crm-{n}" for n in range(count))  # none lost, none twice
    posts = [entry for entry in bf.app.state.control.requests()
             if entry["method"] == "POST" and entry["path"].endswith("/leads")]
    assert len(posts) <= count - delivered_before + 1  # only what the killed run had not delivered
    assert step["unchanged"] >= delivered_before - 1 and step.get("dead", 0) == 0
    statuses = json.loads(run_cli("flow", "status", "crm-leads", "--json", env=env).stdout)[0]
    assert statuses["ledger"]["dialer"] == {"acknowledged": count}


def test_dead_letters_are_listed_and_replayed(bf, env, tmp_path):
    list_id = new_list(bf, "dead list")
    flow = write_leads_flow(tmp_path, list_id, 5)
    data = yaml.safe_load(flow.read_text())
    data["destinations"][0]["max_attempts"] = 1
    flow.write_text(yaml.safe_dump(data))
    destination = yaml.safe_load((tmp_path / "to-dialer.yaml").read_text())
    destination.pop("mode")  # plain creates: the injected 400s hit the first two POSTs
    (tmp_path / "to-dialer.yaml").write_text(yaml.safe_dump(destination))
    bf.app.state.control.add_fault(status=400, count=2, path_prefix=f"/api/v2/outbound/lists/{list_id}/leads")
    run = json.loads(run_cli("flow", "run", str(flow), "--json", env=env, expect_exit=1).stdout)
    assert run["counts"]["destinations"]["dialer"]["dead"] == 2
    dead = json.loads(run_cli("deadletters", "list", "crm-leads", "--json", env=env).stdout)
    assert len(dead) == 2 and all(entry["http_status"] == 400 and entry["record"]["uid"] for entry in dead)
    assert len(leads_in(bf, list_id)) == 3
    replayed = json.loads(run_cli("deadletters", "replay", "crm-leads", "--json", env=env).stdout)
    assert replayed["dialer"]["acknowledged"] == 2
    assert len(leads_in(bf, list_id)) == 5
    assert json.loads(run_cli("deadletters", "list", "crm-leads", "--json", env=env).stdout) == []


def test_incremental_windows_have_no_gap_and_no_overlap(bf, env, tmp_path):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2, hours=5)
    flow = write_calls_flow(tmp_path, start, cursor="dateCreated")
    first = json.loads(run_cli("flow", "run", str(flow), "--json", env=env).stdout)
    assert first["counts"]["windows"] == 3
    newest = max((json.loads(line) for path in (tmp_path / "out").glob("calls-*.jsonl")
                  for line in path.read_text().splitlines()), key=lambda call: call["dateCreated"])["dateCreated"]
    assert first["counts"]["cursor"] == {"field": "dateCreated", "newest": newest}
    second = json.loads(run_cli("flow", "run", str(flow), "--json", env=env).stdout)
    assert second["counts"]["windows"] <= 1
    exported = tmp_path / "all.jsonl"
    run_cli("nexset", "export", "calls", "--output", str(exported), env=env)
    ids = [json.loads(line)["id"] for line in exported.read_text().splitlines()]
    data = bf.app.state.data
    end = datetime.now(UTC)
    expected = {call["id"] for call, created in zip(data.calls, data.call_epochs, strict=True)
                if start.timestamp() <= created < end.timestamp()}
    assert len(ids) == len(set(ids))  # no overlap between windows or runs
    assert set(ids) == expected  # no gap
    files = sorted((tmp_path / "out").glob("calls-*.jsonl"))
    assert sum(len(path.read_text().splitlines()) for path in files) == len(ids)


def test_the_scheduler_runs_an_active_flow_on_its_schedule(bf, env, tmp_path):
    list_id = new_list(bf, "scheduled list")
    flow = write_leads_flow(tmp_path, list_id, 3, schedule="* * * * * */1")
    run_cli("flow", "activate", str(flow), env=env)
    status = json.loads(run_cli("flow", "status", "--json", env=env).stdout)
    assert status[0]["active"] is True and status[0]["schedule"] == "* * * * * */1"
    served = run_cli("serve", "--max-runs", "2", "--tick", "0.2", env=env, timeout=60)
    assert served.stdout.count("crm-leads: succeeded") == 2
    runs = json.loads(run_cli("flow", "runs", "crm-leads", "--json", env=env).stdout)
    assert len(runs) == 2 and runs[0]["counts"]["destinations"]["dialer"]["unchanged"] == 3
    run_cli("flow", "pause", "crm-leads", env=env)
    assert json.loads(run_cli("flow", "status", "crm-leads", "--json", env=env).stdout)[0]["active"] is False
    assert "crm-leads is active" in run_cli("flow", "activate", "crm-leads", env=env).stdout
    assert len(leads_in(bf, list_id)) == 3


def test_unknown_flow_and_bad_flow_files_are_clear_errors(env, tmp_path):
    assert "no flow named 'nope'" in run_cli("flow", "runs", "nope", env=env, expect_exit=2).stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"name": "bad", "source": "x.yaml", "destinations": [{"type": "ftp"}]}))
    error = run_cli("flow", "run", str(bad), env=env, expect_exit=2).stderr
    assert "flow.destinations" in error
    bad.write_text(yaml.safe_dump({"name": "bad", "source": "x.yaml", "schedule": "every day"}))
    assert "flow.schedule" in run_cli("flow", "run", str(bad), env=env, expect_exit=2).stderr


@pytest.mark.parametrize(("source", "destination", "expected"), [
    ({"type": "file", "file": "leads.jsonl"}, {"type": "jsonl", "path": "out.jsonl"},
     "flow.source.path: is required"),
    ({"type": "file", "path": "leads.jsonl", "fromat": "csv"}, {"type": "jsonl", "path": "out.jsonl"},
     "flow.source.fromat: is not a known key. Fix: did you mean format? Otherwise remove it or check its spelling "
     "against docs/flows.md"),
    ({"type": "file", "path": "leads.jsonl"}, {"type": "jsonl", "pth": "out.jsonl"},
     "flow.destinations.0.path: is required"),
])
def test_a_misspelt_file_source_or_destination_key_is_named_before_anything_runs(env, tmp_path, source, destination,
                                                                                  expected):
    (tmp_path / "leads.jsonl").write_text('{"uid": "a"}\n')
    flow = tmp_path / "flow.yaml"
    flow.write_text(yaml.safe_dump({"name": "typo", "source": source, "destinations": [destination]}))
    result = run_cli("flow", "run", str(flow), env=env, expect_exit=2)
    assert expected in result.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_a_flow_whose_file_broke_is_skipped_and_the_scheduler_runs_the_others(bf, env, tmp_path):
    list_id = new_list(bf, "healthy list")
    healthy = write_leads_flow(tmp_path, list_id, 2, schedule="* * * * * */1")
    broken_folder = tmp_path / "broken"
    broken_folder.mkdir()
    broken = write_leads_flow(broken_folder, list_id, 2, name="broken", schedule="* * * * * */1")
    run_cli("flow", "activate", str(healthy), env=env)
    run_cli("flow", "activate", str(broken), env=env)
    broken.write_text(yaml.safe_dump({"name": "broken", "source": "x.yaml", "destinations": [{"type": "ftp"}]}))
    served = run_cli("serve", "--max-runs", "2", "--tick", "0.2", env=env, timeout=60)
    assert served.stdout.count("crm-leads: succeeded") == 2
    assert "flow broken could not start: flow.destinations.0: has an unknown type" in served.stderr
    assert served.stderr.count("flow broken could not start") <= 3  # once per scheduled second, not every tick
    refused = run_cli("serve", "--tick", "-1", "--max-runs", "1", env=env, expect_exit=2)
    assert "Invalid value for '--tick'" in refused.stderr and "internal error" not in refused.stderr


def test_activating_reads_the_files_schedule_and_registers_nothing_without_one(bf, env, tmp_path):
    flow = write_leads_flow(tmp_path, new_list(bf, "unscheduled"), 1)
    assert "flow.schedule: is needed" in run_cli("flow", "activate", str(flow), env=env, expect_exit=2).stderr
    assert json.loads(run_cli("flow", "status", "--json", env=env).stdout) == []
    write_leads_flow(tmp_path, new_list(bf, "scheduled"), 1, schedule="0 * * * *")
    run_cli("flow", "activate", str(flow), env=env)
    write_leads_flow(tmp_path, new_list(bf, "rescheduled"), 1, schedule="30 2 * * *")
    run_cli("flow", "activate", "crm-leads", env=env)  # by name: the file's schedule as it is now
    assert json.loads(run_cli("flow", "status", "crm-leads", "--json", env=env).stdout)[0]["schedule"] == "30 2 * * *"


def test_a_cursor_no_record_carries_is_warned_about(bf, env, tmp_path):
    flow = write_calls_flow(tmp_path, datetime.now(UTC) - timedelta(hours=20), cursor="dateCreatd")
    result = run_cli("flow", "run", str(flow), "--json", env=env)
    assert json.loads(result.stdout)["counts"]["cursor"] == {"field": "dateCreatd", "newest": None}
    assert "incremental.cursor 'dateCreatd' is in none of the" in result.stderr
