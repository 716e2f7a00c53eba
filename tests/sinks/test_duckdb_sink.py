"""The DuckDB table destination against a real DuckDB file: create, types, widening, modes, errors."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trunkline.core.errors import ConfigError
from trunkline.core.schema import detect_schema
from trunkline.core.sink_config import parse_sink_config
from trunkline.sinks.columns import to_json, to_timestamp
from trunkline.sinks.duckdb_sink import DuckDBWriter
from trunkline.sinks.table_writer import SinkError, WriteSummary
from trunkline.sinks.tables import open_table_writer


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "warehouse.duckdb"


def sink(database: Path, **options: Any) -> dict[str, Any]:
    return {"type": "duckdb", "path": str(database), "table": "calls", **options}


def write(config: dict[str, Any], *batches: list[dict[str, Any]], fields: Any = None) -> WriteSummary:
    with open_table_writer(config, fields) as writer:
        for batch in batches:
            writer.write_batch(batch)
    return writer.summary


def query(database: Path, statement: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(statement).fetchall()


def column_types(database: Path, table: str = "calls") -> dict[str, str]:
    return dict(query(database, f"SELECT column_name, data_type FROM information_schema.columns "
                                f"WHERE table_name = '{table}' ORDER BY ordinal_position"))


def test_a_table_is_created_from_the_known_schema_before_any_record(database: Path) -> None:
    fields = detect_schema([{"id": 1, "agent": "ann", "duration": 1.5, "answered": True,
                             "started": "2026-06-24T10:15:02.000Z", "tags": ["a"], "meta": {"k": 1}, "note": None}])
    summary = write(sink(database), fields=fields)
    assert summary.created and summary.records == 0
    assert column_types(database) == {
        "id": "BIGINT", "agent": "VARCHAR", "duration": "DOUBLE", "answered": "BOOLEAN",
        "started": "TIMESTAMP WITH TIME ZONE", "tags": "JSON", "meta": "JSON", "note": "VARCHAR",
    }


def test_values_round_trip_with_their_types(database: Path) -> None:
    records = [
        {"id": 1, "name": "Zoë", "score": 2.5, "ok": True, "started": "2026-06-24T10:15:02.123Z",
         "meta": {"queue": "sales", "n": [1, 2]}, "tags": ["x", "y"], "empty": None},
        {"id": 2, "name": None, "score": None, "ok": False, "started": "2026-06-24T12:15:02+02:00",
         "meta": None, "tags": [], "empty": None},
        {"id": 3, "started": "2026-06-25"},
    ]
    summary = write(sink(database), records)
    assert (summary.inserted, summary.columns_added) == (3, ["empty"])
    rows = query(database, "SELECT id, name, score, ok, CAST(started AS VARCHAR), meta->>'queue', meta->'n', tags, "
                           "empty FROM calls ORDER BY id")
    assert rows == [
        (1, "Zoë", 2.5, True, "2026-06-24 10:15:02.123+00", "sales", "[1,2]", '["x","y"]', None),
        (2, None, None, False, "2026-06-24 10:15:02+00", None, None, "[]", None),
        (3, None, None, None, "2026-06-25 00:00:00+00", None, None, None, None),
    ]
    assert column_types(database)["empty"] == "VARCHAR"


def test_a_new_field_adds_a_column_and_older_rows_hold_null(database: Path) -> None:
    write(sink(database), [{"id": 1}])
    summary = write(sink(database), [{"id": 2, "queue": "sales"}], [{"id": 3, "queue": "support", "wait": 4}])
    assert summary.columns_added == ["queue", "wait"]
    assert query(database, "SELECT id, queue, wait FROM calls ORDER BY id") == [
        (1, None, None), (2, "sales", None), (3, "support", 4)]


def test_a_type_that_no_longer_fits_widens_the_column(database: Path) -> None:
    summary = write(sink(database), [{"id": 1, "duration": 10, "flag": True, "started": "2026-01-01T00:00:00Z"}],
                    [{"id": 2, "duration": 12.5, "flag": "maybe", "started": "soon"}])
    assert summary.columns_widened == ["duration: BIGINT → DOUBLE", "flag: BOOLEAN → VARCHAR",
                                       "started: TIMESTAMPTZ → VARCHAR"]
    assert query(database, "SELECT id, duration, flag, started FROM calls ORDER BY id") == [
        (1, 10.0, "true", "2026-01-01 00:00:00+00"), (2, 12.5, "maybe", "soon")]
    again = write(sink(database), [{"id": 3, "duration": 7, "flag": False, "started": "2026-01-02T00:00:00Z"}])
    assert again.columns_widened == [] and query(database, "SELECT duration, flag FROM calls WHERE id = 3") == [
        (7.0, "false")]


def test_a_field_null_in_the_first_batch_takes_the_type_of_its_first_value(database: Path) -> None:
    summary = write(sink(database), [{"id": 1, "ended": None}], [{"id": 2, "ended": "2026-01-01T10:00:00Z"}])
    assert summary.columns_added == ["ended"] and summary.columns_widened == []
    assert column_types(database)["ended"] == "TIMESTAMP WITH TIME ZONE"


def test_objects_mixed_with_arrays_stay_json_and_huge_integers_become_text(database: Path) -> None:
    write(sink(database), [{"id": 1, "payload": {"a": 1}, "big": 2**70}, {"id": 2, "payload": [1], "big": 1}])
    assert column_types(database) == {"id": "BIGINT", "payload": "JSON", "big": "VARCHAR"}
    assert query(database, "SELECT big FROM calls ORDER BY id") == [(str(2**70),), ("1",)]


def test_append_adds_every_record_on_each_run(database: Path) -> None:
    records = [{"id": 1}, {"id": 2}]
    write(sink(database, mode="append"), records)
    summary = write(sink(database, mode="append"), records)
    assert summary.counts() == {"records": 2, "inserted": 2, "updated": 0, "unchanged": 0, "duplicates": 0,
                                "deleted": 0}
    assert query(database, "SELECT count(*) FROM calls") == [(4,)]


def test_replace_swaps_the_content_for_the_runs_records(database: Path) -> None:
    write(sink(database), [{"id": 1}, {"id": 2}, {"id": 3}])
    summary = write(sink(database, mode="replace"), [{"id": 7, "extra": "x"}], [{"id": 8}])
    assert (summary.deleted, summary.inserted) == (3, 2)
    assert query(database, "SELECT id, extra FROM calls ORDER BY id") == [(7, "x"), (8, None)]


def test_a_failing_replace_leaves_the_old_content(database: Path) -> None:
    write(sink(database), [{"id": 1, "n": 1}, {"id": 2, "n": 2}])
    with pytest.raises(RuntimeError), open_table_writer(sink(database, mode="replace")) as writer:
        writer.write_batch([{"id": 9, "n": "text", "new": True}])
        raise RuntimeError("the source failed mid-run")
    assert query(database, "SELECT id, n FROM calls ORDER BY id") == [(1, 1), (2, 2)]
    assert column_types(database) == {"id": "BIGINT", "n": "BIGINT"}


def test_merge_inserts_then_updates_changed_rows_and_a_rerun_changes_nothing(database: Path) -> None:
    config = sink(database, mode="merge", key="id")
    first = [{"id": 1, "status": "ringing", "meta": {"a": 1}}, {"id": 2, "status": "ended", "meta": None}]
    assert write(config, first).counts()["inserted"] == 2
    rerun = write(config, first)
    assert (rerun.inserted, rerun.updated, rerun.unchanged) == (0, 0, 2)
    changed = write(config, [{"id": 1, "status": "ended", "meta": {"a": 1}}, {"id": 3, "status": "new"}])
    assert (changed.inserted, changed.updated, changed.unchanged) == (1, 1, 0)
    assert query(database, "SELECT id, status FROM calls ORDER BY id") == [(1, "ended"), (2, "ended"), (3, "new")]


def test_merge_on_a_composite_key_keeps_the_last_record_of_a_key_in_a_batch(database: Path) -> None:
    config = sink(database, mode="merge", key=["account", "id"])
    batch = [{"account": "a", "id": 1, "v": 1}, {"account": "b", "id": 1, "v": 2}, {"account": "a", "id": 1, "v": 3}]
    summary = write(config, batch)
    assert (summary.records, summary.inserted, summary.duplicates) == (3, 2, 1)
    assert write(config, batch).unchanged == 2
    assert query(database, "SELECT account, id, v FROM calls ORDER BY account") == [("a", 1, 3), ("b", 1, 2)]


def test_merge_widens_the_key_column_and_only_updates_the_fields_a_record_carries(database: Path) -> None:
    config = sink(database, mode="merge", key="id")
    write(config, [{"id": 1, "a": "x", "b": "y"}])
    summary = write(config, [{"id": 1, "b": "z"}, {"id": "A-2", "a": "q"}])
    assert summary.columns_widened == ["id: BIGINT → VARCHAR"] and (summary.inserted, summary.updated) == (1, 1)
    assert query(database, "SELECT id, a, b FROM calls ORDER BY id") == [("1", "x", "z"), ("A-2", "q", None)]


def test_merge_refuses_a_record_without_its_key_and_writes_nothing(database: Path) -> None:
    with pytest.raises(SinkError, match="record 3 of the run has no value for the key field 'id'"), \
            open_table_writer(sink(database, mode="merge", key="id")) as writer:
        writer.write_batch([{"id": 1}, {"id": 2}])
        writer.write_batch([{"id": None}])
    assert not database.exists() or query(database, "SELECT count(*) FROM information_schema.tables") == [(0,)]


def test_an_existing_table_is_used_as_it_is_with_new_columns_added(database: Path) -> None:
    database.parent.mkdir(parents=True)
    with duckdb.connect(str(database)) as connection:
        connection.execute('CREATE TABLE "Calls" ("ID" INTEGER PRIMARY KEY, amount DECIMAL(10, 2), day DATE)')
        connection.execute("INSERT INTO \"Calls\" VALUES (1, 1.50, '2026-01-01')")
    summary = write(sink(database, mode="merge", key="id"),
                    [{"id": 1, "amount": 2.25, "day": "2026-01-02", "queue": "q"}, {"id": 2, "amount": 3}])
    assert (summary.created, summary.columns_added, summary.columns_widened) == (False, ["queue"], [])
    assert (summary.inserted, summary.updated) == (1, 1)
    assert column_types(database, "Calls") == {"ID": "INTEGER", "amount": "DECIMAL(10,2)", "day": "DATE",
                                               "queue": "VARCHAR"}
    assert query(database, 'SELECT "ID", CAST(amount AS VARCHAR), CAST(day AS VARCHAR), queue FROM calls '
                           "ORDER BY 1") == [(1, "2.25", "2026-01-02", "q"), (2, "3.00", None, None)]


def test_a_batch_the_database_refuses_fails_the_run_before_another_batch_and_keeps_the_table(database: Path) -> None:
    """A batch's insert may still run when ``write_batch`` returns: its error comes back, with the
    database's message and the fix, before the caller hands over another batch, and nothing of the
    run stays in the table."""
    database.parent.mkdir(parents=True)
    with duckdb.connect(str(database)) as connection:  # someone else's table: id is a number there
        connection.execute("CREATE TABLE calls (id INTEGER, note VARCHAR)")
        connection.execute("INSERT INTO calls VALUES (1, 'kept')")
    writer = open_table_writer(sink(database))
    writer.write_batch([{"id": 2, "note": "fine"}])
    with pytest.raises(SinkError) as raised:
        writer.write_batch([{"id": 3, "note": "fine"}, {"id": "three", "note": "refused"}])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # what a source run asks at each page
            writer.raise_background_error()
            time.sleep(0.01)
    assert raised.value.message.startswith("main.calls: Conversion Error") and "three" in raised.value.message
    assert raised.value.fix is not None and "change the column's type" in raised.value.fix
    with pytest.raises(ValueError, match="already closed"):
        writer.write_batch([{"id": 4}])
    assert query(database, "SELECT * FROM calls") == [(1, "kept")]


def test_odd_field_names_are_quoted_and_names_differing_by_case_are_refused(database: Path) -> None:
    write(sink(database, schema="raw"), [{'we"ird; DROP TABLE calls; --': 1, "select": "x", "call.id": 2}])
    assert query(database, 'SELECT "we""ird; DROP TABLE calls; --", "select", "call.id" FROM raw.calls') == [
        (1, "x", 2)]
    with pytest.raises(SinkError, match="'id' and 'ID' would be the same column"):
        write(sink(database), [{"id": 1, "ID": 2}])


@pytest.mark.parametrize(("options", "path", "value"), [
    ({"table": "calls; DROP TABLE x"}, "destination.table", "calls; DROP TABLE x"),
    ({"table": "1calls"}, "destination.table", "1calls"),
    ({"schema": "my schema"}, "destination.schema", "my schema"),
    ({"mode": "merge"}, "destination.key", None),
    ({"mode": "merge", "key": []}, "destination.key", None),
    ({"mode": "upsert"}, "destination.mode", "upsert"),
    ({"keys": "id"}, "destination.keys", None),
])
def test_bad_configuration_is_a_config_error_naming_the_key(
    database: Path, options: dict[str, Any], path: str, value: Any
) -> None:
    with pytest.raises(ConfigError) as caught:
        open_table_writer(sink(database, **options))
    assert caught.value.path == path and caught.value.value == value and caught.value.fix
    assert not database.exists()


def test_the_writer_is_chosen_by_type_and_a_closed_writer_refuses_batches(database: Path) -> None:
    writer = open_table_writer(parse_sink_config(sink(database)))
    assert isinstance(writer, DuckDBWriter)
    writer.write_batch([])
    summary = writer.close()
    assert summary.created is False and writer.close() is summary
    with pytest.raises(ValueError, match="already closed"):
        writer.write_batch([{"id": 1}])


def _iso_text(moment: datetime, shape: tuple[str, str, int, str, str]) -> str:
    """``moment`` written in one of the ISO-8601 shapes the ``datetime`` test accepts."""
    separator, time_part, digits, decimal_mark, offset = shape
    text = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    if time_part == "none":
        return text
    text += f"{separator}{moment.hour:02d}:{moment.minute:02d}"
    if time_part == "seconds":
        text += f":{moment.second:02d}"
        if digits:
            text += decimal_mark + f"{moment.microsecond:06d}{moment.microsecond % 1000:03d}"[:digits]
    return text + offset


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SHAPES = st.tuples(st.sampled_from(["T", " "]), st.sampled_from(["none", "minutes", "seconds"]),
                    st.integers(0, 9), st.sampled_from([".", ","]),
                    st.sampled_from(["", "Z", "+02", "-0130", "+05:45", "-00:00"]))
_JSON_VALUES = st.none() | st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=4) | st.floats(allow_nan=False),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=6,
).filter(lambda value: isinstance(value, list | dict))


@settings(max_examples=20, deadline=None)
@given(rows=st.lists(st.tuples(st.datetimes(min_value=datetime(1000, 1, 1)), _SHAPES, _JSON_VALUES), min_size=1,
                     max_size=12))
def test_timestamps_and_json_read_back_as_python_reads_them(tmp_path_factory, rows) -> None:
    """DuckDB parses the timestamp strings and splits the column's JSON array: what the table holds is
    what Python's own reading (``to_timestamp``, ``to_json``) gives, shape for shape and value for value."""
    database = tmp_path_factory.mktemp("iso") / "t.duckdb"
    records = [{"n": number, "moment": _iso_text(moment, shape), "doc": doc}
               for number, (moment, shape, doc) in enumerate(rows)]
    write(sink(database), records)
    stored = query(database, "SELECT n, epoch_us(moment), CAST(doc AS VARCHAR) FROM calls ORDER BY n")
    assert column_types(database)["moment"] == "TIMESTAMP WITH TIME ZONE"
    assert [(n, moment, None if doc is None else json.loads(doc)) for n, moment, doc in stored] == [
        (record["n"], (to_timestamp(record["moment"]) - _EPOCH) // timedelta(microseconds=1),
         None if record["doc"] is None else json.loads(to_json(record["doc"]))) for record in records]


def test_json_values_land_in_their_own_rows_across_batches(database: Path) -> None:
    """Each JSON column of a batch travels as one array that DuckDB splits: every value must reach its
    own record's row, in batches of thousands, a column of nulls and objects, another of arrays."""
    records = [{"n": n, "doc": None if n % 7 == 0 else {"n": n, "name": f"r{n}"}, "tags": [n, "é"]}
               for n in range(12_000)]
    write(sink(database), records[:5_000], records[5_000:])
    assert column_types(database) == {"n": "BIGINT", "doc": "JSON", "tags": "JSON"}
    assert query(database, "SELECT count(*), count(doc), count(*) FILTER (WHERE doc->>'n' = CAST(n AS VARCHAR) "
                           "AND tags->>0 = CAST(n AS VARCHAR) AND tags->>1 = 'é') FROM calls") == [
        (12_000, 12_000 - len(range(0, 12_000, 7)), 12_000 - len(range(0, 12_000, 7)))]
    assert query(database, "SELECT count(*) FROM calls WHERE doc IS NULL AND n % 7 = 0 AND tags->>0 = CAST(n AS "
                           "VARCHAR)") == [(len(range(0, 12_000, 7)),)]


def test_json_values_the_fast_encoder_refuses_are_written_as_python_writes_them(database: Path) -> None:
    """orjson refuses integers beyond 64 bits and keys that are not strings: that column is encoded
    value by value instead, and reads back the same."""
    records = [{"n": 1, "doc": {"big": 2**70, "list": [1, 2]}}, {"n": 2, "doc": {1: "one"}}, {"n": 3, "doc": None},
               {"n": 4, "doc": ["plain", {"k": 1.5}]}]
    write(sink(database), records)
    assert column_types(database)["doc"] == "JSON"
    assert query(database, "SELECT CAST(doc AS VARCHAR) FROM calls ORDER BY n") == [
        ('{"big":1180591620717411303424,"list":[1,2]}',), ('{"1":"one"}',), (None,), ('["plain",{"k":1.5}]',),
    ]


def test_a_batch_of_json_columns_alone_is_written(database: Path) -> None:
    write(sink(database), [{"doc": {"a": 1}}, {"doc": None}, {"doc": [1, {"b": None}]}])
    assert column_types(database) == {"doc": "JSON"}
    assert query(database, "SELECT CAST(doc AS VARCHAR) FROM calls") == [('{"a":1}',), (None,), ('[1,{"b":null}]',)]
