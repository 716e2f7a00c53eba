"""NexsetStore: lineage, exact round trips, schema drift, crash safety, export, sample and names."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from trunkline.core.errors import ConfigError
from trunkline.readers.files import read_records
from trunkline.store.nexsets import LINEAGE_COLUMNS, NexsetStore, SchemaChanges, TypeChange

Records = list[dict[str, Any]]


def call(i: int) -> dict[str, Any]:
    """A call record with nested values, nulls, non-ASCII text and a column mixing integers and floats."""
    return {
        "id": i,
        "agent": {"id": f"a{i % 3}", "name": "Zoë Ørsted", "skills": ["sales", {"level": i % 4}]},
        "tags": ["inbound", i] if i % 2 else [],
        "duration": 12.5 if i % 2 else 30,
        "answered": i % 3 == 0,
        "note": None if i % 2 else "ok",
        "started_at": f"2026-01-01T10:{i % 60:02d}:00Z",
    }


def part_files(home: Path, name: str) -> list[Path]:
    return sorted((home / "nexsets" / name / "parts").iterdir())


def test_appends_across_runs_with_lineage(tmp_path: Path) -> None:
    store = NexsetStore(tmp_path, part_rows=2)
    before = datetime.now(UTC)
    first = store.append("calls", [call(i) for i in range(5)], run_id="run-1", source="sources/calls.yaml")
    second = store.append("calls", (call(i) for i in range(5, 8)), run_id="run-2", source="sources/calls.yaml")
    after = datetime.now(UTC)

    assert (first.records, first.parts, first.created, first.schema_version) == (5, 3, True, 1)
    assert (second.records, second.parts, second.created) == (3, 2, False)
    rows = list(store.read("calls", lineage=True))
    assert [row["id"] for row in rows] == list(range(8))
    assert [row["_run_id"] for row in rows] == ["run-1"] * 5 + ["run-2"] * 3
    assert {row["_source"] for row in rows} == {"sources/calls.yaml"}
    fetched = [row["_fetched_at"] for row in rows]
    assert all(text.endswith("Z") for text in fetched)
    moments = [datetime.fromisoformat(text) for text in fetched]
    assert moments == sorted(moments)
    assert before.replace(microsecond=0) <= moments[0] and moments[-1] <= after
    assert list(rows[0])[-3:] == list(LINEAGE_COLUMNS)

    assert list(store.read("calls", run_id="run-2")) == [call(i) for i in range(5, 8)]
    assert list(store.read("calls", run_id="no-such-run")) == []
    assert len(list(store.read("calls", limit=4))) == 4

    info = store.info("calls")
    assert (info.name, info.records, info.parts, info.runs, info.schema_version) == ("calls", 8, 5, 2, 1)
    assert info.first_write is not None and info.last_write is not None and info.first_write <= info.last_write
    assert info.bytes == sum(path.stat().st_size for path in part_files(tmp_path, "calls"))
    assert store.list() == [info]
    assert first.bytes + second.bytes == info.bytes


def test_records_read_back_exactly(tmp_path: Path) -> None:
    records = [call(i) for i in range(6)] + [
        {"id": 2**70, "agent": '{"looks": "like json"}', "tags": {}, "duration": -0.0, "answered": 1,
         "note": "", "started_at": None, "emoji": "☎️ 📞"},
        {"id": -(2**63), "agent": None, "tags": [None, [], {}], "duration": 1e308, "answered": True,
         "note": "line\nbreak", "started_at": "2026-02-30", "emoji": None},
    ]
    store = NexsetStore(tmp_path, part_rows=4)
    store.append("mixed", records, run_id="r", source="s")
    back = list(store.read("mixed"))
    # absent within a part reads as None; every record here carries the same fields except "emoji"
    expected = [dict(record) for record in records]
    for record in expected[:4]:
        assert "emoji" not in record
    assert back[:4] == expected[:4]
    assert back[4:6] == [{**record, "emoji": None} for record in expected[4:6]]
    assert back[6:] == expected[6:]
    assert type(back[6]["answered"]) is int and type(back[7]["answered"]) is bool
    assert isinstance(back[6]["agent"], str)


def test_fields_differ_across_parts(tmp_path: Path) -> None:
    store = NexsetStore(tmp_path)
    store.append("leads", [{"a": 1, "b": "x"}], run_id="r1", source="s")
    store.append("leads", [{"a": 2, "c": [1, {"d": None}]}], run_id="r2", source="s")
    store.append("leads", [{"a": 3}, {"e": True}], run_id="r3", source="s")
    assert list(store.read("leads")) == [
        {"a": 1, "b": "x"},
        {"a": 2, "c": [1, {"d": None}]},
        {"a": 3, "e": None},
        {"a": None, "e": True},
    ]


def test_schema_drift_is_reported_and_versioned(tmp_path: Path) -> None:
    store = NexsetStore(tmp_path)
    first = store.append("tickets", [{"id": 1, "status": "open", "score": 3, "seen": None}] * 2,
                         run_id="r1", source="s")
    assert first.schema_changes == SchemaChanges() and not first.schema_changes
    assert str(first.schema_changes) == "no schema change"

    drift = store.append("tickets", [{"id": "T-2", "status": "closed", "channel": "sms", "seen": 7}],
                         run_id="r2", source="s")
    changes = drift.schema_changes
    assert changes.added == ("channel",)
    assert changes.changed == (TypeChange("id", "integer", "string", "string"),
                               TypeChange("seen", "null", "integer", "integer"))
    assert changes.missing == ("score",)
    assert bool(changes) and drift.schema_version == 2
    assert str(changes) == ("new field(s): channel; type changed: id integer → string, seen null → integer; "
                            "missing this run: score")

    same = store.append("tickets", [{"id": "T-3", "status": "open", "channel": "web", "score": 1, "seen": 1}],
                        run_id="r3", source="s")
    assert not same.schema_changes and same.schema_version == 2

    natural = store.append("tickets", [{"id": "T-4", "status": "2026-01-01", "channel": "web", "score": 2.5,
                                        "seen": None}], run_id="r4", source="s")
    assert natural.schema_changes.changed == (TypeChange("score", "integer", "number", "number"),)
    assert natural.schema_version == 3

    held = store.append("tickets", [{"id": 5, "status": "open", "channel": "web", "score": 1.0, "seen": 1}],
                        run_id="r5", source="s")
    assert str(held.schema_changes) == "type changed: id stays string (this run brought integer values)"

    kept = store.schema("tickets")
    assert [(f.name, f.type, f.nullable) for f in kept.fields] == [
        ("id", "string", False), ("status", "string", False), ("score", "number", True),
        ("seen", "integer", True), ("channel", "string", True),
    ]
    assert [(v.version, v.run_id) for v in kept.versions] == [(1, "r1"), (2, "r2"), (3, "r4")]
    assert kept.versions[1].changes == changes
    assert [f.name for f in kept.versions[0].fields] == ["id", "status", "score", "seen"]
    on_disk = json.loads((tmp_path / "nexsets" / "tickets" / "schema.json").read_text())
    assert [v["run_id"] for v in on_disk["versions"]] == ["r1", "r2", "r4"]
    assert on_disk["versions"][1]["changes"]["missing"] == ["score"]


CRASHING_WRITER = """
import os, signal, sys, threading, time
from pathlib import Path
from trunkline.store.nexsets import NexsetStore

home = Path(sys.argv[1])
parts = home / "nexsets" / "calls" / "parts"

def complete_parts():
    return sum(name.endswith(".parquet") for name in os.listdir(parts))

def kill_while_a_later_part_is_written(before):
    while True:
        names = os.listdir(parts)
        if sum(n.endswith(".parquet") for n in names) > before and any(n.endswith(".tmp") for n in names):
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.0002)

threading.Thread(target=kill_while_a_later_part_is_written, args=(complete_parts(),), daemon=True).start()
records = ({"id": i, "text": "x" * 300, "nested": {"i": [i]}} for i in range(60_000))
NexsetStore(home, part_rows=20_000).append("calls", records, run_id="killed", source="crash")
print("finished without being killed")
"""


def test_a_writer_killed_mid_part_leaves_no_visible_half_part(tmp_path: Path) -> None:
    store = NexsetStore(tmp_path)
    store.append("calls", [{"id": -1, "text": "before", "nested": {"i": []}}], run_id="earlier", source="s")
    done = subprocess.run([sys.executable, "-c", CRASHING_WRITER, str(tmp_path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    leftovers = [path for path in part_files(tmp_path, "calls") if path.name.endswith(".tmp")]
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".")  # killed mid-write: only the hidden file

    info = store.info("calls")
    committed = info.records - 1  # the part(s) completed before the kill: normally one, more on a busy machine
    assert committed in (20_000, 40_000) and (info.parts, info.runs) == (1 + committed // 20_000, 2)
    assert [record["id"] for record in store.read("calls")] == [-1, *range(committed)]

    store.append("calls", [{"id": 1}], run_id="later", source="s")  # a fresh leftover may be a live writer's
    assert leftovers[0].exists()
    os.utime(leftovers[0], (time.time() - 3600, time.time() - 3600))
    store.append("calls", [{"id": 2}], run_id="latest", source="s")  # an old one is swept
    assert not leftovers[0].exists()
    assert store.info("calls").records == committed + 3


def test_parts_written_before_a_failing_stream_stay_and_join_the_schema(tmp_path: Path) -> None:
    def failing() -> Iterator[dict[str, Any]]:
        for i in range(5):
            yield {"id": i, "late": i} if i >= 2 else {"id": i}
        raise RuntimeError("the source broke")

    store = NexsetStore(tmp_path, part_rows=2)
    with pytest.raises(RuntimeError, match="the source broke"):
        store.append("calls", failing(), run_id="r1", source="s")
    assert [record["id"] for record in store.read("calls")] == [0, 1, 2, 3]
    assert [field.name for field in store.schema("calls").fields] == ["id", "late"]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_export_round_trips(tmp_path: Path, suffix: str) -> None:
    records = [call(i) for i in range(7)]
    store = NexsetStore(tmp_path, part_rows=3)
    store.append("calls", records, run_id="r1", source="s")
    store.append("calls", [{"id": 99, "extra": {"k": "v"}}], run_id="r2", source="s")
    output = tmp_path / "out" / f"calls{suffix}"

    result = store.export("calls", output)
    assert (result.nexset, result.output, result.records) == ("calls", output, 8)
    back = list(read_records(output))
    expected = [*records, {"id": 99, "extra": {"k": "v"}}]
    columns = list(dict.fromkeys(key for record in expected for key in record))
    if suffix == ".jsonl":
        assert back == expected
    elif suffix == ".csv":
        assert back == [{column: _csv_text(record.get(column)) for column in columns} for record in expected]
    else:
        decoded = [{key: json.loads(value) if key in {"agent", "tags", "extra"} and value is not None
                    else value for key, value in row.items()} for row in back]
        assert decoded == [{column: record.get(column) for column in columns} for record in expected]

    only_second = store.export("calls", output, run_id="r2", lineage=True)
    assert only_second.records == 1
    (row,) = read_records(output)
    assert (row["_run_id"], row["_source"]) == ("r2", "s")


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def test_export_to_an_unknown_format_is_a_clear_error(tmp_path: Path) -> None:
    store = NexsetStore(tmp_path)
    store.append("calls", [{"id": 1}], run_id="r", source="s")
    with pytest.raises(ConfigError, match="unknown file format"):
        store.export("calls", tmp_path / "calls.xlsx")
    assert not (tmp_path / "calls.xlsx").exists()


def test_sample_gives_the_newest_records(tmp_path: Path) -> None:
    store = NexsetStore(tmp_path, part_rows=10)
    store.append("calls", [call(i) for i in range(25)], run_id="r", source="s")
    assert store.sample("calls", 12) == [call(i) for i in range(13, 25)]
    assert store.sample("calls", 3) == [call(i) for i in range(22, 25)]
    assert len(store.sample("calls", 100)) == 25
    assert store.sample("calls", 1, lineage=True)[0]["_run_id"] == "r"


def test_an_empty_run_creates_an_empty_nexset(tmp_path: Path) -> None:
    store = NexsetStore(tmp_path)
    result = store.append("quiet", [], run_id="r", source="s")
    assert (result.records, result.parts, result.created, result.schema_version) == (0, 0, True, 0)
    assert not result.schema_changes
    info = store.info("quiet")
    assert (info.records, info.parts, info.runs, info.first_write) == (0, 0, 0, None)
    assert list(store.read("quiet")) == [] and store.sample("quiet") == []
    assert store.schema("quiet").fields == []


def test_lineage_names_are_reserved(tmp_path: Path) -> None:
    store = NexsetStore(tmp_path)
    with pytest.raises(ConfigError, match="'_run_id'.*lineage"):
        store.append("calls", [{"id": 1, "_run_id": "mine"}], run_id="r", source="s")
    assert list(store.read("calls")) == []


def test_unknown_and_bad_names(tmp_path: Path) -> None:
    store = NexsetStore(tmp_path)
    with pytest.raises(ConfigError, match="no nexset named 'calls'.*no nexset exists yet"):
        store.info("calls")
    for name in ("agents", "calls_2026", "call-records"):
        store.append(name, [{"id": 1}], run_id="r", source="s")
    with pytest.raises(ConfigError, match="no nexset named 'cals'.*use one of: agents, call-records, calls_2026"):
        store.read("cals")  # raised at the call, not at the first record
    for bad in ("", "../calls", "a b", "-x", ".hidden", "a/b", "x" * 101, "calls.v2"):
        with pytest.raises(ConfigError, match="nexset.name"):
            store.append(bad, [{"id": 1}], run_id="r", source="s")
        with pytest.raises(ConfigError, match="nexset.name"):
            store.schema(bad)
    assert store.names() == ["agents", "call-records", "calls_2026"]
    with pytest.raises(ConfigError, match="run_id"):
        store.append("agents", [{"id": 1}], run_id="", source="s")


def test_delete(tmp_path: Path) -> None:
    store = NexsetStore(tmp_path)
    store.append("calls", [{"id": 1}], run_id="r", source="s")
    store.append("agents", [{"id": 1}], run_id="r", source="s")
    store.delete("calls")
    assert store.names() == ["agents"]
    assert sorted(path.name for path in (tmp_path / "nexsets").iterdir()) == ["agents"]
    with pytest.raises(ConfigError, match="use one of: agents"):
        store.delete("calls")


def test_parts_are_plain_parquet_with_lineage(tmp_path: Path) -> None:
    store = NexsetStore(tmp_path)
    store.append("calls", [call(1), call(2)], run_id="r1", source="src")
    (part,) = part_files(tmp_path, "calls")
    assert part.suffix == ".parquet"
    table = pq.read_table(part)
    assert table.column_names == [*call(1), *LINEAGE_COLUMNS]
    assert json.loads(table.column("agent")[0].as_py()) == call(1)["agent"]
    assert table.column("_run_id").to_pylist() == ["r1", "r1"]
