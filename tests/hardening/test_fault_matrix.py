"""The reliability matrix: under each fault kind at 10%, a 10,000-record source flow and a 2,000-lead
destination flow end with every record delivered exactly once or dead-lettered with its reason, as
the emulator's own state shows. Zero lost, zero duplicated.

The flows run through the Python API (the CLI adds only process start-up). A run that ends with failed
records is rerun, as a schedule would, until the ledger is settled — at most ``RERUNS`` times.

Timing: the state directory lives on tmpfs when there is one, since the ledger commits every entry with
``synchronous=FULL`` and disk flushes are not what this matrix measures. The ``timeout`` kind holds a
source request longer than the client's timeout (the client gives up), and a destination request
shorter than it (the emulator closes the connection without answering): both ways an answer never comes.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.babelforce_access import babelforce_credential
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.common.fault_profile import FAULT_KINDS, KIND_ACTS, FaultProfile
from trunkline.emulators.server import RunningEmulator, start_in_thread
from trunkline.flows.runner import load_flow, run_flow
from trunkline.store.metadata import MetadataStore, open_store
from trunkline.store.nexsets import NexsetStore

RATE = 0.1
SOURCE_RECORDS = 10_000
LEADS = 2_000
RERUNS = 4
#: Client side: attempts and a short backoff; the timeout is the flow's own (see the module docstring).
RETRY = {"attempts": 6, "base_delay": 0.01, "max_delay": 0.1}
SOURCE_TIMEOUT, SOURCE_HOLD = 0.25, 0.5
DESTINATION_TIMEOUT, DESTINATION_HOLD = 5.0, 0.01
SLOW = 0.01


@pytest.fixture
def bf() -> Iterator[RunningEmulator]:
    with start_in_thread(create_app(seed=61)) as running:
        yield running


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A state directory, on tmpfs when the machine has one."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path / "home"
        return
    with tempfile.TemporaryDirectory(dir=shm, prefix="trunkline-matrix-") as folder:
        yield Path(folder)


def faults_on(bf: RunningEmulator, kind: str, hold: float) -> None:
    """Fail 10% of the requests with ``kind`` from now on (set up before, with no faults)."""
    bf.app.state.control.set_fault_profile(
        FaultProfile(rate=RATE, kinds=(kind,), seed=FAULT_KINDS.index(kind), retry_after=0, slow=SLOW, hold=hold))


def manager(bf: RunningEmulator) -> httpx.Client:
    creds = bf.app.state.credentials
    return httpx.Client(base_url=bf.base_url, timeout=30,
                        headers={"X-Auth-Access-Id": creds.access_id, "X-Auth-Access-Token": creds.access_token})


def new_list(bf: RunningEmulator, name: str, leads: int = 0) -> str:
    """A new outbound list holding ``leads`` generated leads, created before any fault is injected."""
    with manager(bf) as api:
        list_id = api.post("/api/v2/outbound/lists", json={"name": name}).json()["item"]["id"]
        for start in range(0, leads, 1_000):
            batch = [{"uid": f"src-{n}", "number": f"+4940{2000000 + n}", "rank": n % 50}
                     for n in range(start, min(start + 1_000, leads))]
            assert api.post(f"/api/v2/outbound/lists/{list_id}/leads", json=batch).status_code == 200
    return list_id


def run_until_settled(flow: dict[str, Any], home: Path, store: MetadataStore,
                      settled: Callable[[Any], bool]) -> list[Any]:
    """Run the flow, then rerun it while ``settled(run)`` says no, at most ``RERUNS`` times."""
    loaded, nexsets = load_flow(flow), NexsetStore(home)
    runs = []
    for _ in range(1 + RERUNS):
        try:
            runs.append(asyncio.run(run_flow(loaded, store=store, nexsets=nexsets, home=home)))
        except Exception as error:  # a failed run is recorded; the next one resumes (the assertions judge)
            runs.append(error)
        if settled(runs[-1]):
            break
    return runs


def injected(bf: RunningEmulator, kind: str) -> int:
    return bf.app.state.control.random_faults.status()["injected"].get(kind, 0)


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_a_source_flow_fetches_every_record_exactly_once(kind: str, bf: RunningEmulator, home: Path,
                                                         tmp_path: Path):
    list_id = new_list(bf, f"source {kind}", SOURCE_RECORDS)
    flow = {"name": "leads-out", "retry": {**RETRY, "timeout": SOURCE_TIMEOUT},
            "source": {"credential": babelforce_credential(bf),
                       "template": "get_outbound_leads", "params": {"list_id": list_id}},
            "destinations": [{"type": "jsonl", "path": str(tmp_path / "out" / "leads-{run}.jsonl")}]}
    faults_on(bf, kind, SOURCE_HOLD)
    with open_store(home, url="") as store:
        runs = run_until_settled(flow, home, store, lambda run: getattr(run, "status", None) == "succeeded")
    assert getattr(runs[-1], "status", None) == "succeeded", runs
    assert injected(bf, kind) >= 3
    written = [json.loads(line) for path in sorted((tmp_path / "out").glob("*.jsonl"))
               for line in path.read_text().splitlines()]
    served = {lead["id"]: lead for lead in bf.app.state.data.leads_by_list[list_id]}
    counts = Counter(record["id"] for record in written)
    assert len(served) == SOURCE_RECORDS and set(counts) == set(served)  # none lost
    assert max(counts.values()) == 1  # none twice
    assert all(record["uid"] == served[record["id"]]["uid"] for record in written)


def write_leads(path: Path) -> dict[str, dict[str, Any]]:
    """A CRM export of ``LEADS`` leads; returns them by uid as the emulator should end up storing them."""
    expected = {}
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["uid", "number", "rank", "segment"])
        writer.writeheader()
        for n in range(LEADS):
            row = {"uid": f"crm-{n}", "number": f"+4930{1000000 + n}", "rank": n % 100,
                   "segment": "gold" if n % 3 == 0 else "silver"}
            writer.writerow(row)
            expected[row["uid"]] = {"number": row["number"], "rank": row["rank"], "data": {"segment": row["segment"]}}
    return expected


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_a_destination_flow_delivers_every_lead_once_or_dead_letters_it(kind: str, bf: RunningEmulator,
                                                                        home: Path, tmp_path: Path):
    list_id = new_list(bf, f"dialer {kind}")
    expected = write_leads(tmp_path / "leads.csv")
    destination = {"credential": babelforce_credential(bf),
                   "template": "add_outbound_lead", "params": {"list_id": list_id},
                   "mode": "upsert"}
    flow = {"name": "crm-leads", "retry": {**RETRY, "timeout": DESTINATION_TIMEOUT},
            "source": {"type": "file", "path": str(tmp_path / "leads.csv")},
            "transforms": [{"compute": {"data": {"segment": "{segment}"}}}, {"exclude": ["segment"]}],
            "destinations": [{"type": "api", "destination": destination, "key": "uid", "name": "dialer"}]}
    faults_on(bf, kind, DESTINATION_HOLD)
    with open_store(home, url="") as store:
        def settled(run: Any) -> bool:
            return not store.ledger_list("crm-leads", status="failed") and \
                not store.ledger_list("crm-leads", status="pending")

        runs = run_until_settled(flow, home, store, settled)
        assert settled(runs[-1]), runs
        ledger = {entry.record_key: entry for entry in store.ledger_list("crm-leads", destination="dialer")}
        dead = store.ledger_list("crm-leads", destination="dialer", status="dead")  # = trunkline deadletters list
    assert injected(bf, kind) >= 10
    assert set(ledger) == set(expected)  # none lost from the books
    assert {entry.status for entry in ledger.values()} <= {"acknowledged", "dead"}
    assert all(entry.reason and entry.record for entry in dead)  # every dead letter says why
    if KIND_ACTS[kind] or kind == "429":  # retried at once, or sent again as an update: nothing is given up
        assert dead == []
    stored = Counter(lead["uid"] for lead in bf.app.state.data.leads_by_list[list_id])
    assert max(stored.values()) == 1 and set(stored) <= set(expected)  # none twice, nothing invented
    leads = {lead["uid"]: lead for lead in bf.app.state.data.leads_by_list[list_id]}
    for uid, entry in ledger.items():
        if entry.status == "acknowledged":
            lead = leads[uid]
            assert {"number": lead["number"], "rank": lead["rank"], "data": lead["data"]} == expected[uid]
