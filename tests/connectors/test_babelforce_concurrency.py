"""``concurrency: N`` against the Babelforce emulator: requests really overlap, yet every valid lead lands
exactly once and outcomes, rejects and captured responses come out as from a one-at-a-time run; an OAuth
token refused under several requests at once is renewed once; upserts stay serial."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.babelforce_access import babelforce_credential
from trunkline.api import deliver
from trunkline.core.errors import AuthError, ConfigError
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import RunningEmulator, start_in_thread

LEADS = 300
BATCH = 25
INVALID_ROWS = {7: {"number": "not a phone"}, 58: {"uid": None}, 199: {"rank": "high"}}
#: Row 120 repeats row 110's uid: the emulator refuses that whole batch of 25, which is split until row
#: 120 alone is refused and the rest of its batch is delivered.
DUPLICATE_ROW, DUPLICATED_ROW = 120, 110


@pytest.fixture
def bf() -> Iterator[RunningEmulator]:
    with start_in_thread(create_app(seed=41)) as running:
        yield running


def manager(bf: RunningEmulator) -> httpx.Client:
    creds = bf.app.state.credentials
    return httpx.Client(base_url=bf.base_url, timeout=10,
                        headers={"X-Auth-Access-Id": creds.access_id, "X-Auth-Access-Token": creds.access_token})


def new_list(bf: RunningEmulator, name: str) -> str:
    with manager(bf) as api:
        return api.post("/api/v2/outbound/lists", json={"name": name}).json()["item"]["id"]


def leads() -> list[dict[str, Any]]:
    records = [{"uid": f"c-{n}", "number": f"+4930{5000000 + n}", "rank": n % 90, "data": {"n": str(n)}}
               for n in range(LEADS)]
    for row, change in INVALID_ROWS.items():
        records[row].update(change)
    records[DUPLICATE_ROW]["uid"] = records[DUPLICATED_ROW]["uid"]
    return records


def eight_valid_leads() -> list[dict[str, Any]]:
    return leads()[10:18]


def run(bf: RunningEmulator, folder: Path, list_id: str, concurrency: int) -> tuple[dict, list[str], list[dict]]:
    """Deliver the leads; return the summary, the rejects (list id made neutral) and the captured responses."""
    destination = {"credential": babelforce_credential(bf),
                   "template": "add_outbound_lead", "params": {"list_id": list_id},
                   "batch": {"size": BATCH}, "concurrency": concurrency, "capture_responses": "sent"}
    folder.mkdir()
    summary = deliver(destination, leads(), rejects=folder / "rejects.jsonl", responses=folder / "sent.jsonl")
    rejects = (folder / "rejects.jsonl").read_text().replace(list_id, "LIST").splitlines()
    captured = [json.loads(line) for line in (folder / "sent.jsonl").read_text().replace(list_id, "LIST").splitlines()]
    return summary.as_dict(), rejects, captured


def comparable(capture: dict[str, Any]) -> dict[str, Any]:
    """A captured response without what differs from run to run (time, generated ids, headers)."""
    body = capture["body"] or {}
    uids = [item["uid"] for item in body.get("items", [])] if isinstance(body, dict) else []
    kept = {key: value for key, value in capture.items() if key not in ("sent_at", "body", "headers")}
    return {**kept, "uids": uids, "message": body.get("message") if isinstance(body, dict) else body}


def stored_uids(bf: RunningEmulator, list_id: str) -> Counter[str]:
    return Counter(lead["uid"] for lead in bf.app.state.data.leads_by_list[list_id])


def test_concurrent_batches_deliver_every_valid_lead_once_and_report_like_a_serial_run(bf, tmp_path):
    serial_list, concurrent_list = new_list(bf, "serial"), new_list(bf, "concurrent")
    serial = run(bf, tmp_path / "serial", serial_list, 1)
    concurrent = run(bf, tmp_path / "concurrent", concurrent_list, 4)
    summary, rejects, captured = concurrent
    assert summary["delivered"] == LEADS - len(INVALID_ROWS) - 1
    assert summary["invalid"] == len(INVALID_ROWS) and summary["failed"] == 1
    valid = {lead["uid"] for row, lead in enumerate(leads()) if row not in INVALID_ROWS}
    assert stored_uids(bf, concurrent_list) == Counter(valid)  # every valid lead, each exactly once
    assert [json.loads(line)["row"] for line in rejects] == sorted([*INVALID_ROWS, DUPLICATE_ROW])  # input order
    firsts = [capture["input_rows"][0] for capture in captured]
    assert firsts[0] == 0 and firsts == sorted(firsts, key=lambda row: row // BATCH)  # batch after batch
    counts = ("records", "requests", "retries", "delivered", "invalid", "failed", "review", "held")
    assert {key: summary[key] for key in counts} == {key: serial[0][key] for key in counts}
    assert rejects == serial[1]
    assert [comparable(capture) for capture in captured] == [comparable(capture) for capture in serial[2]]
    assert stored_uids(bf, serial_list) == stored_uids(bf, concurrent_list)


def test_requests_overlap_but_never_more_than_the_concurrency(bf, tmp_path):
    list_id = new_list(bf, "overlap")
    path = f"/api/v2/outbound/lists/{list_id}/leads"
    hold = 0.3
    bf.app.state.control.add_fault(status=None, delay=hold, count=8, path_prefix=path)
    destination = {"credential": babelforce_credential(bf),
                   "template": "add_outbound_lead", "params": {"list_id": list_id},
                   "concurrency": 4}
    summary = deliver(destination, eight_valid_leads(), rejects=tmp_path / "rejects.jsonl")
    assert summary.outcomes["delivered"] == 8
    ended = sorted(entry["time"] for entry in bf.app.state.control.requests() if entry["path"] == path)
    assert len(ended) == 8
    # each request was open for at least `hold` before it ended: two ending closer than that overlapped
    assert min(later - earlier for earlier, later in pairwise(ended)) < hold / 2
    # four at a time at most: the fifth left only once one of the first four had ended, so it ended at
    # least `hold` after the first (with five or more at a time they would all end together)
    assert ended[4] - ended[0] >= hold * 0.9
    assert summary.seconds >= 2 * hold


def test_a_token_refused_under_several_requests_at_once_is_renewed_once(bf, tmp_path):
    list_id = new_list(bf, "renewal")
    path = f"/api/v2/outbound/lists/{list_id}/leads"
    # the token is revoked under them; the delay keeps the 401s out until all four requests have arrived
    bf.app.state.control.add_fault(status=401, count=4, path_prefix=path, delay=0.3)
    destination = {"credential": babelforce_credential(bf),
                   "template": "add_outbound_lead", "params": {"list_id": list_id},
                   "concurrency": 4}
    summary = deliver(destination, eight_valid_leads(), rejects=tmp_path / "rejects.jsonl")
    assert summary.outcomes["delivered"] == 8
    calls = [(entry["method"], entry["path"], entry["status"]) for entry in bf.app.state.control.requests()]
    assert calls.count(("POST", path, 401)) == 4
    assert calls.count(("POST", "/oauth/token", 200)) == 2  # the first token, and one renewal for all four
    assert stored_uids(bf, list_id) == Counter(lead["uid"] for lead in eight_valid_leads())


def test_upsert_refuses_concurrency_with_the_reason_and_the_fix(bf, tmp_path):
    destination = {"credential": babelforce_credential(bf), "template": "add_outbound_lead",
                   "params": {"list_id": new_list(bf, "upsert")}, "mode": "upsert", "concurrency": 4}
    with pytest.raises(ConfigError) as raised:
        deliver(destination, leads()[:2], rejects=tmp_path / "rejects.jsonl")
    message = str(raised.value)
    assert message.startswith("destination.concurrency: must be 1 with mode: upsert")
    assert "(got 4)" in message and "Fix: remove concurrency" in message
    assert [entry for entry in bf.app.state.control.requests() if entry["method"] == "POST"
            and entry["path"].endswith("/leads")] == []


def test_a_refused_password_is_tried_once_not_once_per_request_in_flight(bf, tmp_path):
    list_id = new_list(bf, "refused")
    destination = {"credential": {**babelforce_credential(bf), "password": "not-the-password"},
                   "template": "add_outbound_lead", "params": {"list_id": list_id}, "concurrency": 4}
    with pytest.raises(AuthError) as caught:
        deliver(destination, eight_valid_leads(), rejects=tmp_path / "rejects.jsonl")
    assert "refused the username/password" in str(caught.value) and "not-the-password" not in str(caught.value)
    grants = [entry for entry in bf.app.state.control.requests() if entry["path"] == "/oauth/token"]
    assert len(grants) == 1  # not four: a locked account would be the price
    assert stored_uids(bf, list_id) == Counter()
