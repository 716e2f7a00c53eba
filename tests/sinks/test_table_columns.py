"""Column kinds of the table destinations: the widening rule, value conversion, the config models."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trunkline.core.errors import ConfigError
from trunkline.core.schema import detect_schema
from trunkline.core.sink_config import DuckDBSinkConfig, PostgresSinkConfig, parse_sink_config
from trunkline.sinks.columns import (
    Kind,
    as_text,
    batch_columns,
    batch_kinds,
    coerce,
    coerce_column,
    kind_of_field_type,
    to_timestamp,
    widened,
)


@pytest.mark.parametrize(("current", "needed", "result"), [
    (Kind.BIGINT, Kind.BIGINT, None),
    (Kind.DOUBLE, Kind.BIGINT, None),
    (Kind.BIGINT, Kind.DOUBLE, Kind.DOUBLE),
    (Kind.TEXT, Kind.JSON, None),
    (Kind.OTHER, Kind.TEXT, None),
    (Kind.BOOLEAN, Kind.BIGINT, Kind.TEXT),
    (Kind.TIMESTAMPTZ, Kind.TEXT, Kind.TEXT),
    (Kind.JSON, Kind.DOUBLE, Kind.TEXT),
    (Kind.DOUBLE, Kind.TIMESTAMPTZ, Kind.TEXT),
])
def test_the_widening_rule(current: Kind, needed: Kind, result: Kind | None) -> None:
    assert widened(current, needed) is result


def test_batch_kinds_follow_the_schema_with_the_table_exceptions() -> None:
    records = [{"a": 1, "b": 1, "c": {"x": 1}, "d": None, "e": "2026-01-01", "f": 2**64},
               {"a": 2.5, "b": "x", "c": [1], "e": "2026-01-02T10:00:00Z", "f": 1}]
    assert batch_kinds(records) == {"a": Kind.DOUBLE, "b": Kind.TEXT, "c": Kind.JSON, "d": None,
                                    "e": Kind.TIMESTAMPTZ, "f": Kind.TEXT}


def test_values_are_converted_for_their_column() -> None:
    assert to_timestamp("2026-01-01T12:00:00+02:00") == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert to_timestamp("2026-01-01T12:00:00") == datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert to_timestamp(date(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=UTC)
    assert to_timestamp(datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=1)))).utcoffset() == timedelta(hours=1)
    assert coerce(3, Kind.DOUBLE) == 3.0 and isinstance(coerce(3, Kind.DOUBLE), float)
    assert coerce({"é": [1, None], "at": date(2026, 1, 2)}, Kind.JSON) == '{"é":[1,null],"at":"2026-01-02"}'
    assert [as_text(value) for value in (True, 12, 1.5, "x", [1], datetime(2026, 1, 1, tzinfo=UTC))] == [
        "true", "12", "1.5", "x", "[1]", "2026-01-01T00:00:00+00:00"]
    assert coerce(None, Kind.TEXT) is None and coerce(7, Kind.OTHER) == "7"


def test_config_models_take_a_single_key_or_a_list_and_hide_the_url() -> None:
    duck = parse_sink_config({"type": "duckdb", "path": "w.duckdb", "table": "calls", "mode": "merge", "key": "id"})
    assert isinstance(duck, DuckDBSinkConfig) and duck.keys == ["id"] and duck.schema_name is None
    postgres = parse_sink_config({"type": "postgres", "url": "postgresql://u:secret@h/db", "table": "calls",
                                  "schema": "raw", "key": ["a", "b"]})
    assert isinstance(postgres, PostgresSinkConfig) and postgres.schema_name == "raw"
    assert postgres.keys == [] and "secret" not in repr(postgres)


@pytest.mark.parametrize(("data", "path"), [
    ({"type": "sqlite", "table": "t"}, "destination.type"),
    ({"type": "duckdb", "table": "t"}, "destination.path"),
    ({"type": "duckdb", "path": "w", "table": "t", "key": ["id", "id"]}, "destination.key"),
    ({"type": "duckdb", "path": "w", "table": "t", "mode": "merge", "key": [""]}, "destination.key"),
    ({"type": "postgres", "url": "postgresql://h/db", "table": "bad-name"}, "destination.table"),
])
def test_config_errors_name_the_key(data: dict[str, object], path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_sink_config(data)
    assert caught.value.path == path and caught.value.fix


# --- a batch, a column at a time, gives what the record-by-record rules give --------------------------

_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=False),
    st.sampled_from(["2026-01-01", "2026-01-02T10:00:00Z", "2026-02-30", "20260101", "x", "", "2026-01-01 10:00"]),
    st.text(max_size=4), st.dates(), st.datetimes(timezones=st.none() | st.just(UTC)),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.sampled_from("xy"), st.integers(), max_size=2),
)
_RECORDS = st.lists(st.dictionaries(st.sampled_from(["a", "b", "c"]), _VALUES, max_size=3), min_size=1, max_size=8)


def _kinds_record_by_record(records: list[dict]) -> dict[str, Kind | None]:
    """The rules as the schema builder applies them, one record at a time (the reference)."""
    kinds: dict[str, Kind | None] = {}
    for field in detect_schema(records):
        kind = kind_of_field_type(field.type)
        values = [value for record in records if (value := record.get(field.name)) is not None]
        if kind is Kind.BIGINT and not all(-(2**63) <= value < 2**63 for value in values):
            kind = Kind.TEXT
        elif kind is Kind.TEXT and all(isinstance(value, dict | list) for value in values):
            kind = Kind.JSON
        kinds[field.name] = kind
    return kinds


@settings(max_examples=300, deadline=None)
@given(records=_RECORDS)
def test_batch_kinds_match_the_record_by_record_schema(records):
    assert batch_kinds(records) == _kinds_record_by_record(records)


@settings(max_examples=300, deadline=None)
@given(records=_RECORDS, kind=st.sampled_from(list(Kind)))
def test_a_column_is_converted_as_its_values_one_by_one(records, kind):
    for name, column in batch_columns(records).items():
        if column.kind is not None and widened(kind, column.kind) is not None:
            continue  # the writer widens the table column first: such a pair never meets
        expected = [coerce(record.get(name), kind) for record in records]
        assert coerce_column(column, kind) == expected
