"""A flow's transforms and incremental window through the real CLI: a mistake in one is refused with its
config path (an unknown transform or op, a filter value that does not fit its op, a too short window), a
record a transform cannot handle stops the run with a message naming the transform, the field, the value
and the record, and filters compare values of different kinds by the rules of docs/flows.md."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.babelforce_access import babelforce_credential
from tests.cli.run import run_cli

PEOPLE = [
    {"id": 1, "name": "ann", "score": 57, "joined": "2026-11-02T10:00:00Z", "tags": ["vip", "7"]},
    {"id": 2, "name": "bob5", "score": 9, "joined": "2026-10-02T10:00:00+02:00", "tags": []},
    {"id": 3, "name": "cy", "score": None, "joined": "2026-12-24", "tags": ["x"]},
]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"TRUNKLINE_HOME": str(tmp_path / "home")}


def write_flow(folder: Path, transforms: list[Any], *, records: list[dict[str, Any]] | None = None,
               source: str = "people.jsonl", **extra: Any) -> Path:
    """People as JSONL (and the same as CSV) and a flow that writes them, transformed, to a JSONL file."""
    rows = PEOPLE if records is None else records
    (folder / "people.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    with (folder / "people.csv").open("w", newline="") as handle:  # CSV writes null as an empty cell
        writer = csv.DictWriter(handle, fieldnames=list(dict.fromkeys(name for row in rows for name in row)))
        writer.writeheader()
        writer.writerows(rows)
    flow = folder / "people-flow.yaml"
    flow.write_text(yaml.safe_dump({
        "name": "people", "source": {"type": "file", "path": source}, "transforms": transforms,
        "destinations": [{"type": "jsonl", "path": "out/people-{run}.jsonl"}], **extra}))
    return flow


def written(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for path in sorted((folder / "out").glob("*.jsonl"))
            for line in path.read_text().splitlines()]


def refused(flow: Path, env: dict[str, str], code: int = 2) -> str:
    error = run_cli("flow", "run", str(flow), env=env, expect_exit=code).stderr
    assert "internal error" not in error
    return " ".join(error.split())  # the terminal wraps long messages


@pytest.mark.parametrize(("transform", "expected"), [
    ({"drop": ["a"]}, "flow.transforms.0: unknown transform 'drop': use one of rename, exclude, filter, compute"),
    ({"rename": {"a": "b"}, "exclude": ["c"]}, "flow.transforms.0: a transform is a mapping with one key"),
    ({"filter": {"field": "name", "op": "regex", "value": "a"}}, "flow.transforms.0.filter.op:"),
    ({"filter": {"field": "score", "op": "in", "value": "57"}}, "flow.transforms.0.filter.value: in needs a list"),
    ({"filter": {"field": "score", "op": "gt", "value": [1]}}, "flow.transforms.0.filter.value: gt needs a number"),
    ({"filter": {"field": "score", "op": "exists", "value": 1}}, "flow.transforms.0.filter.value: exists takes no"),
    ({"rename": {"name": "label", "id": "label"}}, "flow.transforms.0.rename: renames both 'id' and 'name' to 'label'"),
])
def test_a_transform_that_cannot_be_right_is_refused_with_its_path(tmp_path, env, transform, expected):
    error = refused(write_flow(tmp_path, [transform]), env)

    assert expected in error
    assert "Rename" not in error and ".rename: is required" not in error


def test_an_unknown_op_lists_the_ops_there_are(tmp_path, env):
    error = refused(write_flow(tmp_path, [{"filter": {"field": "name", "op": "regex", "value": "a"}}]), env)

    for op in ("eq", "ne", "gt", "ge", "lt", "le", "in", "not_in", "exists", "missing", "contains"):
        assert f"'{op}'" in error


@pytest.mark.parametrize(("condition", "source", "ids"), [
    ({"field": "name", "op": "contains", "value": 5}, "people.jsonl", [2]),  # text: the number as text
    ({"field": "tags", "op": "contains", "value": 7}, "people.jsonl", [1]),  # a list: an item equal to it
    ({"field": "score", "op": "gt", "value": 10}, "people.csv", [1]),  # CSV text "57" reads as 57; "" fails
    ({"field": "score", "op": "in", "value": [57, 9]}, "people.csv", [1, 2]),
    ({"field": "id", "op": "eq", "value": "2"}, "people.jsonl", [2]),  # a number and numeric text
    ({"field": "score", "op": "not_in", "value": [57]}, "people.jsonl", [2, 3]),  # null is not 57
    ({"field": "score", "op": "le", "value": 60}, "people.jsonl", [1, 2]),  # null has no order
    ({"field": "joined", "op": "ge", "value": datetime(2026, 11, 1, tzinfo=UTC)}, "people.jsonl", [1, 3]),
    ({"field": "joined", "op": "lt", "value": "2026-11"}, "people.jsonl", [2]),  # text with text
])
def test_filters_compare_values_of_different_kinds_by_the_documented_rules(tmp_path, env, condition, source, ids):
    flow = write_flow(tmp_path, [{"filter": condition}], source=source)

    run_cli("flow", "run", str(flow), env=env)

    assert [int(record["id"]) for record in written(tmp_path)] == ids


@pytest.mark.parametrize(("condition", "record", "expected"), [
    ({"field": "score", "op": "gt", "value": 5}, {"id": 4, "score": "n/a"},
     "flow.transforms.1.filter: cannot compare the record's 'score', a text (\"n/a\"), with gt 5 (a number)"),
    ({"field": "name", "op": "contains", "value": 5}, {"id": 4, "name": 57},
     "flow.transforms.1.filter: contains looks inside a text or a list, and the record's 'name' is a number"),
    ({"field": "joined", "op": "ge", "value": "2026-01-01"}, {"id": 4, "joined": {"at": 1}},
     "flow.transforms.1.filter: cannot compare the record's 'joined', a mapping"),
])
def test_a_record_a_filter_cannot_compare_stops_the_run_naming_it(tmp_path, env, condition, record, expected):
    flow = write_flow(tmp_path, [{"exclude": ["tags"]}, {"filter": condition}], records=[*PEOPLE[:2], record])

    error = refused(flow, env, code=1)

    assert expected in error
    assert "record 3 read from the source" in error and '"id": 4' in error
    runs = json.loads(run_cli("flow", "runs", "people", "--json", env=env).stdout)
    assert runs[0]["status"] == "failed" and "flow.transforms.1.filter" in runs[0]["error"]


def test_renaming_onto_a_field_the_record_has_stops_the_run(tmp_path, env):
    error = refused(write_flow(tmp_path, [{"rename": {"name": "id"}}]), env, code=1)

    assert "flow.transforms.0.rename: renaming 'name' to 'id' would overwrite the record's own 'id' (1)" in error
    assert "record 1 read from the source" in error and "exclude: [id]" in error


def test_renames_that_lose_nothing_still_run(tmp_path, env):
    flow = write_flow(tmp_path, [{"exclude": ["id"]}, {"rename": {"name": "id", "score": "name", "tags": "labels"}}])

    run_cli("flow", "run", str(flow), env=env)

    assert [(record["id"], record["name"]) for record in written(tmp_path)] == [("ann", 57), ("bob5", 9), ("cy", None)]


@pytest.mark.parametrize(("window", "expected"), [
    (0.5, "flow.incremental.window: must be a whole number of seconds"),
    (1, "flow.incremental.window: must be at least 1 minute"),
    ("30s", "flow.incremental.window: must be at least 1 minute"),
    (True, "flow.incremental.window: must be a duration"),
])
def test_a_window_shorter_than_a_minute_or_with_fractions_is_refused(tmp_path, env, window, expected):
    flow = write_flow(tmp_path, [], incremental={"start": "2026-01-01T00:00:00Z", "window": window})

    assert expected in refused(flow, env)


def test_a_window_of_minutes_runs_window_by_window(tmp_path, env, babelforce_emulator):
    (tmp_path / "calls.yaml").write_text(yaml.safe_dump({
        "credential": babelforce_credential(babelforce_emulator), "template": "list_call_records"}))
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=50)
    flow = tmp_path / "calls-flow.yaml"
    flow.write_text(yaml.safe_dump({
        "name": "calls", "source": "calls.yaml",
        "incremental": {"start": start.isoformat(), "window": "20m"},
        "destinations": [{"type": "jsonl", "path": "out/calls-{run}.jsonl"}]}))

    run = json.loads(run_cli("flow", "run", str(flow), "--json", env=env).stdout)

    assert run["status"] == "succeeded" and run["counts"]["windows"] == 3
