"""read_records: JSONL, JSON, CSV and Parquet, and errors that name the file, the line and the fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trunkline.core.errors import ConfigError
from trunkline.readers.files import read_records

RECORDS: list[dict[str, Any]] = [
    {"id": 1, "agent": "Zoë", "tags": ["a"], "meta": {"vip": True}},
    {"id": 2, "agent": "Li", "tags": [], "meta": None},
]


def test_jsonl_and_ndjson(tmp_path: Path) -> None:
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in RECORDS) + "\n\n"
    for name in ("calls.jsonl", "calls.ndjson"):
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert list(read_records(tmp_path / name)) == RECORDS


def test_jsonl_is_streamed(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    path.write_text('{"id": 1}\nnot json\n', encoding="utf-8")
    records = read_records(path)
    assert next(records) == {"id": 1}  # the bad line is only reached later


def test_bad_jsonl_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    path.write_text('{"id": 1}\n\n{"id": 2,}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        list(read_records(path))
    message = str(caught.value)
    assert f"{path}:3" in message
    assert "Fix:" in message and "JSON Lines" in message


def test_jsonl_line_must_be_an_object(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    path.write_text("[1, 2]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"calls\.jsonl:1: holds a JSON array, not an object"):
        list(read_records(path))


def test_json_array_and_wrapped_array(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps(RECORDS), encoding="utf-8")
    assert list(read_records(tmp_path / "a.json")) == RECORDS
    (tmp_path / "b.json").write_text(json.dumps({"total": 2, "data": RECORDS}), encoding="utf-8")
    assert list(read_records(tmp_path / "b.json")) == RECORDS


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"a": [], "b": []}, "several arrays"),
        ({"total": 2}, "no array of records"),
        ([{"id": 1}, 2], "item 1 of the array is a JSON number"),
    ],
)
def test_json_shapes_that_are_refused(tmp_path: Path, document: Any, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        list(read_records(path))


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[\n{"id": 1},\n{"id": }\n]', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.json:3: is not valid JSON"):
        list(read_records(path))


def test_csv_values_are_strings(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_bytes('\ufeffid,agent,note\r\n1,Zoë,"a, b"\r\n2,Li\r\n'.encode())
    assert list(read_records(path)) == [
        {"id": "1", "agent": "Zoë", "note": "a, b"},
        {"id": "2", "agent": "Li", "note": ""},
    ]


def test_csv_row_longer_than_header(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text("id,agent\n1,Zoë\n2,Li,extra\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"calls\.csv:3: has more values"):
        list(read_records(path))


def test_parquet_by_batches(tmp_path: Path) -> None:
    path = tmp_path / "calls.parquet"
    rows = [{"id": i, "agent": f"a{i}", "score": i / 2, "ok": i % 2 == 0} for i in range(25_000)]
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=7_000)
    assert list(read_records(path)) == rows


def test_parquet_that_is_not_parquet(tmp_path: Path) -> None:
    path = tmp_path / "calls.parquet"
    path.write_text("nope")
    with pytest.raises(ConfigError, match="cannot be read as Parquet"):
        list(read_records(path))


def test_explicit_format_overrides_suffix(tmp_path: Path) -> None:
    path = tmp_path / "calls.txt"
    path.write_text('{"id": 1}\n', encoding="utf-8")
    assert list(read_records(path, "jsonl")) == [{"id": 1}]


def test_missing_file_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "missing.jsonl"
    with pytest.raises(ConfigError, match="no such file") as caught:
        read_records(path)
    assert str(path) in str(caught.value)


def test_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "calls.xlsx"
    path.write_text("x")
    with pytest.raises(ConfigError, match="unknown file format"):
        read_records(path)


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(ConfigError, match="is not a file"):
        read_records(tmp_path / "dir.csv")
