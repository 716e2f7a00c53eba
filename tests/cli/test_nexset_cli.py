"""``trunkline nexset``: list, show, sample, schema and export through the real CLI, as JSON and as tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.run import run_cli
from trunkline.readers.files import read_records
from trunkline.store.nexsets import NexsetStore


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home with two nexsets: ``calls`` (two runs, the second with a drifted schema) and ``agents``."""
    home = tmp_path / "home"
    store = NexsetStore(home, part_rows=2)
    store.append("calls", [{"id": i, "agent": {"name": "Zoë"}, "duration": 30} for i in range(3)],
                 run_id="run-1", source="calls.yaml")
    store.append("calls", [{"id": f"c-{i}", "agent": {"name": "Ana"}, "queue": "sales"} for i in range(3, 5)],
                 run_id="run-2", source="calls.yaml")
    store.append("agents", [{"id": 1, "name": "Zoë"}], run_id="run-9", source="agents.yaml")
    return home


def test_list_and_show(home: Path) -> None:
    listed = json.loads(run_cli("--home", str(home), "nexset", "list", "--json").stdout)
    assert [(n["name"], n["records"], n["parts"], n["runs"], n["schema_version"]) for n in listed] == [
        ("agents", 1, 1, 1, 1), ("calls", 5, 3, 2, 2)]
    assert listed[1]["first_write"] <= listed[1]["last_write"] and listed[1]["bytes"] > 0

    table = run_cli("--home", str(home), "nexset", "list", columns=200).stdout
    assert "agents" in table and "calls" in table and "v2" in table and "KiB" in table

    shown = json.loads(run_cli("--home", str(home), "nexset", "show", "calls", "--json").stdout)
    assert (shown["name"], shown["records"], shown["runs"]) == ("calls", 5, 2)
    assert [(f["name"], f["type"], f["nullable"]) for f in shown["fields"]] == [
        ("id", "string", False), ("agent", "object", False), ("duration", "integer", True),
        ("queue", "string", True)]

    text = run_cli("--home", str(home), "nexset", "show", "calls", columns=200).stdout
    assert "Schema (version 2)" in text and "queue" in text and '{"name": "Zoë"}' in text


def test_sample_and_schema(home: Path) -> None:
    sampled = json.loads(run_cli("--home", str(home), "nexset", "sample", "calls", "--limit", "3", "--json").stdout)
    assert sampled == [{"id": 2, "agent": {"name": "Zoë"}, "duration": 30},
                       {"id": "c-3", "agent": {"name": "Ana"}, "queue": "sales"},
                       {"id": "c-4", "agent": {"name": "Ana"}, "queue": "sales"}]
    table = run_cli("--home", str(home), "nexset", "sample", "calls", "--lineage", columns=250).stdout
    assert "_run_id" in table and "run-2" in table and "c-4" in table and "sales" in table

    kept = json.loads(run_cli("--home", str(home), "nexset", "schema", "calls", "--history", "--json").stdout)
    assert kept["version"] == 2
    assert [v["run_id"] for v in kept["versions"]] == ["run-1", "run-2"]
    assert kept["versions"][1]["changes"] == {
        "added": ["queue"], "changed": [{"field": "id", "old": "integer", "new": "string", "seen": "string"}],
        "missing": ["duration"]}
    history = run_cli("--home", str(home), "nexset", "schema", "calls", "--history", columns=200).stdout
    assert "History" in history and "id integer → string" in history and "duration" in history


def test_export(home: Path, tmp_path: Path) -> None:
    output = tmp_path / "calls.jsonl"
    exported = json.loads(run_cli("--home", str(home), "nexset", "export", "calls", "--output", str(output),
                                  "--json").stdout)
    assert exported == {"nexset": "calls", "output": str(output), "records": 5}
    assert [record["id"] for record in read_records(output)] == [0, 1, 2, "c-3", "c-4"]

    csv_file = tmp_path / "run-2.csv"
    said = run_cli("--home", str(home), "nexset", "export", "calls", "-o", str(csv_file), "--run", "run-2",
                   "--lineage").stdout
    assert "exported 2 record(s) of calls" in said
    rows = list(read_records(csv_file))
    assert [(row["id"], row["_run_id"], row["agent"]) for row in rows] == [
        ("c-3", "run-2", '{"name":"Ana"}'), ("c-4", "run-2", '{"name":"Ana"}')]


def test_clear_errors(home: Path, tmp_path: Path) -> None:
    unknown = run_cli("--home", str(home), "nexset", "sample", "cals", expect_exit=2)
    assert "no nexset named 'cals'" in unknown.stderr and "agents, calls" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    bad = run_cli("--home", str(home), "nexset", "export", "calls", "--output", str(tmp_path / "x.xlsx"),
                  expect_exit=2)
    assert "unknown file format" in bad.stderr and not (tmp_path / "x.xlsx").exists()


def test_exporting_a_run_the_nexset_does_not_hold_names_the_runs_it_does(home: Path, tmp_path: Path) -> None:
    output = tmp_path / "nothing.jsonl"
    refused = run_cli("--home", str(home), "nexset", "export", "calls", "-o", str(output), "--run", "run-3",
                      expect_exit=2)
    assert "--run: names no run with records in nexset calls (got 'run-3')" in refused.stderr
    assert "run-2, run-1" in refused.stderr
    assert not output.exists()
