"""At most one run of a flow at a time, across processes: a second ``flow run`` (or a ``serve`` tick) while
one is live is refused at once, naming the live run, and delivers nothing; a run whose process was killed
does not hold the flow. Checked with the metadata store in SQLite (the home) and in PostgreSQL, against
the Babelforce emulator, with the records landing in a real PostgreSQL table."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import yaml

from tests.babelforce_access import babelforce_credential
from tests.cli.run import run_cli
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import RunningEmulator, start_in_thread
from trunkline.store.metadata import RunRecord, open_store

PG = "postgresql://postgres@127.0.0.1:5432/test"
AGENTS = "/api/v2/agents"
FLOW = "agents"


@pytest.fixture
def bf() -> Iterator[RunningEmulator]:
    with start_in_thread(create_app(seed=61)) as running:
        yield running


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema for the destination table (and ``<schema>_store`` for the metadata store)."""
    name = f"tl_excl_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{name}"')
    yield name
    with psycopg.connect(PG, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{name}" CASCADE')
        connection.execute(f'DROP SCHEMA IF EXISTS "{name}_store" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def env(request: pytest.FixtureRequest, tmp_path: Path, pg_schema: str) -> dict[str, str]:
    """The environment of every trunkline process of a test: its home, and the store the parameter names."""
    store = f"{PG}?schema={pg_schema}_store" if request.param == "postgres" else ""
    return {"TRUNKLINE_HOME": str(tmp_path / "home"), "TRUNKLINE_STORE": store}


def write_flow(bf: RunningEmulator, folder: Path, schema: str, **extra: object) -> Path:
    """The QA flow: the emulator's agents appended to a PostgreSQL table."""
    path = folder / "agents.yaml"
    path.write_text(yaml.safe_dump({
        "name": FLOW, "source": {"credential": babelforce_credential(bf), "template": "list_agents"},
        "destinations": [{"type": "postgres", "url": PG, "schema": schema, "table": "agents", "mode": "append"}],
        **extra,
    }))
    return path


def table_counts(schema: str) -> tuple[int, int]:
    """Rows and distinct agent ids in the destination table."""
    with psycopg.connect(PG) as connection:
        return connection.execute(f'SELECT count(*), count(DISTINCT id) FROM "{schema}".agents').fetchone()


def runs_of(env: dict[str, str]) -> list[RunRecord]:
    with open_store(Path(env["TRUNKLINE_HOME"]), url=env["TRUNKLINE_STORE"]) as store:
        return store.list_runs(FLOW) if store.get_flow(FLOW) else []


def start_run_in_background(flow: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """``trunkline flow run`` in another process; returns once its run is registered as running."""
    process = subprocess.Popen([sys.executable, "-m", "trunkline", "flow", "run", str(flow), "--json"],
                               env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not any(run.status == "running" for run in runs_of(env)):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the background run never started"
        time.sleep(0.05)
    return process


def test_a_second_run_while_one_is_live_is_refused_and_nothing_is_delivered_twice(bf, env, tmp_path, pg_schema):
    flow = write_flow(bf, tmp_path, pg_schema)
    bf.app.state.control.add_fault(status=None, delay=3, count=1, path_prefix=AGENTS)  # the first page is slow
    first = start_run_in_background(flow, env)
    live = next(run for run in runs_of(env) if run.status == "running")

    refused = run_cli("flow", "run", str(flow), env=env, expect_exit=1)

    assert first.poll() is None  # refused at once, not after waiting for the live run
    assert f"flow '{FLOW}' is already running" in refused.stderr
    assert live.id in refused.stderr
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert json.loads(out)["status"] == "succeeded"
    agents = len(bf.app.state.data.agents)
    assert table_counts(pg_schema) == (agents, agents)  # the refused run delivered nothing
    assert [run.status for run in runs_of(env)] == ["succeeded"]  # and left no run behind

    with open_store(Path(env["TRUNKLINE_HOME"]), url=env["TRUNKLINE_STORE"]) as store, store.run_lock(FLOW):
        pass  # the lock went with the run that ended


def test_a_run_killed_mid_fetch_does_not_hold_the_flow(bf, env, tmp_path, pg_schema):
    flow = write_flow(bf, tmp_path, pg_schema)
    bf.app.state.control.add_fault(status=None, delay=20, count=1, path_prefix=AGENTS)
    killed = start_run_in_background(flow, env)
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=10)
    bf.app.state.control.clear_faults()

    rerun = json.loads(run_cli("flow", "run", str(flow), "--json", env=env).stdout)

    assert rerun["status"] == "succeeded"
    agents = len(bf.app.state.data.agents)
    assert table_counts(pg_schema) == (agents, agents)
    assert [run.status for run in runs_of(env)] == ["succeeded", "interrupted"]


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)  # the lock itself is checked on both stores above
def test_serve_skips_its_tick_while_a_manual_run_is_live(bf, env, tmp_path, pg_schema):
    flow = write_flow(bf, tmp_path, pg_schema, schedule="* * * * * */1")
    run_cli("flow", "activate", str(flow), env=env)
    bf.app.state.control.add_fault(status=None, delay=3, count=1, path_prefix=AGENTS)
    manual = start_run_in_background(flow, env)

    served = run_cli("serve", "--max-runs", "1", "--tick", "0.2", env=env, timeout=60)

    _, err = manual.communicate(timeout=60)
    assert manual.returncode == 0, err
    assert f"flow '{FLOW}' is already running" in served.stderr  # the busy ticks were skipped, and said why
    assert served.stdout.count(f"{FLOW}: succeeded") == 1
    agents = len(bf.app.state.data.agents)
    assert table_counts(pg_schema) == (2 * agents, agents)  # two whole runs, one after the other
    assert [run.status for run in runs_of(env)] == ["succeeded", "succeeded"]
