"""``trunkline deadletters replay`` against the Babelforce emulator: a replayed record that fails again stays
dead (a flow run does not retry it), the counts add up to the number replayed, and the command exits 1
when any replayed record was not delivered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.babelforce_access import access_headers, babelforce_credential, new_outbound_list
from tests.cli.run import run_cli
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import RunningEmulator, start_in_thread


@pytest.fixture(scope="module")
def bf() -> Iterator[RunningEmulator]:
    with start_in_thread(create_app(seed=43)) as running:
        yield running


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"TRUNKLINE_HOME": str(tmp_path / "home")}


def take_uid(bf: RunningEmulator, list_id: str, uid: str) -> None:
    """Create a lead with ``uid`` first: the emulator then refuses another with 400, every time."""
    httpx.post(f"{bf.base_url}/api/v2/outbound/lists/{list_id}/leads", headers=access_headers(bf),
               json={"uid": uid, "number": "+49309999999", "rank": 1}).raise_for_status()


def stored_uids(bf: RunningEmulator, list_id: str) -> list[str]:
    return sorted(lead["uid"] for lead in bf.app.state.data.leads_by_list[list_id])


def write_flow(bf: RunningEmulator, folder: Path, records: list[dict[str, Any]]) -> tuple[Path, str]:
    """Leads as JSONL and a flow that creates them (plain POST) in a new list, keyed by uid, 2 attempts."""
    list_id = new_outbound_list(bf, folder.name)
    (folder / "leads.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records))
    (folder / "to-dialer.yaml").write_text(yaml.safe_dump({
        "credential": babelforce_credential(bf), "template": "add_outbound_lead", "params": {"list_id": list_id}}))
    flow = folder / "leads-flow.yaml"
    flow.write_text(yaml.safe_dump({
        "name": "leads", "source": {"type": "file", "path": "leads.jsonl"},
        "destinations": [{"type": "api", "destination": "to-dialer.yaml", "key": "uid", "name": "dialer",
                          "max_attempts": 2}]}))
    return flow, list_id


def lead(n: int, **fields: Any) -> dict[str, Any]:
    return {"uid": f"r-{n}", "number": f"+4930{4000000 + n}", "rank": n, **fields}


def ledger(env: dict[str, str]) -> dict[str, int]:
    return json.loads(run_cli("flow", "status", "leads", "--json", env=env).stdout)[0]["ledger"]["dialer"]


def dead_letters(env: dict[str, str]) -> list[dict[str, Any]]:
    return json.loads(run_cli("deadletters", "list", "leads", "--json", env=env).stdout)


def test_a_replayed_record_that_fails_again_stays_dead(bf, env, tmp_path):
    flow, list_id = write_flow(bf, tmp_path, [lead(1), lead(2), lead(3)])
    take_uid(bf, list_id, "r-2")
    run_cli("flow", "run", str(flow), env=env, expect_exit=1)
    second = json.loads(run_cli("flow", "run", str(flow), "--json", env=env, expect_exit=1).stdout)
    assert second["counts"]["destinations"]["dialer"]["dead"] == 1  # the second attempt

    replayed = run_cli("deadletters", "replay", "leads", env=env, expect_exit=1).stdout

    assert "dialer: 1 replayed — 0 delivered, 1 still dead" in replayed
    assert ledger(env) == {"acknowledged": 2, "dead": 1}
    [dead] = dead_letters(env)
    assert (dead["key"], dead["attempts"], dead["http_status"]) == ("r-2", 1, 400)
    assert "already used" in dead["reason"]

    rerun = json.loads(run_cli("flow", "run", str(flow), "--json", env=env).stdout)  # does not retry it

    assert rerun["counts"]["destinations"]["dialer"]["skipped_dead"] == 1
    assert rerun["counts"]["destinations"]["dialer"]["requests"] == 0
    assert ledger(env) == {"acknowledged": 2, "dead": 1}


def test_replay_counts_add_up_to_the_dead_letters_replayed(bf, env, tmp_path):
    refused_by_validation = lead(3, number="12ab")  # dead before any request; stays dead on replay
    flow, list_id = write_flow(bf, tmp_path, [lead(1), refused_by_validation])
    bf.app.state.control.add_fault(status=400, count=2, path_prefix=f"/api/v2/outbound/lists/{list_id}/leads")
    run_cli("flow", "run", str(flow), env=env, expect_exit=1)  # r-1: 400; r-3 dead at once
    second = json.loads(run_cli("flow", "run", str(flow), "--json", env=env, expect_exit=1).stdout)
    assert second["counts"]["destinations"]["dialer"]["dead"] == 1  # r-1: 400 again; r-3 stays dead

    replayed = json.loads(run_cli("deadletters", "replay", "leads", "--json", env=env, expect_exit=1).stdout)

    counts = replayed["dialer"]
    assert counts["records"] == 2 and counts["acknowledged"] == 1 and counts["dead"] == 1
    assert counts["acknowledged"] + counts["dead"] + counts["unchanged"] + counts["failed"] == counts["records"]
    assert stored_uids(bf, list_id) == ["r-1"]
    assert ledger(env) == {"acknowledged": 1, "dead": 1}
    assert [entry["key"] for entry in dead_letters(env)] == ["r-3"]
