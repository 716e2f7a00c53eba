"""``trunkline source run`` into tables (DuckDB, PostgreSQL), and what a failed run leaves behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import duckdb
import httpx
import psycopg
import pytest
import yaml
from psycopg import sql

from tests.cli.run import run_cli
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import RunningEmulator, start_in_thread

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


def lists_source(tmp_path: Path, emulator) -> Path:
    """Agents (several pages), then queues, one list per lookup row."""
    (tmp_path / "lists.jsonl").write_text('{"list": "agents"}\n{"list": "queues"}\n')
    path = tmp_path / "lists.yaml"
    path.write_text(yaml.safe_dump({
        "credential": credential(emulator), "method": "GET",
        "url": f"{emulator.base_url}/api/v2/{{lookup.list}}", "path_to_data": "$.items[*]",
        "lookup": {"source": "lists.jsonl", "column": "list"},
        "pagination": {"type": "page", "page_param": "page", "size_param": "max", "size": 50},
    }))
    return path


@pytest.fixture
def agents_then_queues(tmp_path: Path, babelforce_emulator) -> Path:
    """A refused queues request fails the run after pages were already written (see :func:`lists_source`)."""
    return lists_source(tmp_path, babelforce_emulator)


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


def test_database_passwords_never_appear_in_the_summary_or_the_error(agents, env):
    """A password in the user part or in an ``sslpassword`` parameter of the output URL: the run summary
    shows the URL with ``****`` (the server trusts loopback, so the run succeeds), and the error of a
    server that is not there shows it the same way."""
    schema = f"tl_run_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(POSTGRES_URL)
    url = urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}:s3cret-pw@{parts.hostname}:{parts.port}",
                                    query="sslpassword=ssl-s3cret&sslmode=disable"))
    try:
        result = run_cli("source", "run", str(agents), "-o", url, "--table", f"{schema}.agents", "--json", env=env)
        assert "s3cret" not in result.stdout + result.stderr
        assert json.loads(result.stdout)["output"].startswith(f"postgresql://{parts.username or 'postgres'}:****@")
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    failed = run_cli("source", "run", str(agents), "-o", "postgresql://someone:s3cret-pw@127.0.0.1:1/db",
                     "--table", "agents", env=env, expect_exit=1)
    assert "postgresql://someone:****@127.0.0.1:1/db" in failed.stderr and "s3cret" not in failed.stderr


def test_an_unreadable_database_url_is_a_config_error_that_does_not_show_it(agents, env):
    result = run_cli("source", "run", str(agents), "-o", "postgresql://someone:s3cret-pw@[::1/db", "--table", "t",
                     env=env, expect_exit=2)
    assert "output" in result.stderr and "USER[:PASSWORD]@HOST" in result.stderr
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr


def test_a_module_in_the_current_folder_does_not_replace_the_writers(agents, env, tmp_path):
    """A ``duckdb.py`` of the user's in the folder a run starts in is not the DuckDB it imports (the
    console script, as a user runs it)."""
    (tmp_path / "duckdb.py").write_text("raise SystemExit('a duckdb.py of the user was imported')\n")
    script = Path(sys.executable).with_name("trunkline")
    done = subprocess.run([str(script), "source", "run", str(agents), "-o", "bf.duckdb", "--table", "agents"],
                          cwd=tmp_path, env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(tmp_path / "bf.duckdb"), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM agents").fetchone()[0] > 0


def test_a_table_for_a_file_output_is_refused(agents, env, tmp_path):
    result = run_cli("source", "run", str(agents), "-o", str(tmp_path / "a.jsonl"), "--table", "agents", env=env,
                     expect_exit=2)
    assert "'agents'" in result.stderr and ".duckdb" in result.stderr


def test_a_run_refused_at_its_first_request_never_creates_the_database(agents, env, babelforce_emulator, tmp_path):
    """The database is opened with the first page: a run that gets none leaves no file behind."""
    control = babelforce_emulator.app.state.control  # the emulator is shared: leave no fault behind
    control.add_fault(status=403, path_prefix="/api/v2/agents", count=1)
    database = tmp_path / "bf.duckdb"
    try:
        result = run_cli("source", "run", str(agents), "-o", str(database), "--table", "agents", env=env,
                         expect_exit=1)
    finally:
        control.clear_faults()
    assert "403" in result.stderr and "Traceback" not in result.stderr
    assert not database.exists()


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


# --- the table is written while the next pages are fetched ------------------------------------------


def test_an_error_in_the_table_writer_fails_the_run_and_keeps_the_table_as_it_was(agents, env, tmp_path):
    database = tmp_path / "bf.duckdb"
    with duckdb.connect(str(database)) as connection:  # a table of someone else's, whose id column is a number
        connection.execute("CREATE TABLE agents (id INTEGER, note VARCHAR)")
        connection.execute("INSERT INTO agents VALUES (1, 'kept')")
    result = run_cli("source", "run", str(agents), "-o", str(database), "--table", "agents", env=env, expect_exit=1)
    assert "main.agents" in result.stderr and "Conversion Error" in result.stderr
    assert "Traceback" not in result.stderr
    with duckdb.connect(str(database), read_only=True) as connection:
        assert connection.execute("SELECT * FROM agents").fetchall() == [(1, "kept")]


def test_a_database_another_process_holds_is_a_clear_error(agents, env, tmp_path):
    database = tmp_path / "bf.duckdb"
    with duckdb.connect(str(database)):  # holds DuckDB's lock on the file while the run tries to write
        result = run_cli("source", "run", str(agents), "-o", str(database), "--table", "agents", env=env,
                         expect_exit=1)
    assert "main.agents" in result.stderr and "lock" in result.stderr
    assert "close the other program's connection" in result.stderr and "Traceback" not in result.stderr


def test_limit_cuts_the_table_where_it_cuts_the_file(agents, env, tmp_path):
    run_cli("source", "run", str(agents), "-o", str(tmp_path / "a.jsonl"), "--limit", "37", env=env)
    run_cli("source", "run", str(agents), "-o", str(tmp_path / "a.duckdb"), "--table", "agents", "--limit", "37",
            env=env)
    in_file = [json.loads(line)["id"] for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    with duckdb.connect(str(tmp_path / "a.duckdb"), read_only=True) as connection:
        in_table = [row[0] for row in connection.execute("SELECT id FROM agents").fetchall()]
    assert len(in_file) == 37 and in_table == in_file


def test_page_metadata_reaches_the_table(env, babelforce_emulator, tmp_path):
    source = tmp_path / "calls.yaml"
    source.write_text(yaml.safe_dump({
        "credential": credential(babelforce_emulator), "method": "GET",
        "url": f"{babelforce_emulator.base_url}/api/v2/calls/reporting", "path_to_data": "$.items[*]",
        "path_to_metadata": "$.pagination", "pagination": {"type": "page", "page_param": "page",
                                                          "size_param": "max", "size": 100, "max_pages": 2},
    }))
    database = tmp_path / "calls.duckdb"
    run_cli("source", "run", str(source), "-o", str(database), "--table", "calls", env=env)
    with duckdb.connect(str(database), read_only=True) as connection:
        pages = connection.execute("SELECT current, count(*) FROM calls GROUP BY current ORDER BY 1").fetchall()
    assert pages == [(1, 100), (2, 100)]


@pytest.fixture
def own_emulator() -> Iterator[RunningEmulator]:
    """An emulator of this test's own: it holds a request for a long time."""
    with start_in_thread(create_app(seed=7)) as running:
        yield running


def test_a_killed_run_leaves_the_table_as_it_was(own_emulator, tmp_path):
    source = lists_source(tmp_path, own_emulator)
    control = own_emulator.app.state.control
    control.add_fault(None, path_prefix="/api/v2/queues", delay=5)  # the run waits after every agents page
    creds = own_emulator.app.state.credentials
    database = tmp_path / "bf.duckdb"
    run = subprocess.Popen(
        [sys.executable, "-m", "trunkline", "source", "run", str(source), "-o", str(database), "--table", "lists"],
        env={**os.environ, "BF_USER": creds.username, "BF_PASSWORD": creds.password,
             "TRUNKLINE_HOME": str(tmp_path / "home")},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while control.faults():  # taken once the queues request has arrived, after every agents page
            assert time.monotonic() < deadline and run.poll() is None, "the run did not reach the queues request"
            time.sleep(0.05)
        run.kill()  # no chance to clean up: the table's transaction was never committed
        run.wait()
        with duckdb.connect(str(database)) as connection:  # and nothing holds the file any more
            tables = connection.execute("SELECT table_name FROM information_schema.tables").fetchall()
    finally:
        run.kill()
        control.clear_faults()
    assert tables == []


def test_a_table_error_midway_stops_the_run_soon_and_keeps_the_table(own_emulator, tmp_path):
    """The writer fails on its first batch (5,000 of 12,000 leads, 120 pages of 100): the run reports the
    database's message, stops fetching within a few pages instead of pulling the rest, and the table
    keeps its rows."""
    creds = own_emulator.app.state.credentials
    with httpx.Client(base_url=own_emulator.base_url, timeout=30, headers={
            "X-Auth-Access-Id": creds.access_id, "X-Auth-Access-Token": creds.access_token}) as api:
        list_id = api.post("/api/v2/outbound/lists", json={"name": "big"}).json()["item"]["id"]
        for start in range(0, 12_000, 1_000):
            leads = [{"uid": f"u-{n}", "number": f"+4940{2000000 + n}", "rank": 1} for n in range(start, start + 1_000)]
            assert api.post(f"/api/v2/outbound/lists/{list_id}/leads", json=leads).status_code == 200
    source = tmp_path / "leads.yaml"
    source.write_text(yaml.safe_dump({"credential": credential(own_emulator), "template": "get_outbound_leads",
                                      "params": {"list_id": list_id}}))
    database = tmp_path / "bf.duckdb"
    with duckdb.connect(str(database)) as connection:  # someone else's table: uid is a number there
        connection.execute("CREATE TABLE leads (uid INTEGER)")
        connection.execute("INSERT INTO leads VALUES (7)")
    own_emulator.app.state.control.clear_requests()
    env = {"BF_USER": creds.username, "BF_PASSWORD": creds.password, "TRUNKLINE_HOME": str(tmp_path / "home")}
    result = run_cli("source", "run", str(source), "-o", str(database), "--table", "leads", env=env, expect_exit=1)
    assert "main.leads" in result.stderr and "Conversion Error" in result.stderr and "Traceback" not in result.stderr
    assert "change the column's type" in result.stderr  # and the fix
    pages = [entry for entry in own_emulator.app.state.control.requests() if entry["path"].endswith("/leads")]
    assert 50 <= len(pages) < 80  # the error came with page 50's batch; the run did not fetch all 120
    with duckdb.connect(str(database), read_only=True) as connection:
        assert connection.execute("SELECT * FROM leads").fetchall() == [(7,)]
