"""``trunkline source show|test|run``: inspect, sample and run one source file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from trunkline.cli.state import console, err_console, print_json, run_async, show_progress, state_of
from trunkline.connectors.resolve import ResolvedSource, effective_config, load_source
from trunkline.flows.source_jobs import RunSummary, SampleResult, run_source_to_output, sample_source

app = typer.Typer(help="Show, test and run sources (YAML files).", no_args_is_help=True)

SourceFile = Annotated[Path, typer.Argument(help="The source's YAML file.", show_default=False)]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


@app.command("show")
def show(ctx: typer.Context, source: SourceFile, as_json: JsonFlag = False) -> None:
    """Print the effective manual configuration of a source (templates expanded, secrets masked)."""
    resolved = load_source(source, home=state_of(ctx).home)
    shown = effective_config(resolved)
    if as_json:
        print_json(shown)
    else:
        console.print(yaml.safe_dump(shown, sort_keys=False, allow_unicode=True).rstrip(), markup=False,
                      highlight=False)


@app.command("test")
def test(
    ctx: typer.Context,
    source: SourceFile,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many records to fetch.")] = 10,
    as_json: JsonFlag = False,
) -> None:
    """Fetch a sample: the records, the detected schema and path suggestions (the Test button)."""
    home = state_of(ctx).home
    resolved = load_source(source, home=home)
    result = run_async(sample_source(resolved, limit=limit, home=home))
    if as_json:
        print_json(_sample_as_dict(result))
        return
    _print_sample(result)


def _sample_as_dict(result: SampleResult) -> dict:
    return {
        "url": result.first_url,
        "records": result.records,
        "schema": [{"field": f.name, "type": f.type, "example": f.example, "nullable": f.nullable}
                   for f in result.schema],
        "suggestions": [{"path": s.path, "kind": s.kind, "score": round(s.score, 3), "detail": s.detail}
                        for s in result.suggestions],
        "summary": result.summary.as_dict(),
    }


def _print_sample(result: SampleResult) -> None:
    console.print(f"[bold]Sample[/bold] from {result.first_url} — {len(result.records)} record(s)")
    table = Table("field", "type", "example", title="Detected schema", title_justify="left")
    for field in result.schema:
        table.add_row(field.name, field.type, _short(field.example))
    console.print(table)
    for number, record in enumerate(result.records[:3], start=1):
        console.print(f"[dim]record {number}:[/dim]", record)
    if result.suggestions:
        suggestions = Table("kind", "path", "why", title="Path suggestions", title_justify="left")
        for suggestion in result.suggestions:
            suggestions.add_row(suggestion.kind, suggestion.path, suggestion.detail)
        console.print(suggestions)


def _short(value: object, width: int = 60) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


@app.command("run")
def run(
    ctx: typer.Context,
    source: SourceFile,
    output: Annotated[str, typer.Option("--output", "-o", help=(
        "Where to write: a .jsonl, .csv or .parquet file, a .duckdb file or a postgresql:// URL (with --table)."))],
    table: Annotated[str | None, typer.Option("--table", help="The table to append to (created if missing).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Stop after this many records.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Fetch every page and write every record to a file or a table, streaming, with a summary at the end."""
    home = state_of(ctx).home
    resolved = load_source(source, home=home)
    summary = run_with_progress(resolved, output, home, limit, table=table)
    if as_json:
        print_json(summary.as_dict())
    else:
        print_summary(summary)


def run_with_progress(resolved: ResolvedSource, output: str | Path, home: Path | None, limit: int | None, *,
                      table: str | None = None) -> RunSummary:
    """Run the source into ``output`` with a progress bar on a terminal (see ``source run``)."""
    if not show_progress():
        return run_async(run_source_to_output(resolved, output, table=table, home=home, limit=limit))
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(bar_width=None),
                  TextColumn("{task.fields[records]:,} records · {task.fields[pages]} pages · {task.fields[rate]}/s"),
                  TimeElapsedColumn(), console=err_console, transient=True) as progress:
        task = progress.add_task(resolved.name, total=limit, records=0, pages=0, rate="0")

        def update(summary: RunSummary) -> None:
            progress.update(task, completed=summary.records, records=summary.records, pages=summary.pages,
                            rate=f"{summary.records_per_second:,.0f}")

        return run_async(run_source_to_output(resolved, output, table=table, home=home, limit=limit,
                                              on_progress=update))


def print_summary(summary: RunSummary) -> None:
    """The end-of-run line a person reads."""
    where = f" → {summary.output}" if summary.output else ""
    console.print(
        f"[green]done[/green] {summary.source}{where}: {summary.records:,} records, {summary.pages:,} pages, "
        f"{summary.requests:,} requests ({summary.retries} retried), {summary.lookups:,} lookups"
        f"{f' ({summary.lookups_skipped:,} lookup rows skipped)' if summary.lookups_skipped else ''}, "
        f"{summary.seconds:.2f}s ({summary.records_per_second:,.0f} records/s)"
    )
