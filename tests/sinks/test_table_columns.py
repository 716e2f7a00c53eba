"""Column kinds of the table destinations: the widening rule, value conversion, the config models."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from trunkline.core.errors import ConfigError
from trunkline.core.sink_config import DuckDBSinkConfig, PostgresSinkConfig, parse_sink_config
from trunkline.sinks.columns import Kind, as_text, batch_kinds, coerce, to_timestamp, widened


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
