"""The delivery ledger with ``concurrency: 4`` against the Babelforce emulator: a record whose key is still
on its way waits for that answer (so the ledger sees what a one-at-a-time run sees), and a run killed
with requests in flight resumes with nothing sent twice and nothing lost silently."""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.babelforce_access import babelforce_credential
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import RunningEmulator, start_in_thread
from trunkline.flows.runner import load_flow, run_flow
from trunkline.store.metadata import open_store
from trunkline.store.nexsets import NexsetStore


@pytest.fixture
def bf() -> Iterator[RunningEmulator]:
    with start_in_thread(create_app(seed=33)) as running:
        yield running


def new_list(bf: RunningEmulator, name: str) -> str:
    creds = bf.app.state.credentials
    headers = {"X-Auth-Access-Id": creds.access_id, "X-Auth-Access-Token": creds.access_token}
    response = httpx.post(f"{bf.base_url}/api/v2/outbound/lists", json={"name": name}, headers=headers)
    return response.raise_for_status().json()["item"]["id"]


def stored_uids(bf: RunningEmulator, list_id: str) -> Counter[str]:
    return Counter(lead["uid"] for lead in bf.app.state.data.leads_by_list[list_id])


def write_flow(bf: RunningEmulator, folder: Path, name: str, rows: list[dict[str, Any]], concurrency: int) -> Path:
    """A CSV of leads and a flow that creates them (POST, not idempotent) in a new list, keyed by uid."""
    folder.mkdir()
    with (folder / "leads.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["uid", "number", "rank"])
        writer.writeheader()
        writer.writerows(rows)
    (folder / "to-dialer.yaml").write_text(yaml.safe_dump({
        "credential": babelforce_credential(bf),
        "template": "add_outbound_lead", "params": {"list_id": new_list(bf, name)}, "concurrency": concurrency,
    }))
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({
        "name": name, "source": {"type": "file", "path": "leads.csv"},
        "destinations": [{"type": "api", "destination": "to-dialer.yaml", "key": "uid", "name": "dialer"}],
    }))
    return path


def list_of(flow: Path) -> str:
    return yaml.safe_load((flow.parent / "to-dialer.yaml").read_text())["params"]["list_id"]


def leads(count: int) -> list[dict[str, Any]]:
    return [{"uid": f"f-{n}", "number": f"+4940{3000000 + n}", "rank": n % 50} for n in range(count)]


def run_once(flow: Path, home: Path) -> Any:
    with open_store(home, url="") as store:
        return asyncio.run(run_flow(load_flow(flow), store=store, nexsets=NexsetStore(home), home=home))


def test_a_key_still_on_its_way_waits_for_its_answer_as_in_a_serial_run(bf, tmp_path):
    rows = leads(40)
    # the same record again while the first may be in flight: unchanged once the first is acknowledged
    rows[23] = dict(rows[20])
    rows[33] = {**rows[30], "rank": 49}  # changed: sent again, and the emulator refuses the taken uid
    steps = {}
    for concurrency in (1, 4):
        flow = write_flow(bf, tmp_path / f"c{concurrency}", f"leads-c{concurrency}", rows, concurrency)
        run = run_once(flow, tmp_path / "home")
        steps[concurrency] = run.counts["destinations"]["dialer"]
        assert stored_uids(bf, list_of(flow)) == Counter(f"f-{n}" for n in range(40) if n not in (23, 33))
    assert steps[4] == steps[1]
    assert steps[4]["acknowledged"] == 38 and steps[4]["unchanged"] == 1 and steps[4]["failed"] == 1
    assert steps[4].get("dead", 0) == 0


def test_a_run_killed_with_requests_in_flight_resumes_without_duplicates(bf, tmp_path):
    count = 150
    flow = write_flow(bf, tmp_path / "killed", "crash", leads(count), 4)
    list_id, home = list_of(flow), tmp_path / "home"
    leads_path = f"/api/v2/outbound/lists/{list_id}/leads"
    bf.app.state.control.add_fault(status=None, delay=0.05, count=10_000, path_prefix=leads_path)
    env = {**os.environ, "TRUNKLINE_HOME": str(home), "TRUNKLINE_STORE": ""}
    process = subprocess.Popen([sys.executable, "-m", "trunkline", "flow", "run", str(flow)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while sum(stored_uids(bf, list_id).values()) < 30 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    time.sleep(0.3)  # the requests the killed process left open end (and are logged) on the emulator's side
    delivered_before = sum(stored_uids(bf, list_id).values())
    assert 30 <= delivered_before < count
    bf.app.state.control.clear_faults()
    bf.app.state.control.clear_requests()

    rerun = run_once(flow, home)

    stored = stored_uids(bf, list_id)
    assert max(stored.values()) == 1  # nothing sent twice
    with open_store(home, url="") as store:
        dead = store.ledger_list("crash", status="dead")
        assert store.ledger_counts("crash")["dialer"] == {"acknowledged": count - len(dead), **(
            {"dead": len(dead)} if dead else {})}
    # only records whose request was in flight when the process died are dead letters, each saying so
    assert len(dead) <= 4
    assert all("may have been delivered" in entry.reason for entry in dead)
    assert set(stored) | {entry.record_key for entry in dead} == {f"f-{n}" for n in range(count)}  # none lost
    posts = [entry for entry in bf.app.state.control.requests() if entry["method"] == "POST"
             and entry["path"] == leads_path]
    assert len(posts) <= count - delivered_before  # the rerun sent only what the killed run had not
    assert rerun.counts["destinations"]["dialer"]["acknowledged"] == len(posts)


def test_a_stop_in_the_middle_of_a_split_batch_keeps_the_halves_already_delivered(bf, tmp_path):
    """A batch refused for one record is split; its first half is delivered, then the service asks to wait
    longer than the flow allows. The delivered half is acknowledged, the rest waits for the next run:
    that run sends only the rest."""
    folder = tmp_path / "split"
    rows = leads(8)
    rows[6]["uid"] = rows[1]["uid"]  # the emulator refuses a batch that repeats a uid
    flow = write_flow(bf, folder, "split", rows, 1)
    destination = yaml.safe_load((folder / "to-dialer.yaml").read_text())
    (folder / "to-dialer.yaml").write_text(yaml.safe_dump({**destination, "batch": {"size": 8}}))
    config = yaml.safe_load(flow.read_text())
    flow.write_text(yaml.safe_dump({**config, "retry": {"max_retry_after": 1}}))
    leads_path = f"/api/v2/outbound/lists/{list_of(flow)}/leads"
    control = bf.app.state.control
    control.add_fault(status=None, delay=0.01, path_prefix=leads_path, count=2)  # the batch, its first half
    control.add_fault(status=429, retry_after=30, path_prefix=leads_path, count=1)  # the second half

    first = run_once(flow, tmp_path / "home")
    assert first.status == "partial"
    assert set(stored_uids(bf, list_of(flow))) == {"f-0", "f-1", "f-2", "f-3"}
    control.clear_requests()

    second = run_once(flow, tmp_path / "home")
    assert stored_uids(bf, list_of(flow)) == Counter({f"f-{n}": 1 for n in (0, 1, 2, 3, 4, 5, 7)})
    dialer = second.counts["destinations"]["dialer"]
    # rows 0-3 were acknowledged in the first run, so the second finds them done (in the first run's
    # records it resumes and in its own fetch of the same file) instead of sending them again
    assert dialer["unchanged"] >= 8
    assert dialer["acknowledged"] == 3  # rows 4, 5 and 7; row 6 repeats row 1's uid and is refused


def test_nothing_new_is_sent_once_a_request_has_stopped_the_run(bf, tmp_path):
    """Four requests in flight: the first three held for 0.3, 0.6 and 0.9 s, the fourth refused at once with
    a wait longer than the flow allows. Nothing new is sent as the slow ones come back (each would free a
    place in the window); the run ends partial and the next one delivers the rest, nothing twice."""
    flow = write_flow(bf, tmp_path / "stop", "stop", leads(30), 4)
    config = yaml.safe_load(flow.read_text())
    flow.write_text(yaml.safe_dump({**config, "retry": {"max_retry_after": 1}}))
    list_id, home = list_of(flow), tmp_path / "home"
    leads_path = f"/api/v2/outbound/lists/{list_id}/leads"
    control = bf.app.state.control
    for hold in (0.3, 0.6, 0.9):
        control.add_fault(status=None, delay=hold, path_prefix=leads_path, count=1)
    control.add_fault(status=429, retry_after=30, path_prefix=leads_path, count=1)
    control.clear_requests()

    first = run_once(flow, home)

    posts = [entry for entry in control.requests() if entry["method"] == "POST" and entry["path"] == leads_path]
    assert first.status == "partial"
    assert len(posts) == 4  # the four in flight when the refusal came, no more
    assert sum(stored_uids(bf, list_id).values()) == 3
    second = run_once(flow, home)
    assert second.status == "succeeded"
    assert stored_uids(bf, list_id) == Counter(f"f-{n}" for n in range(30))
