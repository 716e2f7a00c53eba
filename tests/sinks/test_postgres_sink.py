"""The PostgreSQL table destination against the real server: create, types, widening, modes, errors.

Each test works in a schema of its own, dropped at the end, so tests run in parallel. An unreachable
server fails the tests: CI has one, and a skipped test would hide a broken setup.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg import sql

from trunkline.core.errors import ConfigError
from trunkline.core.schema import detect_schema
from trunkline.sinks.postgres_sink import PostgresWriter
from trunkline.sinks.table_writer import SinkError, WriteSummary
from trunkline.sinks.tables import open_table_writer

POSTGRES_URL = os.environ.get("TRUNKLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def schema() -> Iterator[str]:
    """A fresh schema name (created by the writer), dropped with everything in it at the end."""
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable ({error}); these tests need it")
    name = f"tl_sink_{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
        admin.close()


def sink(schema: str, **options: Any) -> dict[str, Any]:
    return {"type": "postgres", "url": POSTGRES_URL, "schema": schema, "table": "calls", **options}


def write(config: dict[str, Any], *batches: list[dict[str, Any]], fields: Any = None) -> WriteSummary:
    with open_table_writer(config, fields) as writer:
        for batch in batches:
            writer.write_batch(batch)
    return writer.summary


def query(statement: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        return connection.execute(statement, params).fetchall()


def execute(statement: str) -> None:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(statement)


def column_types(schema: str, table: str = "calls") -> dict[str, str]:
    return dict(query("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = %s "
                      "AND table_name = %s ORDER BY ordinal_position", schema, table))


def test_a_table_and_its_schema_are_created_from_the_known_fields(schema: str) -> None:
    fields = detect_schema([{"id": 1, "agent": "ann", "duration": 1.5, "answered": True,
                             "started": "2026-06-24T10:15:02.000Z", "tags": ["a"], "meta": {"k": 1}, "note": None}])
    summary = write(sink(schema), fields=fields)
    assert summary.created and summary.table == f"{schema}.calls"
    assert column_types(schema) == {
        "id": "bigint", "agent": "text", "duration": "double precision", "answered": "boolean",
        "started": "timestamp with time zone", "tags": "jsonb", "meta": "jsonb", "note": "text",
    }


def test_values_round_trip_with_their_types(schema: str) -> None:
    records = [
        {"id": 1, "name": "Zoë", "score": 2.5, "ok": True, "started": "2026-06-24T10:15:02.123Z",
         "meta": {"queue": "sales", "n": [1, 2]}, "tags": ["x", "y"], "empty": None},
        {"id": 2, "name": None, "score": None, "ok": False, "started": "2026-06-24T12:15:02+02:00",
         "meta": None, "tags": [], "empty": None},
        {"id": 3, "started": "2026-06-25"},
    ]
    write(sink(schema), records)
    rows = query(f"SELECT id, name, score, ok, started, meta, tags, empty FROM {schema}.calls ORDER BY id")
    assert rows == [
        (1, "Zoë", 2.5, True, datetime(2026, 6, 24, 10, 15, 2, 123000, tzinfo=UTC),
         {"queue": "sales", "n": [1, 2]}, ["x", "y"], None),
        (2, None, None, False, datetime(2026, 6, 24, 10, 15, 2, tzinfo=UTC), None, [], None),
        (3, None, None, None, datetime(2026, 6, 25, tzinfo=UTC), None, None, None),
    ]
    assert column_types(schema)["empty"] == "text"


def test_new_fields_add_columns_and_types_that_no_longer_fit_widen(schema: str) -> None:
    write(sink(schema), [{"id": 1, "duration": 10, "flag": True, "meta": {"a": 1}}])
    summary = write(sink(schema), [{"id": 2, "duration": 12.5, "queue": "q"}],
                    [{"id": 3, "flag": "maybe", "meta": "plain"}])
    assert summary.columns_added == ["queue"]
    assert summary.columns_widened == ["duration: bigint → double precision", "flag: boolean → text",
                                       "meta: jsonb → text"]
    assert query(f"SELECT id, duration, flag, meta, queue FROM {schema}.calls ORDER BY id") == [
        (1, 10.0, "true", '{"a": 1}', None), (2, 12.5, None, None, "q"), (3, None, "maybe", "plain", None)]


def test_append_adds_every_record_on_each_run_with_copy(schema: str) -> None:
    records = [{"id": index, "text": "tab\there, newline\nthere, back\\slash"} for index in range(1, 501)]
    write(sink(schema, mode="append"), records)
    summary = write(sink(schema, mode="append"), records[:10])
    assert summary.inserted == 10
    assert query(f"SELECT count(*), count(DISTINCT text) FROM {schema}.calls") == [(510, 1)]
    assert query(f"SELECT text FROM {schema}.calls LIMIT 1") == [(records[0]["text"],)]


def test_replace_swaps_the_content_and_a_failing_replace_leaves_the_old(schema: str) -> None:
    write(sink(schema), [{"id": 1}, {"id": 2}, {"id": 3}])
    summary = write(sink(schema, mode="replace"), [{"id": 7, "extra": "x"}], [{"id": 8}])
    assert (summary.deleted, summary.inserted) == (3, 2)
    with pytest.raises(SinkError), open_table_writer(sink(schema, mode="replace")) as writer:
        writer.write_batch([{"id": 9, "extra": 5, "more": True}])
        writer.write_batch([{"id": 10, "bad name\x00": 1}])
    assert query(f"SELECT id, extra FROM {schema}.calls ORDER BY id") == [(7, "x"), (8, None)]
    assert column_types(schema) == {"id": "bigint", "extra": "text"}


def test_merge_creates_a_unique_index_and_a_rerun_changes_nothing(schema: str) -> None:
    config = sink(schema, mode="merge", key="id")
    first = [{"id": 1, "status": "ringing", "meta": {"a": 1}, "at": "2026-01-01T10:00:00Z"},
             {"id": 2, "status": "ended", "meta": None, "at": None}]
    assert write(config, first).inserted == 2
    rerun = write(config, first)
    assert (rerun.inserted, rerun.updated, rerun.unchanged) == (0, 0, 2)
    changed = write(config, [{"id": 1, "status": "ended", "meta": {"a": 1}}, {"id": 3, "status": "new"}])
    assert (changed.inserted, changed.updated, changed.unchanged) == (1, 1, 0)
    assert query(f"SELECT id, status, at FROM {schema}.calls ORDER BY id") == [
        (1, "ended", datetime(2026, 1, 1, 10, tzinfo=UTC)), (2, "ended", None), (3, "new", None)]
    assert query("SELECT indexdef LIKE %s FROM pg_indexes WHERE schemaname = %s", "%UNIQUE%(id)", schema) == [(True,)]


def test_merge_on_a_composite_key_keeps_the_last_record_of_a_key_in_a_batch(schema: str) -> None:
    config = sink(schema, mode="merge", key=["account", "id"])
    batch = [{"account": "a", "id": 1, "v": 1}, {"account": "b", "id": 1, "v": 2}, {"account": "a", "id": 1, "v": 3}]
    summary = write(config, batch)
    assert (summary.records, summary.inserted, summary.duplicates) == (3, 2, 1)
    assert write(config, batch).unchanged == 2
    assert query(f"SELECT account, id, v FROM {schema}.calls ORDER BY account") == [("a", 1, 3), ("b", 1, 2)]


def test_merge_widens_the_key_column_and_only_updates_the_fields_a_record_carries(schema: str) -> None:
    config = sink(schema, mode="merge", key="id")
    write(config, [{"id": 1, "a": "x", "b": "y"}])
    summary = write(config, [{"id": 1, "b": "z"}, {"id": "A-2", "a": "q"}])
    assert summary.columns_widened == ["id: bigint → text"] and (summary.inserted, summary.updated) == (1, 1)
    assert query(f"SELECT id, a, b FROM {schema}.calls ORDER BY id") == [("1", "x", "z"), ("A-2", "q", None)]


def test_merge_into_an_existing_table_without_a_unique_index_is_a_config_error(schema: str) -> None:
    execute(f'CREATE SCHEMA {schema}; CREATE TABLE {schema}.calls (id integer, amount numeric(10, 2), "Day" date)')
    with pytest.raises(ConfigError) as caught:
        write(sink(schema, mode="merge", key="id"), [{"id": 1, "amount": 1}])
    assert caught.value.path == "destination.key" and caught.value.value == "id"
    assert "CREATE UNIQUE INDEX ON" in str(caught.value) and query(f"SELECT count(*) FROM {schema}.calls") == [(0,)]


def test_an_existing_table_is_used_as_it_is_with_new_columns_added(schema: str) -> None:
    execute(f'CREATE SCHEMA {schema}; CREATE TABLE {schema}.calls (id integer PRIMARY KEY, amount numeric(10, 2), '
          f'"Day" date, meta json); INSERT INTO {schema}.calls VALUES (1, 1.5, \'2026-01-01\', \'{{"a": 1}}\')')
    config = sink(schema, mode="merge", key="id")
    records = [{"id": 1, "amount": 2.25, "Day": "2026-01-02", "meta": {"a": 1}, "queue": "q"}, {"id": 2, "amount": 3}]
    summary = write(config, records)
    assert (summary.created, summary.columns_added, summary.columns_widened) == (False, ["queue"], [])
    assert (summary.inserted, summary.updated) == (1, 1)
    assert write(config, records).unchanged == 2
    assert query(f'SELECT id, amount::text, "Day"::text, meta::text, queue FROM {schema}.calls ORDER BY id') == [
        (1, "2.25", "2026-01-02", '{"a":1}', "q"), (2, "3.00", None, None, None)]


def test_odd_field_names_are_quoted_and_overlong_names_refused(schema: str) -> None:
    write(sink(schema), [{'we"ird; DROP TABLE calls; --': 1, "select": "x", "Call.Id": 2}])
    assert query(f'SELECT "we""ird; DROP TABLE calls; --", "select", "Call.Id" FROM {schema}.calls') == [(1, "x", 2)]
    with pytest.raises(SinkError, match="longer than 63 bytes"):
        write(sink(schema), [{"x" * 64: 1}])


@pytest.mark.parametrize(("options", "path", "value"), [
    ({"table": "calls; DROP TABLE x"}, "destination.table", "calls; DROP TABLE x"),
    ({"schema": "public.calls"}, "destination.schema", "public.calls"),
    ({"table": "c" * 64}, "destination.table", "c" * 64),
    ({"mode": "merge"}, "destination.key", None),
    ({"url": "mysql://localhost/db"}, "destination.url", None),
])
def test_bad_configuration_is_a_config_error_naming_the_key(
    schema: str, options: dict[str, Any], path: str, value: Any
) -> None:
    with pytest.raises(ConfigError) as caught:
        open_table_writer({**sink(schema), **options})
    assert caught.value.path == path and caught.value.value == value and caught.value.fix


def test_an_unreachable_server_is_a_sink_error_without_the_password(schema: str) -> None:
    url = "postgresql://someone:s3cret@127.0.0.1:1/nowhere"
    with pytest.raises(SinkError) as caught:
        open_table_writer(sink(schema, url=url))
    assert "postgresql://someone:****@127.0.0.1:1/nowhere" in str(caught.value) and "s3cret" not in str(caught.value)


def test_the_writer_is_chosen_by_type(schema: str) -> None:
    writer = open_table_writer(sink(schema))
    assert isinstance(writer, PostgresWriter)
    writer.abort()
    assert query("SELECT count(*) FROM pg_namespace WHERE nspname = %s", schema) == [(0,)]


def test_a_value_a_column_of_someone_elses_table_cannot_hold_names_the_fix(schema: str) -> None:
    execute(f"CREATE SCHEMA {schema}; CREATE TABLE {schema}.calls (id integer, started date)")
    with pytest.raises(SinkError) as caught:
        write(sink(schema), [{"id": 1, "started": "next tuesday"}])
    assert "next tuesday" in str(caught.value) and "change the column's type" in str(caught.value)
    assert query(f"SELECT count(*) FROM {schema}.calls") == [(0,)]
