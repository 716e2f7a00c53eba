"""Flows into real databases: DuckDB and the local PostgreSQL (as a destination and as the metadata
store), reruns that change nothing, and schema drift that widens tables instead of crashing.

PostgreSQL runs on this machine and in CI: these tests fail, never skip, when it is unreachable.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg
import pytest
import yaml

from tests.cli.run import run_cli

PG = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test, dropped afterwards."""
    name = f"tl_flow_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{name}"')
    yield name
    with psycopg.connect(PG, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{name}" CASCADE')


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def customers(count: int, **extra: str) -> list[dict]:
    return [{"id": str(n), "name": f"customer {n}", "tier": "gold" if n % 2 else "silver", **extra}
            for n in range(count)]


def flow_file(folder: Path, schema: str) -> Path:
    path = folder / "crm.yaml"
    path.write_text(yaml.safe_dump({
        "name": "crm-export",
        "source": {"type": "file", "path": "crm.csv"},
        "transforms": [{"rename": {"name": "full_name"}},
                       {"filter": {"field": "tier", "op": "in", "value": ["gold", "silver"]}}],
        "destinations": [
            {"type": "duckdb", "path": "warehouse.duckdb", "table": "customers", "mode": "merge", "key": "id"},
            {"type": "postgres", "url": PG, "schema": schema, "table": "customers", "mode": "merge", "key": "id"},
        ],
    }))
    return path


def pg_rows(schema: str) -> list[tuple]:
    with psycopg.connect(PG) as connection:
        return connection.execute(f'SELECT * FROM "{schema}".customers ORDER BY id::int').fetchall()


def pg_columns(schema: str) -> list[str]:
    with psycopg.connect(PG) as connection:
        return [row[0] for row in connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = "
            "'customers' ORDER BY ordinal_position", (schema,)).fetchall()]


def test_flow_into_duckdb_and_postgres_with_the_store_in_postgres(tmp_path, pg_schema):
    write_csv(tmp_path / "crm.csv", customers(40))
    flow = flow_file(tmp_path, pg_schema)
    env = {"TRUNKLINE_HOME": str(tmp_path / "home"), "TRUNKLINE_STORE": f"{PG}?schema={pg_schema}_store"}
    try:
        first = json.loads(run_cli("flow", "run", str(flow), "--json", env=env).stdout)
        assert first["status"] == "succeeded" and first["counts"]["fetched"] == 40
        with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as db:
            assert db.execute("SELECT count(*), count(DISTINCT id) FROM customers").fetchone() == (40, 40)
            assert db.execute("SELECT full_name FROM customers WHERE id = '7'").fetchone() == ("customer 7",)
        assert len(pg_rows(pg_schema)) == 40

        second = json.loads(run_cli("flow", "run", str(flow), "--json", env=env).stdout)
        assert second["status"] == "succeeded"
        assert len(pg_rows(pg_schema)) == 40  # a rerun merges, it does not duplicate
        runs = json.loads(run_cli("flow", "runs", "crm-export", "--json", env=env).stdout)
        assert len(runs) == 2  # history kept in PostgreSQL
        with psycopg.connect(PG) as connection:
            stored = connection.execute(f'SELECT count(*) FROM "{pg_schema}_store".runs').fetchone()[0]
        assert stored == 2
    finally:
        with psycopg.connect(PG, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{pg_schema}_store" CASCADE')


def test_schema_drift_is_reported_and_tables_are_widened(tmp_path, pg_schema):
    env = {"TRUNKLINE_HOME": str(tmp_path / "home")}
    flow = flow_file(tmp_path, pg_schema)
    write_csv(tmp_path / "crm.csv", customers(5))
    run_cli("flow", "run", str(flow), "--json", env=env)
    write_csv(tmp_path / "crm.csv", customers(6, region="north"))
    second = json.loads(run_cli("flow", "run", str(flow), "--json", env=env).stdout)
    assert second["status"] == "succeeded"
    assert any("region" in change for change in second["counts"].get("schema_changes", []))
    assert "region" in pg_columns(pg_schema)
    assert len(pg_rows(pg_schema)) == 6
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as db:
        assert db.execute("SELECT count(*) FROM customers WHERE region = 'north'").fetchone() == (6,)
    schema = json.loads(run_cli("nexset", "schema", "crm-export", "--json", env=env).stdout)
    assert "region" in json.dumps(schema)
