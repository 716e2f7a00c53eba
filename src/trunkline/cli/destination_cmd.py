"""``trunkline destination show|preview|test|run``: inspect and deliver records to one destination file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.syntax import Syntax

from trunkline.cli.state import console, err_console, print_json, run_async, show_progress, state_of
from trunkline.connectors.resolve_destination import ResolvedDestination, effective_destination, load_destination
from trunkline.core.errors import ConfigError
from trunkline.flows.destination_jobs import (
    DeliverySummary,
    Exchange,
    check_output_file,
    deliver_records,
    preview_destination,
    send_test_records,
)
from trunkline.readers.files import read_records
from trunkline.rest.destination import RecordOutcome

app = typer.Typer(help="Show, preview, test and run destinations (YAML files).", no_args_is_help=True)

DestinationFile = Annotated[Path, typer.Argument(help="The destination's YAML file.", show_default=False)]
InputFile = Annotated[Path, typer.Option("--input", "-i", help="Records to send: .jsonl, .csv, .parquet or .json.",
                                         show_default=False)]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _load(ctx: typer.Context, destination: Path) -> ResolvedDestination:
    return load_destination(destination, home=state_of(ctx).home)


@app.command("show")
def show(ctx: typer.Context, destination: DestinationFile, as_json: JsonFlag = False) -> None:
    """Print the effective manual configuration of a destination (template expanded, secrets masked)."""
    shown = effective_destination(_load(ctx, destination))
    if as_json:
        print_json(shown)
    else:
        console.print(yaml.safe_dump(shown, sort_keys=False, allow_unicode=True).rstrip(), markup=False,
                      highlight=False)


@app.command("preview")
def preview(
    ctx: typer.Context, destination: DestinationFile, input_file: InputFile,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many input records to render.")] = 5,
    as_json: JsonFlag = False,
) -> None:
    """Print the exact requests the first records would be sent as (the Sample Payload panel); sends nothing."""
    resolved = _load(ctx, destination)
    requests, invalid = run_async(preview_destination(resolved, read_records(input_file), limit=limit))
    note = _UPSERT_NOTE if resolved.config.mode == "upsert" else None
    if as_json:
        print_json({"requests": requests, "not_sent": [_outcome(outcome) for outcome in invalid],
                    **({"note": note} if note else {})})
        return
    for number, request in enumerate(requests, start=1):
        _print_request(number, request)
    _print_not_sent(invalid)
    if note:
        console.print(f"note: {note}", highlight=False)


_UPSERT_NOTE = ("mode upsert: a record already in the service (a lead whose uid is already in the list) is sent as "
                "an update of it instead of the create shown; the preview does not ask the service which")


@app.command("test")
def test(
    ctx: typer.Context, destination: DestinationFile, input_file: InputFile,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many input records to send.")] = 1,
    as_json: JsonFlag = False,
) -> None:
    """Send the first records for real and show each response beside its request (Send Test Data).

    Exits 1 when a tested record was not delivered; an input without records is refused (exit 2)."""
    resolved = _load(ctx, destination)
    records = _not_empty(input_file)
    exchanges = run_async(send_test_records(resolved, records, limit=limit))
    if as_json:
        print_json([_exchange(exchange) for exchange in exchanges])
    else:
        _print_exchanges(exchanges)
    _exit_unless_delivered(exchanges)


def _not_empty(input_file: Path) -> Iterator[dict[str, Any]]:
    """The records of ``input_file``; a :class:`ConfigError` when it holds none."""
    records = read_records(input_file)
    first = next(records, None)
    if first is None:
        raise ConfigError("--input", "has no records", value=str(input_file),
                          fix="give a file with at least one record to send")
    return chain([first], records)


def _print_exchanges(exchanges: list[Exchange]) -> None:
    for number, exchange in enumerate(exchanges, start=1):
        if exchange.request:
            _print_request(number, exchange.request)
            status = exchange.status if exchange.status is not None else "no answer"
            console.print(f"[bold]response {number}[/bold]: {status}", highlight=False)
            if exchange.response_body is not None:
                console.print(Syntax(json.dumps(exchange.response_body, indent=2, default=str), "json",
                                     word_wrap=True))
        for outcome in exchange.outcomes:
            console.print(f"  row {outcome.row}: [bold]{outcome.status}[/bold]" +
                          (f" — {outcome.reason}" if outcome.reason else ""), highlight=False)


def _exit_unless_delivered(exchanges: list[Exchange]) -> None:
    """Exit 1, naming them, when any tested record was not delivered."""
    outcomes = [outcome for exchange in exchanges for outcome in exchange.outcomes]
    missed = [outcome for outcome in outcomes if outcome.status != "delivered"]
    if missed:
        rows = ", ".join(f"row {outcome.row} {outcome.status}" for outcome in missed)
        err_console.print(f"[yellow]not delivered[/yellow]: {len(missed)} of {len(outcomes)} tested records "
                          f"({rows})", highlight=False)
        raise typer.Exit(1)


@app.command("run")
def run(
    ctx: typer.Context, destination: DestinationFile, input_file: InputFile,
    rejects: Annotated[Path | None, typer.Option(
        "--rejects", help="Where records that were not delivered go, with their reasons "
        "[default: <destination>.rejected.jsonl beside the destination file].", show_default=False)] = None,
    responses: Annotated[Path | None, typer.Option(
        "--responses", help="Where captured responses go when capture_responses is set "
        "[default: <capture name>.jsonl beside the destination file].", show_default=False)] = None,
    as_json: JsonFlag = False,
) -> None:
    """Send every input record, with progress and a summary (delivered, failed, invalid, review, held, stopped).

    The output files are checked before anything is sent. When an error stops the run, the records not
    delivered by then are written to the rejects file and counted, then the error is reported (exit 1)."""
    resolved = _load(ctx, destination)
    base = destination.parent
    rejects = rejects or base / f"{resolved.name}.rejected.jsonl"
    if resolved.config.capture_responses and responses is None:
        responses = base / f"{resolved.config.capture_responses}.jsonl"
    _check_outputs(input_file, rejects, responses)
    summary = _run_with_progress(resolved, input_file, rejects, responses)
    if as_json:
        print_json(summary.as_dict())
    else:
        _print_summary(summary)
    if summary.stopped_by is not None:
        raise summary.stopped_by
    if summary.records and summary.outcomes["delivered"] < summary.records:
        raise typer.Exit(1)


def _check_outputs(input_file: Path, rejects: Path, responses: Path | None) -> None:
    """Refuse, before anything is sent, output files that cannot be written or would overwrite another."""
    outputs = {"--rejects": rejects, **({"--responses": responses} if responses is not None else {})}
    for option, path in outputs.items():
        check_output_file(path, option)
        if _same_file(path, input_file):
            raise ConfigError(option, "is the input file: it would be overwritten while it is read",
                              value=str(path), fix=f"write {option} to another file")
    if responses is not None and _same_file(rejects, responses):
        raise ConfigError("--responses", "is the rejects file too", value=str(responses),
                          fix="give --rejects and --responses different files")


def _same_file(one: Path, other: Path) -> bool:
    """Whether two paths name the same file (symbolic links and ``..`` resolved)."""
    return one.resolve() == other.resolve()


def _run_with_progress(resolved: ResolvedDestination, input_file: Path, rejects: Path, responses: Path | None
                       ) -> DeliverySummary:
    records = read_records(input_file)
    if not show_progress():
        return run_async(deliver_records(resolved, records, rejects=rejects, responses=responses))
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"),
                  TextColumn("{task.fields[records]:,} records · {task.fields[delivered]:,} delivered · "
                             "{task.fields[problems]:,} not delivered · {task.fields[requests]:,} requests"),
                  TimeElapsedColumn(), console=err_console, transient=True) as progress:
        task = progress.add_task(resolved.name, records=0, delivered=0, problems=0, requests=0)

        def update(summary: DeliverySummary) -> None:
            delivered = summary.outcomes["delivered"]
            progress.update(task, records=summary.records, delivered=delivered,
                            problems=summary.records - delivered, requests=summary.requests)

        return run_async(deliver_records(resolved, records, rejects=rejects, responses=responses,
                                         on_progress=update))


def _print_summary(summary: DeliverySummary) -> None:
    counts = summary.outcomes
    colour = "green" if counts["delivered"] == summary.records else "yellow"
    word = "done"
    stopped = ""
    if summary.stopped_by is not None:
        colour, word = "red", "stopped"
        stopped = f", {summary.stopped:,} stopped before delivery"
    console.print(
        f"[{colour}]{word}[/{colour}] {summary.destination}: {summary.records:,} records — "
        f"{counts['delivered']:,} delivered, {counts['failed']:,} failed, {counts['invalid']:,} invalid, "
        f"{counts['review']:,} to review, {counts['held']:,} held{stopped}; {summary.requests:,} requests "
        f"({summary.retries} retried), {summary.seconds:.2f}s", highlight=False)
    if summary.rejects:
        console.print(f"not delivered, with reasons: {summary.rejects}", highlight=False)
    if summary.responses:
        console.print(f"responses captured: {summary.responses}", highlight=False)


def _print_request(number: int, request: dict[str, Any]) -> None:
    console.print(f"[bold]request {number}[/bold] (rows {', '.join(map(str, request['rows']))}): "
                  f"{request['method']} {request['url']}", highlight=False)
    for name, value in request["headers"].items():
        console.print(f"  {name}: {value}", highlight=False, markup=False)
    body = request["body"]
    text = body if isinstance(body, str) else json.dumps(body, indent=2, ensure_ascii=False, default=str)
    console.print(Syntax(text, "json", word_wrap=True))


def _print_not_sent(outcomes: list[RecordOutcome]) -> None:
    for outcome in outcomes:
        console.print(f"[yellow]not sent[/yellow] row {outcome.row}: {outcome.reason}", highlight=False)


def _outcome(outcome: RecordOutcome) -> dict[str, Any]:
    return {"row": outcome.row, "status": outcome.status, "reason": outcome.reason,
            "http_status": outcome.http_status}


def _exchange(exchange: Exchange) -> dict[str, Any]:
    return {"request": exchange.request, "status": exchange.status, "response_headers": exchange.response_headers,
            "response_body": exchange.response_body, "error": exchange.error,
            "outcomes": [_outcome(outcome) for outcome in exchange.outcomes]}
