"""``lookup.column``: a column no lookup row has is an error; rows without a value are skipped and reported.

Over real HTTP against the Babelforce emulator, as a user runs it (CLI with YAML files) and through the
Python API.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.babelforce_access import babelforce_credential
from tests.cli.run import run_cli
from trunkline.api import read_source
from trunkline.core.errors import ConfigError
from trunkline.emulators.server import RunningEmulator

LEADS_URL = "/api/v2/outbound/lists/{lookup.id}/leads"


def write_sources(folder: Path, emulator: RunningEmulator, column: str) -> Path:
    """lists.yaml (every outbound list) and leads.yaml (each list's leads, looked up by ``column``)."""
    (folder / "lists.yaml").write_text(yaml.safe_dump({
        "credential": babelforce_credential(emulator), "url": "/api/v2/outbound/lists", "path_to_data": "$.items[*]"}))
    leads = folder / "leads.yaml"
    leads.write_text(yaml.safe_dump({
        "credential": babelforce_credential(emulator), "url": LEADS_URL, "path_to_data": "$.items[*]",
        "pagination": {"type": "page", "size": 100}, "lookup": {"source": "lists.yaml", "column": column}}))
    return leads


def home(tmp_path: Path) -> dict[str, str]:
    return {"TRUNKLINE_HOME": str(tmp_path / "home")}


def all_lead_ids(emulator: RunningEmulator) -> list[str]:
    data = emulator.app.state.data
    return [lead["id"] for listing in data.outbound_lists for lead in data.leads_by_list[listing["id"]]]


def test_the_right_column_fans_out_over_every_list(emulator, tmp_path):
    leads = write_sources(tmp_path, emulator, "id")
    output = tmp_path / "leads.jsonl"
    result = run_cli("source", "run", str(leads), "--output", str(output), "--json", env=home(tmp_path))
    summary = json.loads(result.stdout)
    written = [json.loads(line)["id"] for line in output.read_text().splitlines()]
    assert summary["lookups"] == len(emulator.app.state.data.outbound_lists)
    assert sorted(written) == sorted(all_lead_ids(emulator))
    assert "lookup" not in result.stderr  # nothing skipped, nothing to report


def test_a_misspelt_column_fails_the_run_naming_the_key_the_value_and_the_columns(emulator, tmp_path):
    leads = write_sources(tmp_path, emulator, "idd")
    result = run_cli("source", "run", str(leads), "--output", str(tmp_path / "leads.jsonl"), expect_exit=2,
                     env=home(tmp_path))
    assert "source.lookup.column" in result.stderr and "'idd'" in result.stderr
    first_list = emulator.app.state.data.outbound_lists[0]
    for column in list(first_list)[:3]:
        assert column in result.stderr
    assert "did you mean 'id'" in result.stderr


def test_a_misspelt_column_is_a_config_error_in_the_python_api(emulator, tmp_path):
    leads = write_sources(tmp_path, emulator, "list_id")
    with pytest.raises(ConfigError) as caught:
        read_source(leads)
    assert caught.value.path == "source.lookup.column" and caught.value.value == "list_id"
    assert "did you mean 'id'" in str(caught.value)


def test_rows_without_the_column_are_skipped_and_reported(emulator, tmp_path):
    lists = emulator.app.state.data.outbound_lists
    rows: list[dict[str, Any]] = [
        {"id": lists[0]["id"], "name": "first"},
        {"name": "no id at all"},
        {"id": lists[1]["id"], "name": "second"},
        {"id": None, "name": "an empty id"},
        {"listId": lists[2]["id"]},
    ]
    lookup = tmp_path / "lists.jsonl"
    lookup.write_text("".join(json.dumps(row) + "\n" for row in rows))
    source = tmp_path / "leads.yaml"
    source.write_text(yaml.safe_dump({
        "credential": babelforce_credential(emulator), "url": LEADS_URL, "path_to_data": "$.items[*]",
        "pagination": {"type": "page", "size": 100}, "lookup": {"source": "lists.jsonl", "column": "id"}}))
    output = tmp_path / "leads.jsonl"
    result = run_cli("source", "run", str(source), "--output", str(output), "--json", env=home(tmp_path))
    summary = json.loads(result.stdout)
    leads_by_list = emulator.app.state.data.leads_by_list
    expected = [lead["id"] for listing in lists[:2] for lead in leads_by_list[listing["id"]]]
    assert summary["lookups"] == 2 and summary["lookups_skipped"] == 3
    assert sorted(json.loads(line)["id"] for line in output.read_text().splitlines()) == sorted(expected)
    assert "source.lookup.column" in result.stderr
    assert "skipped 3 of 5 lookup rows" in result.stderr
    assert "2 without the column" in result.stderr and "1 with an empty value" in result.stderr
