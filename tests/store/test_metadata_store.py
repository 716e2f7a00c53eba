"""The metadata store, against real databases: SQLite in a temporary home and the local PostgreSQL server.

Each PostgreSQL test gets a schema of its own (``?schema=`` in the store URL), dropped afterwards, so the
tests run in parallel. An unreachable server makes the PostgreSQL tests fail, never skip.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from trunkline.core.errors import ConfigError, TrunklineError
from trunkline.core.urls import redact_url
from trunkline.store.credentials import CredentialStore
from trunkline.store.metadata import STORE_ENV, LedgerEntry, MetadataStore, open_store
from trunkline.store.postgres_store import split_url

POSTGRES_URL = os.environ.get("TRUNKLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
WORKER = Path(__file__).with_name("store_worker.py")


@dataclass
class Backend:
    """Where one test's store lives: a home (SQLite) or a home plus a PostgreSQL URL with its own schema."""

    home: Path
    url: str | None = None
    schema: str | None = None

    def open(self) -> MetadataStore:
        return open_store(self.home, self.url)

    def environment(self) -> dict[str, str]:
        """The environment in which ``open_store()`` opens this store (for worker processes)."""
        env = {key: value for key, value in os.environ.items() if key != STORE_ENV}
        env["TRUNKLINE_HOME"] = str(self.home)
        if self.url:
            env[STORE_ENV] = self.url
        return env

    def execute_raw(self, statement: str) -> None:
        """Run one statement on the store's database, bypassing the store."""
        if self.url is None:
            with sqlite3.connect(self.home / "trunkline.db") as db:
                db.execute(statement)
            return
        with psycopg.connect(POSTGRES_URL, autocommit=True) as db:
            db.execute(f'SET search_path TO "{self.schema}"')
            db.execute(statement)


@pytest.fixture(autouse=True)
def _no_store_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STORE_ENV, raising=False)


def _postgres_backend(home: Path) -> Iterator[Backend]:
    schema = f"test_{uuid.uuid4().hex[:16]}"
    yield Backend(home, f"{POSTGRES_URL}?schema={schema}", schema)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as db:
        db.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A fresh, not yet opened store of each kind."""
    home = tmp_path / "home"
    home.mkdir()
    if request.param == "sqlite":
        yield Backend(home)
    else:
        yield from _postgres_backend(home)


@pytest.fixture
def store(backend: Backend) -> Iterator[MetadataStore]:
    with backend.open() as opened:
        yield opened


# schema ----------------------------------------------------------------------------------------


def test_tables_are_created_on_first_use_with_a_schema_version(backend: Backend) -> None:
    with backend.open() as store:
        store.register_flow("calls", "calls.yaml", None)
        assert store.schema_version() == 1
    with backend.open() as store:  # a second open finds the tables and keeps the data
        assert store.schema_version() == 1
        assert [flow.name for flow in store.list_flows()] == ["calls"]


def test_a_store_written_by_a_newer_trunkline_is_refused(backend: Backend) -> None:
    backend.open().close()
    backend.execute_raw("UPDATE schema_versions SET version = 99 WHERE component = 'metadata'")
    with pytest.raises(TrunklineError, match="schema version 99") as caught:
        backend.open()
    assert "upgrade trunkline" in str(caught.value)


# flows -----------------------------------------------------------------------------------------


def test_register_flow_inserts_then_updates_path_and_schedule_keeping_active(store: MetadataStore) -> None:
    created = store.register_flow("calls", "flows/calls.yaml", "*/15 * * * *")
    assert (created.name, created.path, created.schedule, created.active) == (
        "calls",
        "flows/calls.yaml",
        "*/15 * * * *",
        False,
    )
    assert created.created_at == created.updated_at
    assert created.created_at.endswith("+00:00")
    store.set_active("calls", True)

    updated = store.register_flow("calls", "elsewhere/calls.yaml", None)

    assert (updated.path, updated.schedule, updated.active) == ("elsewhere/calls.yaml", None, True)
    assert updated.created_at == created.created_at
    assert updated.updated_at > created.updated_at
    assert store.get_flow("calls") == updated


def test_get_flow_and_list_flows(store: MetadataStore) -> None:
    assert store.get_flow("nope") is None
    assert store.list_flows() == []
    for name in ("leads", "calls", "agents"):
        store.register_flow(name, f"{name}.yaml", None)
    assert [flow.name for flow in store.list_flows()] == ["agents", "calls", "leads"]
    assert store.get_flow("leads").path == "leads.yaml"  # type: ignore[union-attr]


def test_set_active_activates_and_pauses(store: MetadataStore) -> None:
    store.register_flow("calls", "calls.yaml", "0 * * * *")
    assert store.set_active("calls", True).active is True
    assert store.get_flow("calls").active is True  # type: ignore[union-attr]
    assert store.set_active("calls", False).active is False
    assert store.get_flow("calls").active is False  # type: ignore[union-attr]


def test_set_active_on_an_unknown_flow_names_it_and_lists_the_known_ones(store: MetadataStore) -> None:
    with pytest.raises(ConfigError, match="no flow is registered yet"):
        store.set_active("calls", True)
    store.register_flow("leads", "leads.yaml", None)
    store.register_flow("agents", "agents.yaml", None)
    with pytest.raises(ConfigError) as caught:
        store.set_active("calls", True)
    assert "'calls'" in str(caught.value)
    assert "known flows: agents, leads" in str(caught.value)


def test_writes_about_an_unknown_flow_are_refused_and_reads_are_empty(store: MetadataStore) -> None:
    store.register_flow("leads", "leads.yaml", None)
    for write in (
        lambda: store.start_run("calls"),
        lambda: store.set_state("calls", "cursor", 1),
        lambda: store.ledger_put(LedgerEntry("calls", "api", "1", "h", "pending")),
    ):
        with pytest.raises(ConfigError, match=r"no flow named 'calls' \(known flows: leads\)"):
            write()
    assert store.list_runs("calls") == []
    assert store.get_state("calls", "cursor") is None
    assert store.ledger_get("calls", "api", "1") is None
    assert store.ledger_list("calls") == []
    assert store.ledger_counts("calls") == {}
    assert store.mark_interrupted("calls") == 0


# runs ------------------------------------------------------------------------------------------


def test_a_run_starts_checkpoints_and_finishes(store: MetadataStore) -> None:
    store.register_flow("calls", "calls.yaml", None)
    run = store.start_run("calls")
    assert (run.flow, run.status, run.ended_at, run.counts, run.error) == ("calls", "running", None, {}, None)

    progress = {"source": {"records": 120, "pages": 3}, "destinations": {"warehouse": {"written": 100}}}
    store.update_run(run.id, progress)
    assert store.list_runs("calls")[0].counts == progress

    finished = store.finish_run(run.id, "failed", {"source": {"records": 150}}, "GET https://x answered 500")
    assert (finished.id, finished.status, finished.error) == (run.id, "failed", "GET https://x answered 500")
    assert finished.counts == {"source": {"records": 150}}
    assert finished.started_at == run.started_at
    assert finished.ended_at is not None and finished.ended_at >= run.started_at
    assert store.list_runs("calls") == [finished]


def test_runs_are_listed_newest_first_and_limited(store: MetadataStore) -> None:
    store.register_flow("calls", "calls.yaml", None)
    store.register_flow("leads", "leads.yaml", None)
    started = [store.start_run("calls").id for _ in range(5)]
    store.start_run("leads")

    assert [run.id for run in store.list_runs("calls")] == started[::-1]
    assert [run.id for run in store.list_runs("calls", limit=2)] == started[:2:-1]
    assert len(store.list_runs("leads")) == 1


def test_unknown_runs_and_statuses_are_errors(store: MetadataStore) -> None:
    store.register_flow("calls", "calls.yaml", None)
    with pytest.raises(ConfigError, match="no run with this id"):
        store.update_run("missing", {})
    with pytest.raises(ConfigError, match="no run with this id"):
        store.finish_run("missing", "succeeded", {})
    run = store.start_run("calls")
    with pytest.raises(ValueError, match="run.status must be one of"):
        store.finish_run(run.id, "done", {})
    assert store.list_runs("calls")[0].status == "running"


def test_mark_interrupted_ends_the_runs_left_running(store: MetadataStore) -> None:
    store.register_flow("calls", "calls.yaml", None)
    store.register_flow("leads", "leads.yaml", None)
    done = store.start_run("calls")
    store.finish_run(done.id, "succeeded", {"records": 1})
    left = [store.start_run("calls"), store.start_run("calls")]
    other = store.start_run("leads")

    assert store.mark_interrupted("calls") == 2
    assert store.mark_interrupted("calls") == 0

    runs = {run.id: run for run in store.list_runs("calls")}
    assert runs[done.id].status == "succeeded"
    for run in left:
        assert runs[run.id].status == "interrupted"
        assert runs[run.id].ended_at is not None
    assert store.list_runs("leads")[0].id == other.id
    assert store.list_runs("leads")[0].status == "running"


# state -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-01T00:00:00Z",
        1714521600,
        12.5,
        True,
        None,
        [1, "two", None],
        {"high_water": "2024-05-01", "offsets": {"page": 3}, "ids": [1, 2], "name": "Zoë ☎"},
    ],
)
def test_state_round_trips_json(store: MetadataStore, value: Any) -> None:
    store.register_flow("calls", "calls.yaml", None)
    store.set_state("calls", "cursor", value)
    assert store.get_state("calls", "cursor") == value


def test_state_is_kept_per_flow_and_key_and_overwritten(store: MetadataStore) -> None:
    store.register_flow("calls", "calls.yaml", None)
    store.register_flow("leads", "leads.yaml", None)
    assert store.get_state("calls", "cursor") is None
    store.set_state("calls", "cursor", "2024-05-01")
    store.set_state("calls", "window", {"size": "1d"})
    store.set_state("leads", "cursor", "2023-01-01")
    store.set_state("calls", "cursor", "2024-05-02")
    assert store.get_state("calls", "cursor") == "2024-05-02"
    assert store.get_state("calls", "window") == {"size": "1d"}
    assert store.get_state("leads", "cursor") == "2023-01-01"


def test_state_must_be_json(store: MetadataStore) -> None:
    store.register_flow("calls", "calls.yaml", None)
    with pytest.raises(ValueError):
        store.set_state("calls", "cursor", float("nan"))
    with pytest.raises(TypeError):
        store.set_state("calls", "cursor", {1, 2})


# ledger ----------------------------------------------------------------------------------------


def _entry(key: str, status: str = "pending", destination: str = "api", **fields: Any) -> LedgerEntry:
    return LedgerEntry("calls", destination, key, f"hash-{key}", status, **fields)


def test_ledger_entries_round_trip(store: MetadataStore) -> None:
    store.register_flow("calls", "calls.yaml", None)
    run = store.start_run("calls")
    record = {"z_last": 1, "id": "c-1", "phone": "+4930123456", "tags": ["vip", None], "name": "Zoë", "n": {"x": 1.5}}
    entry = _entry(
        "c-1",
        "dead",
        attempts=3,
        http_status=422,
        response_excerpt='{"error": "invalid number"}',
        reason="HTTP 422 three times",
        record=record,
        run_id=run.id,
        updated_at="2024-05-01T10:00:00.000000+00:00",
    )
    store.ledger_put(entry)

    got = store.ledger_get("calls", "api", "c-1")
    assert got == entry
    assert list(got.record) == list(record)  # type: ignore[union-attr]  # key order kept for replay
    assert store.ledger_get("calls", "api", "other") is None
    assert store.ledger_get("calls", "warehouse", "c-1") is None


def test_ledger_put_stamps_updated_at_when_empty(store: MetadataStore) -> None:
    store.register_flow("calls", "calls.yaml", None)
    store.ledger_put(_entry("c-1"))
    got = store.ledger_get("calls", "api", "c-1")
    assert got is not None
    assert got.updated_at.endswith("+00:00")
    assert (got.attempts, got.http_status, got.record, got.run_id) == (0, None, None, None)


def test_ledger_put_upserts_by_flow_destination_and_key(store: MetadataStore) -> None:
    store.register_flow("calls", "calls.yaml", None)
    store.ledger_put(_entry("c-1", "pending", record={"id": "c-1"}))
    store.ledger_put(_entry("c-1", "pending", destination="warehouse"))
    store.ledger_put(_entry("c-1", "failed", attempts=1, http_status=503, reason="HTTP 503", record={"id": "c-1"}))
    acknowledged = _entry("c-1", "acknowledged", attempts=2, http_status=201, response_excerpt="{}")
    store.ledger_put(acknowledged)

    got = store.ledger_get("calls", "api", "c-1")
    assert got is not None
    assert (got.status, got.attempts, got.http_status, got.reason, got.record) == ("acknowledged", 2, 201, None, None)
    assert store.ledger_get("calls", "warehouse", "c-1").status == "pending"  # type: ignore[union-attr]
    assert len(store.ledger_list("calls")) == 2


def test_ledger_list_filters_orders_and_limits(store: MetadataStore) -> None:
    store.register_flow("calls", "calls.yaml", None)
    store.register_flow("leads", "leads.yaml", None)
    stamps = iter(f"2024-05-01T10:00:0{second}.000000+00:00" for second in range(10))
    for key, status, destination in [
        ("c-3", "dead", "api"),
        ("c-1", "acknowledged", "api"),
        ("c-2", "dead", "api"),
        ("c-1", "dead", "crm"),
        ("c-4", "pending", "crm"),
    ]:
        store.ledger_put(_entry(key, status, destination, updated_at=next(stamps)))
    store.ledger_put(LedgerEntry("leads", "api", "l-1", "h", "dead"))

    def keys(entries: list[LedgerEntry]) -> list[tuple[str, str]]:
        return [(entry.destination, entry.record_key) for entry in entries]

    assert keys(store.ledger_list("calls")) == [
        ("api", "c-3"),
        ("api", "c-1"),
        ("api", "c-2"),
        ("crm", "c-1"),
        ("crm", "c-4"),
    ]
    assert keys(store.ledger_list("calls", destination="crm")) == [("crm", "c-1"), ("crm", "c-4")]
    assert keys(store.ledger_list("calls", status="dead")) == [("api", "c-3"), ("api", "c-2"), ("crm", "c-1")]
    assert keys(store.ledger_list("calls", "api", "dead")) == [("api", "c-3"), ("api", "c-2")]
    assert keys(store.ledger_list("calls", status="dead", limit=2)) == [("api", "c-3"), ("api", "c-2")]
    assert store.ledger_list("calls", status="sent") == []


def test_ledger_counts_per_destination_and_status(store: MetadataStore) -> None:
    store.register_flow("calls", "calls.yaml", None)
    store.register_flow("leads", "leads.yaml", None)
    for index in range(5):
        store.ledger_put(_entry(f"c-{index}", "acknowledged" if index < 3 else "dead"))
    store.ledger_put(_entry("c-0", "pending", destination="crm"))
    store.ledger_put(LedgerEntry("leads", "api", "l-1", "h", "sent"))

    assert store.ledger_counts("calls") == {"api": {"acknowledged": 3, "dead": 2}, "crm": {"pending": 1}}
    assert store.ledger_counts("leads") == {"api": {"sent": 1}}


def test_ledger_rejects_an_unknown_status(store: MetadataStore) -> None:
    store.register_flow("calls", "calls.yaml", None)
    with pytest.raises(ValueError, match="ledger.status must be one of pending, sent, acknowledged, failed, dead"):
        store.ledger_put(_entry("c-1", "delivered"))
    assert store.ledger_get("calls", "api", "c-1") is None


# processes -------------------------------------------------------------------------------------


def test_two_processes_write_the_ledger_at_once(backend: Backend) -> None:
    count = 60
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "write", "calls", prefix, str(count)],
            env=backend.environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for prefix in ("first", "second")
    ]
    for worker in workers:  # both are ready before either opens the (not yet created) store
        assert worker.stdout is not None and worker.stdout.readline() == "ready\n"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    for worker in workers:
        _, errors = worker.communicate(timeout=60)
        assert worker.returncode == 0, errors

    with backend.open() as store:
        assert store.ledger_counts("calls") == {"api": {"acknowledged": 3 * count}}
        entries = store.ledger_list("calls")
        assert len({entry.record_key for entry in entries}) == 3 * count
        assert all(entry.record == {"i": int(entry.record_key.rsplit("-", 1)[1])} for entry in entries)
        assert [run.status for run in store.list_runs("calls")] == ["succeeded", "succeeded"]


def test_a_pending_entry_survives_a_kill_9(backend: Backend) -> None:
    with backend.open() as store:
        store.register_flow("calls", "calls.yaml", None)
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), "pending", "calls", "c-42"],
        env=backend.environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        line = worker.stdout.readline()
        assert line == "written\n", worker.stderr.read() if worker.stderr else ""
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=10)
    assert worker.returncode == -signal.SIGKILL

    with backend.open() as store:
        entry = store.ledger_get("calls", "api", "c-42")
    assert entry is not None
    assert (entry.status, entry.record) == ("pending", {"id": "c-42"})


# opening ---------------------------------------------------------------------------------------


def test_open_store_follows_the_environment(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in backend.environment().items():
        monkeypatch.setenv(key, value)
    with open_store() as store:
        store.register_flow("calls", "calls.yaml", None)
    with backend.open() as store:
        assert store.get_flow("calls") is not None


def test_a_closed_store_cannot_be_used(backend: Backend) -> None:
    with backend.open() as store:
        store.register_flow("calls", "calls.yaml", None)
    with pytest.raises((sqlite3.ProgrammingError, psycopg.OperationalError), match="closed"):
        store.list_flows()


def test_sqlite_shares_the_credentials_database_in_tables_of_its_own(tmp_path: Path) -> None:
    credentials = CredentialStore(tmp_path)
    credentials.add("bf", {"service": "babelforce", "base_url": "http://127.0.0.1", "password": "s3cret"})
    with open_store(tmp_path) as store:
        store.register_flow("calls", "calls.yaml", None)
    credentials.add("cr", {"service": "callrail", "base_url": "http://127.0.0.1", "api_key": "k"})

    assert credentials.get("bf")["password"] == "s3cret"
    assert [entry["name"] for entry in credentials.list()] == ["bf", "cr"]
    database = tmp_path / "trunkline.db"
    assert database.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"credentials", "schema_versions", "flows", "runs", "flow_state", "ledger"}


def test_sqlite_store_is_created_in_the_resolved_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUNKLINE_HOME", str(tmp_path / "state"))
    with open_store() as store:
        store.register_flow("calls", "calls.yaml", None)
    assert (tmp_path / "state" / "trunkline.db").is_file()


def test_postgres_schemas_keep_stores_apart(tmp_path: Path) -> None:
    first, second = _postgres_backend(tmp_path), _postgres_backend(tmp_path)
    try:
        one, two = next(first), next(second)
        with one.open() as store:
            store.register_flow("calls", "calls.yaml", None)
        with two.open() as store:
            assert store.list_flows() == []
    finally:
        for backend in (first, second):
            next(backend, None)


def test_an_unreachable_postgres_is_a_config_error_without_the_password() -> None:
    with pytest.raises(ConfigError) as caught:
        open_store(url="postgresql://me:s3cret@127.0.0.1:1/test?schema=x")
    message = str(caught.value)
    assert message.startswith(f"{STORE_ENV}: cannot connect to PostgreSQL")
    assert "me:****@127.0.0.1:1" in message
    assert "s3cret" not in message


def test_unsupported_store_urls_and_schema_names_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="must be a postgresql:// URL"):
        open_store(url="mysql://root@127.0.0.1/test")
    with pytest.raises(ConfigError, match="schema"):
        open_store(url="postgresql://postgres@127.0.0.1/test?schema=drop%20table")


def test_store_urls_are_split_and_redacted() -> None:
    conninfo, schema = split_url("postgresql://u@h:5432/db?schema=team_a&sslmode=disable&options=-csearch_path%3Dx")
    assert schema == "team_a"
    assert conninfo == "postgresql://u@h:5432/db?sslmode=disable&options=-csearch_path%3Dx&connect_timeout=10"
    assert split_url("postgresql://u@h/db?connect_timeout=3") == ("postgresql://u@h/db?connect_timeout=3", "trunkline")
    assert redact_url("postgresql://u:p%40ss@h/db?password=x&schema=s") == "postgresql://u:****@h/db?password=****&schema=s"
