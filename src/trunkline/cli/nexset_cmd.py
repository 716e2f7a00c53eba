"""``trunkline nexset list|show|sample|schema|export``: look into the datasets runs append to."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from trunkline.cli.state import console, print_json, state_of
from trunkline.core.schema import FieldSchema
from trunkline.store.home import resolve_home
from trunkline.store.nexsets import LINEAGE_COLUMNS, NexsetInfo, NexsetSchema, NexsetStore

app = typer.Typer(help="List, inspect, sample and export nexsets (the datasets source runs append to).",
                  no_args_is_help=True)

Name = Annotated[str, typer.Argument(help="The nexset's name.", show_default=False)]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
LineageFlag = Annotated[bool, typer.Option("--lineage", help="Include _run_id, _source and _fetched_at.")]


def _store(ctx: typer.Context) -> NexsetStore:
    return NexsetStore(resolve_home(state_of(ctx).home))


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Every nexset with its records, parts, runs, first and last write and size."""
    infos = _store(ctx).list()
    if as_json:
        print_json([info.as_dict() for info in infos])
        return
    if not infos:
        console.print("no nexsets yet (a flow run creates one)")
        return
    table = Table("name", "records", "parts", "runs", "first write", "last write", "size", "schema",
                  title="Nexsets", title_justify="left")
    for info in infos:
        table.add_row(info.name, f"{info.records:,}", f"{info.parts:,}", f"{info.runs:,}", _when(info.first_write),
                      _when(info.last_write), _size(info.bytes), f"v{info.schema_version}")
    console.print(table)


@app.command("show")
def show(ctx: typer.Context, name: Name, as_json: JsonFlag = False) -> None:
    """A nexset's figures and its current schema."""
    store = _store(ctx)
    info, schema = store.info(name), store.schema(name)
    if as_json:
        print_json({**info.as_dict(), "fields": schema.as_dict()["fields"]})
        return
    _print_info(info)
    console.print(_fields_table(schema.fields, f"Schema (version {schema.version})"))


@app.command("sample")
def sample(
    ctx: typer.Context,
    name: Name,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many of the newest records.")] = 10,
    lineage: LineageFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """The most recently written records of a nexset."""
    records = _store(ctx).sample(name, limit, lineage=lineage)
    if as_json:
        print_json(records)
        return
    if not records:
        console.print(f"{name} holds no records yet")
        return
    keys = dict.fromkeys(key for record in records for key in record)
    columns = [key for key in keys if key not in LINEAGE_COLUMNS] + [key for key in LINEAGE_COLUMNS if key in keys]
    table = Table(*columns, title=f"{name}: the {len(records)} newest record(s)", title_justify="left")
    for record in records:
        table.add_row(*(Text(_cell(record[column]) if column in record else "") for column in columns))
    console.print(table)


@app.command("schema")
def schema(
    ctx: typer.Context,
    name: Name,
    history: Annotated[bool, typer.Option("--history", help="Also list every version and what changed.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """A nexset's current schema (field, type, nullable, example) and, with --history, its versions."""
    kept = _store(ctx).schema(name)
    if as_json:
        data = kept.as_dict()
        if not history:
            del data["versions"]
        print_json(data)
        return
    console.print(_fields_table(kept.fields, f"{name}: schema version {kept.version}"))
    if history:
        console.print(_history_table(kept))


@app.command("export")
def export(
    ctx: typer.Context,
    name: Name,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write: .jsonl, .csv or .parquet.")],
    run: Annotated[str | None, typer.Option("--run", help="Only the records of this run id.")] = None,
    lineage: LineageFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Write a nexset's records to a file; the file appears only once complete."""
    result = _store(ctx).export(name, output, run_id=run, lineage=lineage)
    if as_json:
        print_json(result.as_dict())
    else:
        console.print(f"[green]exported[/green] {result.records:,} record(s) of {name} → {result.output}")


def _print_info(info: NexsetInfo) -> None:
    table = Table.grid(padding=(0, 2))
    for label, value in (("nexset", info.name), ("path", str(info.path)), ("records", f"{info.records:,}"),
                         ("parts", f"{info.parts:,}"), ("runs", f"{info.runs:,}"),
                         ("first write", _when(info.first_write)), ("last write", _when(info.last_write)),
                         ("size", _size(info.bytes))):
        table.add_row(Text(label, style="bold"), Text(value))
    console.print(table)


def _fields_table(fields: list[FieldSchema], title: str) -> Table:
    table = Table("field", "type", "nullable", "records", "example", title=title, title_justify="left")
    for field in fields:
        table.add_row(Text(field.name), field.type, "yes" if field.nullable else "no", f"{field.count:,}",
                      Text(_cell(field.example)))
    return table


def _history_table(kept: NexsetSchema) -> Table:
    table = Table("version", "run", "at", "new fields", "type changes", "missing", title="History",
                  title_justify="left")
    for version in kept.versions:
        changes = version.changes
        table.add_row(f"v{version.version}", Text(version.run_id), _when(version.at), Text(", ".join(changes.added)),
                      Text(", ".join(str(change) for change in changes.changed)), Text(", ".join(changes.missing)))
    return table


def _cell(value: Any, width: int = 40) -> str:
    """A value as a short table cell: nested values as compact JSON, long text cut."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else ""


def _size(count: int) -> str:
    if count < 1024:
        return f"{count:,} B"
    size = count / 1024
    for unit in ("KiB", "MiB"):
        if size < 1024:
            return f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} GiB"
