"""Benchmark: trunkline's table writing against DuckDB's own JSON reader, same page bodies.

What ``trunkline source run --output X.duckdb`` does with 98,000 call records, without HTTP: parse
each page body (1,000 records) as the source engine does and write the records into a DuckDB table
(``TableOutput``, as the run's output thread does). Against it, DuckDB reading the same bodies from
files with ``read_json`` and unnesting ``items`` into a table, on one thread, as floors for any
design that hands DuckDB the bodies:

- with the types DuckDB detects itself;
- told the column types trunkline's writer chose, for every key of the body (told ``items`` alone,
  DuckDB takes a path about six times slower); it detects nothing, but it also converts what it must
  not: ``"123"`` into a BIGINT column, ``1.5`` rounded to 2, ``1`` as ``true``;
- checked: every value read as JSON text, its JSON type checked against the column's kind, the
  timestamps against an ISO-8601 pattern, each record's keys against the columns, then cast: what
  trunkline's column rules would need at least (the pattern is simpler than trunkline's test).

And, for the parsing alone, orjson (what trunkline uses) against Arrow's JSON reader, which parses
into columns without Python objects. CPU seconds of this process, median of ``--repeat`` runs each,
interleaved, with Python's garbage collector set as a run sets it.

    python benchmarks/writer_vs_duckdb_json.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

PAGE = 1_000


def write_pages(folder: Path) -> list[bytes]:
    """The large dataset's calls as page bodies (``{"items": [...], "pagination": ...}``), also saved as files."""
    from trunkline.emulators.babelforce.data import build_dataset

    calls = build_dataset(size="large").calls
    pages = [json.dumps({"items": calls[start:start + PAGE], "pagination": {"pages": len(calls) // PAGE + 1}}).encode()
             for start in range(0, len(calls), PAGE)]
    for number, body in enumerate(pages):
        (folder / f"page{number:04d}.json").write_bytes(body)
    return pages


def trunkline_writer(pages: list[bytes], database: Path) -> None:
    """What a source run does with the bodies: the engine's parsing, then the table output's writing."""
    from trunkline.rest.extract import page_records, parse_body
    from trunkline.sinks.outputs import TableOutput, table_config
    from trunkline.sinks.tables import open_table_writer

    output = TableOutput(open_table_writer(table_config(database, "calls")))
    for body in pages:
        output.write_page(page_records(parse_body(body, "application/json", "auto"), "$.items[*]", None))
    output.close()


def duckdb_reader(folder: Path, database: Path) -> None:
    """DuckDB's JSON reader over the same bodies, one thread, its own type detection."""
    import duckdb

    with duckdb.connect(str(database)) as connection:
        connection.execute("SET threads = 1")
        connection.execute(f"CREATE TABLE calls AS SELECT unnest(items, max_depth := 2) FROM "
                           f"read_json('{folder}/page*.json', maximum_object_size = 100000000)")


def column_types(database: Path) -> list[tuple[str, str]]:
    """The columns trunkline's writer made, with their DuckDB types."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        return [(name, kind) for name, kind, *_ in connection.execute("DESCRIBE calls").fetchall()]


def duckdb_typed_reader(folder: Path, columns: list[tuple[str, str]], database: Path, *, every_key: bool) -> None:
    """DuckDB's JSON reader told trunkline's column types, one thread: it detects nothing. Told the
    type of ``items`` alone unless ``every_key``."""
    import duckdb

    fields = ", ".join(f'"{name}" {kind}' for name, kind in columns)
    pagination = ", 'pagination': 'STRUCT(pages BIGINT)'" if every_key else ""
    with duckdb.connect(str(database)) as connection:
        connection.execute("SET threads = 1")
        connection.execute(f"CREATE TABLE calls ({fields})")
        connection.execute(f"INSERT INTO calls SELECT unnest(items, max_depth := 2) FROM "
                           f"read_json('{folder}/page*.json', columns = {{'items': 'STRUCT({fields})[]'{pagination}}}, "
                           f"maximum_object_size = 100000000)")


ISO_8601 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$"
JSON_TYPES = {"VARCHAR": "'VARCHAR'", "TIMESTAMP WITH TIME ZONE": "'VARCHAR'", "BIGINT": "'BIGINT', 'UBIGINT'",
              "DOUBLE": "'DOUBLE', 'BIGINT', 'UBIGINT'", "BOOLEAN": "'BOOLEAN'", "JSON": "'OBJECT', 'ARRAY'"}
"""The JSON types (DuckDB's ``json_type``) a column of each type takes without widening."""


def duckdb_checked_reader(folder: Path, columns: list[tuple[str, str]], database: Path) -> None:
    """DuckDB's JSON reader with the checks trunkline's column rules need, one thread."""
    import duckdb

    as_json = ", ".join(f'"{name}" JSON' for name, _ in columns)
    source = (f"read_json('{folder}/page*.json', columns = {{'items': 'STRUCT({as_json})[]', "
              f"'pagination': 'STRUCT(pages BIGINT)'}}, maximum_object_size = 100000000)")
    names = "[" + ", ".join(f"'{name}'" for name, _ in columns) + "]"
    checks = [f"bool_and(\"{name}\" IS NULL OR json_type(\"{name}\") IN ({JSON_TYPES[kind]}))"
              for name, kind in columns]
    checks += [f"bool_and(\"{name}\" IS NULL OR regexp_matches(\"{name}\" ->> '$', '{ISO_8601}'))"
               for name, kind in columns if kind.startswith("TIMESTAMP")]
    checks.append(f"bool_and(list_has_all({names}, keys))")
    casts = [f'"{name}"' if kind == "JSON" else f"(\"{name}\" ->> '$')::{kind}" for name, kind in columns]
    with duckdb.connect(str(database)) as connection:
        connection.execute("SET threads = 1")
        connection.execute("CREATE TABLE calls (" + ", ".join(f'"{name}" {kind}' for name, kind in columns) + ")")
        connection.execute(f"CREATE TEMP TABLE page AS SELECT unnest(items, max_depth := 2), "
                           f"json_keys(unnest(items)::JSON) AS keys FROM {source}")
        if not all(connection.execute(f"SELECT {', '.join(checks)} FROM page").fetchone()):
            raise SystemExit("the checks failed: these bodies need trunkline's widening rules")
        connection.execute(f"INSERT INTO calls SELECT {', '.join(casts)} FROM page")


def parse_with_orjson(pages: list[bytes]) -> None:
    """Every body into Python objects, as both of trunkline's processes parse them."""
    import orjson

    for body in pages:
        orjson.loads(body)


def parse_with_arrow(pages: list[bytes]) -> None:
    """Every body into Arrow columns with Arrow's JSON reader, one thread."""
    import pyarrow.compute as compute
    import pyarrow.json as arrow_json

    options = arrow_json.ReadOptions(use_threads=False, block_size=1 << 23)
    for body in pages:
        compute.list_flatten(arrow_json.read_json(io.BytesIO(body), read_options=options).column("items"))


def cpu_seconds(work: Callable[[], None]) -> float:
    """CPU time of this process spent in ``work``."""
    started = time.process_time()
    work()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    import duckdb  # noqa: F401 - imports are not part of the time
    import orjson  # noqa: F401
    import pyarrow.json  # noqa: F401

    import trunkline.rest.extract  # noqa: F401
    import trunkline.sinks.duckdb_sink  # noqa: F401
    from trunkline.core.collector import collector_set_for_runs

    with tempfile.TemporaryDirectory() as name, collector_set_for_runs():  # as a run sets it
        folder = Path(name)
        pages = write_pages(folder)
        records = sum(len(json.loads(body)["items"]) for body in pages)
        trunkline_writer(pages, folder / "types.duckdb")
        columns = column_types(folder / "types.duckdb")
        works: dict[str, Callable[[int], Callable[[], None]]] = {
            "trunkline (parse, column rules, DuckDB insert)":
                lambda run: partial(trunkline_writer, pages, folder / f"t{run}.duckdb"),
            "DuckDB read_json + unnest into a table, its own type detection":
                lambda run: partial(duckdb_reader, folder, folder / f"d{run}.duckdb"),
            "DuckDB read_json + unnest into a table, told trunkline's column types (every key)":
                lambda run: partial(duckdb_typed_reader, folder, columns, folder / f"c{run}.duckdb", every_key=True),
            "the same, told the type of `items` alone":
                lambda run: partial(duckdb_typed_reader, folder, columns, folder / f"i{run}.duckdb", every_key=False),
            "DuckDB read_json, every value checked as trunkline's rules need, then cast":
                lambda run: partial(duckdb_checked_reader, folder, columns, folder / f"k{run}.duckdb"),
            "parsing alone: orjson into Python objects": lambda run: partial(parse_with_orjson, pages),
            "parsing alone: Arrow's JSON reader into columns": lambda run: partial(parse_with_arrow, pages),
        }
        timings: dict[str, list[float]] = {label: [] for label in works}
        for run in range(arguments.repeat):
            for label, work in works.items():
                timings[label].append(cpu_seconds(work(run)))
    writer = statistics.median(timings[next(iter(works))])
    print(f"{records:,} records in {len(pages)} page bodies, one thread, median of {arguments.repeat}:")
    print("| work | CPU time | against the writer |\n| --- | --- | --- |")
    for label, seconds in timings.items():
        median = statistics.median(seconds)
        print(f"| {label} | {median:.2f} s | {median / writer:.2f}× |")


if __name__ == "__main__":
    main()
