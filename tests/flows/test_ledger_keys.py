"""The ledger key of an API destination against the Babelforce emulator: a record without a value for the
key is dead-lettered on a row of its own (never sent, never mixed with another record), and a key that no
record has is a config error that names it and the fields the records do have."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.babelforce_access import babelforce_credential, new_outbound_list
from tests.cli.run import run_cli
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import RunningEmulator, start_in_thread


@pytest.fixture(scope="module")
def bf() -> Iterator[RunningEmulator]:
    with start_in_thread(create_app(seed=41)) as running:
        yield running


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"TRUNKLINE_HOME": str(tmp_path / "home")}


def stored_uids(bf: RunningEmulator, list_id: str) -> list[str]:
    return sorted(lead["uid"] for lead in bf.app.state.data.leads_by_list[list_id])


def write_flow(bf: RunningEmulator, folder: Path, records: list[dict[str, Any]], key: str) -> tuple[Path, str]:
    """A JSONL file of leads and a flow that creates them (plain POST) in a new list with ``key``."""
    list_id = new_outbound_list(bf, folder.name)
    (folder / "leads.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records))
    (folder / "to-dialer.yaml").write_text(yaml.safe_dump({
        "credential": babelforce_credential(bf), "template": "add_outbound_lead", "params": {"list_id": list_id}}))
    flow = folder / "leads-flow.yaml"
    flow.write_text(yaml.safe_dump({
        "name": "leads", "source": {"type": "file", "path": "leads.jsonl"},
        "destinations": [{"type": "api", "destination": "to-dialer.yaml", "key": key, "name": "dialer",
                          "max_attempts": 2}]}))
    return flow, list_id


def lead(n: int, **fields: Any) -> dict[str, Any]:
    return {"uid": f"k-{n}", "number": f"+4930{2000000 + n}", "rank": n, **fields}


def ledger(env: dict[str, str]) -> dict[str, int]:
    status = json.loads(run_cli("flow", "status", "leads", "--json", env=env).stdout)[0]
    return status["ledger"].get("dialer", {})


def test_records_without_a_key_value_are_dead_letters_on_rows_of_their_own(bf, env, tmp_path):
    no_uid = {"number": "+49302000097", "rank": 97}
    records = [lead(1), lead(2), {**lead(3), "uid": None}, no_uid, {**lead(4), "uid": "  "}, lead(5)]
    flow, list_id = write_flow(bf, tmp_path, records, key="uid")

    first = json.loads(run_cli("flow", "run", str(flow), "--json", env=env, expect_exit=1).stdout)

    step = first["counts"]["destinations"]["dialer"]
    assert step["acknowledged"] == 3 and step["dead"] == 3
    assert stored_uids(bf, list_id) == ["k-1", "k-2", "k-5"]  # the keyless ones were not sent
    assert ledger(env) == {"acknowledged": 3, "dead": 3}  # one row per record, none named "None"
    dead = json.loads(run_cli("deadletters", "list", "leads", "--json", env=env).stdout)
    assert sorted(entry["record"]["number"] for entry in dead) == ["+49302000003", "+49302000004", "+49302000097"]
    assert len({entry["key"] for entry in dead}) == 3 and "None" not in {entry["key"] for entry in dead}
    for entry in dead:
        assert "flow.destinations.0.key" in entry["reason"] and "'uid'" in entry["reason"]
        assert entry["attempts"] == 0 and entry["http_status"] is None

    second = json.loads(run_cli("flow", "run", str(flow), "--json", env=env).stdout)  # dead letters stay put

    step = second["counts"]["destinations"]["dialer"]
    assert step["unchanged"] == 3 and step["skipped_dead"] == 3 and step["requests"] == 0
    assert stored_uids(bf, list_id) == ["k-1", "k-2", "k-5"]
    assert ledger(env) == {"acknowledged": 3, "dead": 3}


def test_a_key_that_no_record_has_is_a_config_error_and_nothing_is_sent(bf, env, tmp_path):
    flow, list_id = write_flow(bf, tmp_path, [lead(n) for n in range(4)], key="uuid")

    error = run_cli("flow", "run", str(flow), env=env, expect_exit=2).stderr

    assert "flow.destinations.0.key" in error and "'uuid'" in error
    assert "uid, number, rank" in error  # the fields the records do have
    assert "internal error" not in error
    assert stored_uids(bf, list_id) == []
    assert ledger(env) == {}  # no ledger row at all, let alone one shared by every record

    data = yaml.safe_load(flow.read_text())
    data["destinations"][0]["key"] = "uid"
    flow.write_text(yaml.safe_dump(data))
    run_cli("flow", "run", str(flow), "--json", env=env)

    assert stored_uids(bf, list_id) == ["k-0", "k-1", "k-2", "k-3"]  # each once
    assert ledger(env) == {"acknowledged": 4}

