"""``trunkline source run`` into tables (DuckDB, PostgreSQL), and what a failed run leaves behind."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import duckdb
import psycopg
import pytest
import yaml
from psycopg import sql

from tests.cli.run import run_cli

POSTGRES_URL = os.environ.get("TRUNKLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def env(tmp_path: Path, babelforce_emulator) -> dict[str, str]:
    creds = babelforce_emulator.app.state.credentials
    return {"BF_USER": creds.username, "BF_PASSWORD": creds.password, "TRUNKLINE_HOME": str(tmp_path / "home")}


def credential(emulator) -> dict[str, str]:
    return {"service": "babelforce", "base_url": emulator.base_url, "username": "${BF_USER}",
            "password": "${BF_PASSWORD}"}


@pytest.fixture
def agents(tmp_path: Path, babelforce_emulator) -> Path:
    path = tmp_path / "agents.yaml"
    path.write_text(yaml.safe_dump({"credential": credential(babelforce_emulator), "template": "list_agents"}))
    return path


@pytest.fixture
def agents_then_queues(tmp_path: Path, babelforce_emulator) -> Path:
    """Agents (several pages), then queues, one list per lookup row: a refused queues request fails the
    run after pages were already written."""
    (tmp_path / "lists.jsonl").write_text('{"list": "agents"}\n{"list": "queues"}\n')
    path = tmp_path / "lists.yaml"
    path.write_text(yaml.safe_dump({
        "credential": credential(babelforce_emulator), "method": "GET",
        "url": f"{babelforce_emulator.base_url}/api/v2/{{lookup.list}}", "path_to_data": "$.items[*]",
        "lookup": {"source": "lists.jsonl", "column": "list"},
        "pagination": {"type": "page", "page_param": "page", "size_param": "max", "size": 50},
    }))
    return path


def test_run_into_a_duckdb_table_writes_every_record(agents, env, babelforce_emulator, tmp_path):
    database = tmp_path / "out" / "bf.duckdb"
    result = run_cli("source", "run", str(agents), "--output", str(database), "--table", "agents", "--json", env=env)
    summary = json.loads(result.stdout)
    expected = [agent["id"] for agent in babelforce_emulator.app.state.data.agents]
    assert summary["records"] == len(expected)
    assert summary["output"] == f"{database}#agents"
    with duckdb.connect(str(database), read_only=True) as connection:
        ids = [row[0] for row in connection.execute("SELECT id FROM agents").fetchall()]
        types = dict(connection.execute("SELECT column_name, data_type FROM information_schema.columns"
                                        " WHERE table_name = 'agents'").fetchall())
    assert ids == expected
    assert types["enabled"] == "BOOLEAN"


def test_a_second_run_appends(agents, env, babelforce_emulator, tmp_path):
    database = tmp_path / "bf.duckdb"
    for _ in range(2):
        run_cli("source", "run", str(agents), "-o", str(database), "--table", "agents", env=env)
    with duckdb.connect(str(database), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM agents").fetchone()[0] == \
            2 * len(babelforce_emulator.app.state.data.agents)


def test_run_into_a_postgresql_table(agents, env, babelforce_emulator):
    schema = f"tl_run_{uuid.uuid4().hex[:12]}"
    url = POSTGRES_URL
    try:
        result = run_cli("source", "run", str(agents), "-o", url, "--table", f"{schema}.agents", "--json", env=env)
        assert json.loads(result.stdout)["records"] == len(babelforce_emulator.app.state.data.agents)
        with psycopg.connect(url, autocommit=True) as connection:
            ids = [row[0] for row in connection.execute(
                sql.SQL("SELECT id FROM {}.agents").format(sql.Identifier(schema))).fetchall()]
        assert sorted(ids) == sorted(agent["id"] for agent in babelforce_emulator.app.state.data.agents)
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def test_a_database_output_without_a_table_names_the_option(agents, env, tmp_path):
    result = run_cli("source", "run", str(agents), "-o", str(tmp_path / "bf.duckdb"), env=env, expect_exit=2)
    assert "table" in result.stderr and "--table NAME" in result.stderr
    assert not (tmp_path / "bf.duckdb").exists()


def test_a_table_for_a_file_output_is_refused(agents, env, tmp_path):
    result = run_cli("source", "run", str(agents), "-o", str(tmp_path / "a.jsonl"), "--table", "agents", env=env,
                     expect_exit=2)
    assert "'agents'" in result.stderr and ".duckdb" in result.stderr


@pytest.mark.parametrize("output", ["lists.jsonl.out.jsonl", "lists.duckdb"])
def test_a_run_that_fails_midway_leaves_nothing_behind(agents_then_queues, env, babelforce_emulator, tmp_path,
                                                       output):
    control = babelforce_emulator.app.state.control  # the emulator is shared: leave no fault behind
    control.add_fault(status=403, path_prefix="/api/v2/queues", count=1)
    target = tmp_path / output
    table = ["--table", "lists"] if output.endswith(".duckdb") else []
    try:
        result = run_cli("source", "run", str(agents_then_queues), "-o", str(target), *table, env=env,
                         expect_exit=1)
    finally:
        control.clear_faults()
    assert "403" in result.stderr
    requested = [entry["path"] for entry in control.requests()]
    assert requested.count("/api/v2/agents") >= 2  # agents pages were fetched (and handed to the output) first
    if output.endswith(".duckdb"):
        with duckdb.connect(str(target), read_only=True) as connection:
            assert connection.execute("SELECT count(*) FROM information_schema.tables"
                                      " WHERE table_name = 'lists'").fetchone()[0] == 0
    else:
        assert not target.exists()
