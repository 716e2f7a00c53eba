"""open_writer: JSONL, CSV and Parquet round trips, type tracking, and the temp-file-then-rename rule."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trunkline.core.errors import ConfigError
from trunkline.sinks.files import open_writer

Records = list[dict[str, Any]]

COUNT = 25_000
LATE_FROM = 20_000
COLUMNS = ["id", "agent", "duration", "answered", "ref", "tags", "caller", "started_at", "note", "late"]
START = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def make_record(i: int) -> dict[str, Any]:
    """A record with nested values, mixed types, nulls, non-ASCII text and a column that appears late."""
    record: dict[str, Any] = {
        "id": i,
        "agent": f"Zoë-{i % 7}",
        "duration": i if i % 2 else i + 0.25,  # int and float mixed -> float
        "answered": i % 3 == 0,
        "ref": i if i % 5 else f"ref-{i}",  # int and string mixed -> string
        "tags": ["inbound", i % 4],
        "caller": {"number": f"+4930{i:07d}", "meta": {"vip": i % 11 == 0}},
        "started_at": START + timedelta(seconds=i),
        "note": None if i % 2 else "ok",
    }
    if i >= LATE_FROM:
        record["late"] = i * 10
    return record


@pytest.fixture(scope="module")
def records() -> Records:
    return [make_record(i) for i in range(COUNT)]


@pytest.fixture(scope="module")
def expected(records: Records) -> Records:
    """The records as they read back from JSON: datetimes become ISO strings."""
    return [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()} for r in records]


def write_all(path: Path, records: Records) -> int:
    with open_writer(path) as writer:
        for record in records:
            writer.write(record)
    return writer.count


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_jsonl_round_trip(tmp_path: Path, records: Records, expected: Records) -> None:
    target = tmp_path / "calls.jsonl"
    assert write_all(target, records) == COUNT
    lines = target.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == expected
    assert "Zoë" in lines[0]  # not \u-escaped
    assert leftovers(tmp_path) == []


def test_csv_round_trip(tmp_path: Path, records: Records, expected: Records) -> None:
    target = tmp_path / "out" / "calls.csv"
    assert write_all(target, records) == COUNT
    with open(target, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert reader.fieldnames == COLUMNS
    scalars = ["id", "agent", "duration", "answered", "ref", "started_at", "note", "late"]
    assert [[row[c] for c in scalars] for row in rows] == [
        [str(r["id"]), r["agent"], str(r["duration"]), "true" if r["answered"] else "false", str(r["ref"]),
         r["started_at"], r["note"] or "", str(r["late"]) if "late" in r else ""]
        for r in expected
    ]
    assert [(json.loads(row["tags"]), json.loads(row["caller"])) for row in rows] == [
        (r["tags"], r["caller"]) for r in expected
    ]
    assert leftovers(target.parent) == []


def test_parquet_round_trip(tmp_path: Path, records: Records, expected: Records) -> None:
    target = tmp_path / "calls.parquet"
    assert write_all(target, records) == COUNT
    parquet = pq.ParquetFile(target)
    assert parquet.metadata.num_row_groups == 3
    schema = parquet.schema_arrow
    assert schema.names == COLUMNS
    assert schema.field("id").type == pa.int64()
    assert schema.field("duration").type == pa.float64()
    assert schema.field("answered").type == pa.bool_()
    assert schema.field("late").type == pa.int64()
    for name in ("agent", "ref", "tags", "caller", "started_at", "note"):
        assert schema.field(name).type == pa.string(), name
    columns = parquet.read().to_pydict()
    assert columns["id"] == [r["id"] for r in expected]
    assert columns["agent"] == [r["agent"] for r in expected]
    assert columns["duration"] == [float(r["duration"]) for r in expected]
    assert columns["answered"] == [r["answered"] for r in expected]
    assert columns["ref"] == [str(r["ref"]) for r in expected]
    assert [json.loads(v) for v in columns["tags"]] == [r["tags"] for r in expected]
    assert [json.loads(v) for v in columns["caller"]] == [r["caller"] for r in expected]
    assert columns["started_at"] == [r["started_at"] for r in expected]
    assert columns["note"] == [r["note"] for r in expected]
    assert columns["late"] == [r.get("late") for r in expected]
    assert leftovers(tmp_path) == []


def test_parquet_type_mixes(tmp_path: Path) -> None:
    records = [
        {"int_bool": 1, "float_bool": 1.5, "nulls": None, "big": 1, "dict_str": {"a": 1}},
        {"int_bool": True, "float_bool": False, "nulls": None, "big": 2**70, "dict_str": "plain"},
    ]
    with open_writer(tmp_path / "mix.parquet") as writer:
        for record in records:
            writer.write(record)
    table = pq.read_table(tmp_path / "mix.parquet")
    assert all(field.type == pa.string() for field in table.schema)
    assert table.to_pylist() == [
        {"int_bool": "1", "float_bool": "1.5", "nulls": None, "big": "1", "dict_str": '{"a":1}'},
        {"int_bool": "true", "float_bool": "false", "nulls": None, "big": str(2**70), "dict_str": "plain"},
    ]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_target_appears_only_at_close(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"calls{suffix}"
    target.write_text("previous run")
    writer = open_writer(target)
    writer.write({"id": 1})
    assert target.read_text() == "previous run"
    assert leftovers(tmp_path)  # the work happens in hidden files beside the target
    writer.close()
    writer.close()  # closing twice is harmless
    assert target.read_bytes() != b"previous run"
    assert writer.count == 1
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_interrupted_write_leaves_no_file(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"calls{suffix}"
    with pytest.raises(RuntimeError), open_writer(target) as writer:
        writer.write({"id": 1})
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_zero_records(tmp_path: Path) -> None:
    for name in ("empty.jsonl", "empty.csv"):
        with open_writer(tmp_path / name):
            pass
        assert (tmp_path / name).read_bytes() == b""
    with open_writer(tmp_path / "empty.parquet"):
        pass
    table = pq.read_table(tmp_path / "empty.parquet")
    assert table.num_rows == 0
    assert table.num_columns == 0


def test_format_argument_and_ndjson(tmp_path: Path) -> None:
    with open_writer(tmp_path / "out.data", "csv") as writer:
        writer.write({"a": 1})
    assert (tmp_path / "out.data").read_text().splitlines() == ["a", "1"]
    with open_writer(tmp_path / "out.ndjson") as writer:
        writer.write({"a": 1})
    assert (tmp_path / "out.ndjson").read_text() == '{"a":1}\n'


def test_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"output:.*use \.jsonl, \.csv or \.parquet"):
        open_writer(tmp_path / "calls.xlsx")
    assert list(tmp_path.iterdir()) == []
