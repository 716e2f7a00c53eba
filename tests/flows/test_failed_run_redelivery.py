"""A failed run's records never reach a destination a second time.

- A run that failed while reading a whole source (a snapshot) completed nothing: what it had put in the
  nexset is not delivered later beside the next run's full re-read.
- An incremental run stopped in the middle of a window (here by a long Retry-After) delivers, next run,
  the windows it completed, and not the half window the next run fetches again.
- Every destination is checked (configuration, files) before the source is read, so a destination
  mistake leaves no fetched records waiting for a second delivery.
- An incremental flow over a file of records is refused when it is loaded.

Through the CLI and the Python API, against real DuckDB files and the Babelforce emulator.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from tests.babelforce_access import babelforce_credential
from tests.cli.run import run_cli
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import RunningEmulator, start_in_thread
from trunkline.flows.runner import load_flow, run_flow
from trunkline.store.metadata import open_store
from trunkline.store.nexsets import NexsetStore


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"TRUNKLINE_HOME": str(tmp_path / "home"), "TRUNKLINE_STORE": ""}


def write_jsonl(path: Path, count: int, *, without_name: int | None = None) -> None:
    lines = []
    for n in range(count):
        record: dict[str, Any] = {"id": n, "name": f"lead {n}"}
        if n == without_name:
            del record["name"]
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n")


def write_flow(folder: Path, destinations: list[Any], **extra: Any) -> Path:
    path = folder / "leads-flow.yaml"
    path.write_text(yaml.safe_dump({"name": "leads", "source": {"type": "file", "path": "leads.jsonl"},
                                    "destinations": destinations, **extra}))
    return path


def table_counts(database: Path, table: str) -> tuple[int, int]:
    """Rows and distinct ids of a DuckDB table."""
    with duckdb.connect(str(database), read_only=True) as db:
        return db.execute(f"SELECT count(*), count(DISTINCT id) FROM {table}").fetchone()


def run_statuses(env: dict[str, str]) -> list[str]:
    """The statuses of the flow's runs, newest first (none when the flow never ran)."""
    with open_store(Path(env["TRUNKLINE_HOME"]), url="") as store:
        return [run.status for run in store.list_runs("leads")] if store.get_flow("leads") else []


def nexsets_of(env: dict[str, str]) -> list[str]:
    return NexsetStore(Path(env["TRUNKLINE_HOME"])).names()


def test_a_run_that_failed_reading_its_source_is_not_delivered_beside_the_next_full_read(env, tmp_path):
    count = 10_100  # one whole nexset part (10,000 records) is written before the bad record
    write_jsonl(tmp_path / "leads.jsonl", count, without_name=10_050)
    flow = write_flow(tmp_path, [{"type": "duckdb", "path": "warehouse.duckdb", "table": "leads"}],
                      transforms=[{"compute": {"label": "name {name}"}}])

    failed = run_cli("flow", "run", str(flow), env=env, expect_exit=2)
    assert "compute.label: unknown macro {name}" in failed.stderr

    write_jsonl(tmp_path / "leads.jsonl", count)  # the file fixed
    rerun = json.loads(run_cli("flow", "run", str(flow), "--json", env=env).stdout)

    assert rerun["status"] == "succeeded"
    assert table_counts(tmp_path / "warehouse.duckdb", "leads") == (count, count)
    assert run_statuses(env) == ["succeeded", "failed"]


@pytest.fixture
def bf() -> Iterator[RunningEmulator]:
    with start_in_thread(create_app(seed=52)) as running:
        yield running


def test_a_run_stopped_mid_window_resumes_without_delivering_the_half_window_twice(bf, tmp_path):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    flow = load_flow({
        "name": "calls",
        "source": {"credential": babelforce_credential(bf), "template": "list_call_records"},
        "incremental": {"start": start.isoformat(), "window": "1 day"},
        "retry": {"max_retry_after": 1},
        "destinations": [{"type": "duckdb", "path": str(tmp_path / "calls.duckdb"), "table": "calls"}],
    })
    home = tmp_path / "home"
    nexsets = NexsetStore(home, part_rows=40)  # small parts: the first page of a window fills two of them
    control = bf.app.state.control

    armed = []

    def stop_on_the_second_page_of_window_two(step: str, numbers: dict[str, Any]) -> None:
        if step == "fetch" and not armed:  # window one is in the nexset
            armed.append(True)
            control.add_fault(status=None, delay=0.01, count=1, path_prefix="/api/v2/calls")  # page 1 as usual
            control.add_fault(status=429, retry_after=30, count=1, path_prefix="/api/v2/calls")  # page 2: wait

    with open_store(home, url="") as store:
        first = asyncio.run(run_flow(flow, store=store, nexsets=nexsets, home=home,
                                     on_progress=stop_on_the_second_page_of_window_two))
        assert first.status == "partial" and first.counts["windows"] == 1
        # the first page of window two reached the nexset before the stop
        assert sum(1 for _ in nexsets.read("calls", run_id=first.id)) >= first.counts["fetched"] + 40
        control.clear_faults()
        second = asyncio.run(run_flow(flow, store=store, nexsets=nexsets, home=home))
        assert second.status == "succeeded"

    data = bf.app.state.data
    end = datetime.fromisoformat(second.started_at)
    expected = {call["id"] for call, created in zip(data.calls, data.call_epochs, strict=True)
                if start.timestamp() <= created < end.timestamp()}
    with duckdb.connect(str(tmp_path / "calls.duckdb"), read_only=True) as db:
        ids = [row[0] for row in db.execute("SELECT id FROM calls").fetchall()]
    assert len(ids) == len(set(ids))  # the half window was not delivered twice
    assert set(ids) <= expected and len(ids) >= len(expected) - 5  # and the completed window was not lost


BAD_DESTINATIONS = [
    pytest.param({"type": "duckdb", "path": "warehouse.duckdb", "table": "my table"},
                 "flow.destinations.1.table: is not a plain identifier", id="table-name"),
    pytest.param({"type": "duckdb", "path": "warehouse.duckdb", "table": "merged", "mode": "merge"},
                 "flow.destinations.1.key: is required when mode is merge", id="merge-without-key"),
    pytest.param({"type": "api", "destination": "to-crm.yaml"},
                 "flow.destinations.1.destination", id="missing-destination-file"),
]


@pytest.mark.parametrize(("bad", "expected"), BAD_DESTINATIONS)
def test_a_destination_mistake_is_reported_before_the_source_is_read(env, tmp_path, bad, expected):
    write_jsonl(tmp_path / "leads.jsonl", 20)
    good = {"type": "duckdb", "path": "warehouse.duckdb", "table": "leads"}
    flow = write_flow(tmp_path, [good, bad])

    refused = run_cli("flow", "run", str(flow), env=env, expect_exit=2)

    assert expected in refused.stderr
    assert nexsets_of(env) == [] and run_statuses(env) == []  # nothing was fetched, no run recorded
    assert not (tmp_path / "warehouse.duckdb").exists()  # nor written anywhere

    write_flow(tmp_path, [good, {"type": "duckdb", "path": "warehouse.duckdb", "table": "fixed"}])
    rerun = json.loads(run_cli("flow", "run", str(flow), "--json", env=env).stdout)

    assert rerun["status"] == "succeeded"
    assert table_counts(tmp_path / "warehouse.duckdb", "leads") == (20, 20)
    assert table_counts(tmp_path / "warehouse.duckdb", "fixed") == (20, 20)
    assert run_statuses(env) == ["succeeded"]


def test_an_incremental_flow_over_a_file_source_is_refused_when_loaded(env, tmp_path):
    write_jsonl(tmp_path / "leads.jsonl", 3)
    start = (datetime.now(UTC) - timedelta(days=4)).isoformat()
    flow = write_flow(tmp_path, [{"type": "jsonl", "path": "out.jsonl"}],
                      incremental={"start": start, "window": "1 day"})

    refused = run_cli("flow", "run", str(flow), env=env, expect_exit=2)

    assert "flow.incremental: needs a template source" in refused.stderr
    assert "file source" in refused.stderr
    assert not (tmp_path / "out.jsonl").exists()
    assert nexsets_of(env) == [] and run_statuses(env) == []
