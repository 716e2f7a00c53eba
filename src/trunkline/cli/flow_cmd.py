"""``trunkline flow run|activate|pause|status|runs``, ``trunkline deadletters list|replay`` and
``trunkline serve``: run flows, schedule them, and look after what they could not deliver."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from trunkline.cli.state import console, err_console, print_json, run_async, state_of
from trunkline.core.errors import ConfigError
from trunkline.flows.dead_letters import replay_dead_letters
from trunkline.flows.ledger_delivery import LedgerSummary
from trunkline.flows.runner import load_flow, run_flow
from trunkline.flows.scheduler import next_due, serve
from trunkline.store.home import resolve_home
from trunkline.store.metadata import MetadataStore, RunRecord, open_store
from trunkline.store.nexsets import NexsetStore

flow_app = typer.Typer(help="Run flows and manage their schedules and history.", no_args_is_help=True)
dead_app = typer.Typer(help="Records a flow could not deliver: list them, send them again.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
FlowName = Annotated[str, typer.Argument(help="The flow's name (as in its file).", show_default=False)]


def _stores(ctx: typer.Context) -> tuple[Path, MetadataStore, NexsetStore]:
    home = resolve_home(state_of(ctx).home)
    return home, open_store(home), NexsetStore(home)


def _known(store: MetadataStore, name: str) -> None:
    if store.get_flow(name) is None:
        known = ", ".join(flow.name for flow in store.list_flows()) or "(none yet: run or activate a flow file)"
        raise ConfigError("flow", f"no flow named {name!r} is known", fix=f"use one of: {known}")


@flow_app.command("run")
def run(ctx: typer.Context, flow_file: Annotated[Path, typer.Argument(help="The flow's YAML file.")],
        as_json: JsonFlag = False) -> None:
    """Run a flow once: fetch, transform, append to its nexset, deliver to every destination."""
    home, store, nexsets = _stores(ctx)
    with store:
        loaded = load_flow(flow_file)

        def progress(step: str, numbers: dict[str, Any]) -> None:
            if not as_json:
                err_console.print(f"[dim]{step}[/dim] " + ", ".join(f"{k} {v}" for k, v in numbers.items()),
                                  highlight=False)

        record = run_async(run_flow(loaded, store=store, nexsets=nexsets, home=home, on_progress=progress))
    if as_json:
        print_json(_run_dict(record))
    else:
        _print_runs([record], title=f"run of {loaded.name}")
    if record.error:
        raise typer.Exit(1)


@flow_app.command("activate")
def activate(ctx: typer.Context, flow: Annotated[str, typer.Argument(
        help="The flow's YAML file, or the name of a flow already run or activated.", show_default=False)]) -> None:
    """Let `trunkline serve` run a flow on its schedule (a file is registered first)."""
    _, store, _ = _stores(ctx)
    with store:
        if Path(flow).is_file():
            loaded = load_flow(Path(flow))
        else:
            _known(store, flow)
            loaded = load_flow(Path(store.get_flow(flow).path))
        if not loaded.config.schedule:
            raise ConfigError("flow.schedule", "is needed to activate a flow",
                              fix="add schedule: \"*/15 * * * *\" to the flow file, or run it with trunkline flow run")
        store.register_flow(loaded.name, str(loaded.path), loaded.config.schedule)  # the file's schedule, as it is now
        record = store.set_active(loaded.name, True)
        due = next_due(record, store)
    console.print(f"{record.name} is active ({record.schedule}); next run {due:%Y-%m-%d %H:%M:%S} UTC",
                  highlight=False)


@flow_app.command("pause")
def pause(ctx: typer.Context, name: FlowName) -> None:
    """Stop scheduling a flow (its state and history are kept)."""
    _, store, _ = _stores(ctx)
    with store:
        _known(store, name)
        store.set_active(name, False)
    console.print(f"{name} is paused", highlight=False)


@flow_app.command("status")
def status(ctx: typer.Context, name: Annotated[str | None, typer.Argument(help="One flow; all when left out.")]
           = None, as_json: JsonFlag = False) -> None:
    """Each flow: active or paused, schedule, next run, last run, and its delivery ledger by state."""
    _, store, _ = _stores(ctx)
    with store:
        if name is not None:
            _known(store, name)
        flows = [flow for flow in store.list_flows() if name in (None, flow.name)]
        rows = []
        for flow in flows:
            last = store.list_runs(flow.name, limit=1)
            due = next_due(flow, store)
            rows.append({"name": flow.name, "active": flow.active, "schedule": flow.schedule, "path": flow.path,
                         "next_run": due.isoformat() if due else None,
                         "last_run": _run_dict(last[0]) if last else None,
                         "ledger": store.ledger_counts(flow.name)})
    if as_json:
        print_json(rows)
        return
    table = Table("flow", "state", "schedule", "next run", "last run", "ledger")
    for row in rows:
        last = row["last_run"]
        ledger = "; ".join(f"{dest}: " + ", ".join(f"{count} {state}" for state, count in states.items())
                           for dest, states in row["ledger"].items())
        table.add_row(row["name"], "active" if row["active"] else "paused", row["schedule"] or "-",
                      row["next_run"] or "-", f"{last['status']} {last['started_at']}" if last else "never",
                      ledger or "-")
    console.print(table)


@flow_app.command("runs")
def runs(ctx: typer.Context, name: FlowName,
         limit: Annotated[int, typer.Option("--limit", min=1, help="How many runs, newest first.")] = 20,
         as_json: JsonFlag = False) -> None:
    """A flow's run history: start, end, status, counts per step, errors."""
    _, store, _ = _stores(ctx)
    with store:
        _known(store, name)
        records = store.list_runs(name, limit=limit)
    if as_json:
        print_json([_run_dict(record) for record in records])
    else:
        _print_runs(records, title=f"runs of {name}")


@dead_app.command("list")
def dead_list(ctx: typer.Context, name: FlowName,
              destination: Annotated[str | None, typer.Option(help="Only this destination.")] = None,
              as_json: JsonFlag = False) -> None:
    """The records a flow gave up on, with the reason and the service's answer."""
    _, store, _ = _stores(ctx)
    with store:
        _known(store, name)
        entries = store.ledger_list(name, destination=destination, status="dead")
    rows = [{"destination": e.destination, "key": e.record_key, "attempts": e.attempts, "http_status": e.http_status,
             "reason": e.reason, "response": e.response_excerpt, "record": e.record, "updated_at": e.updated_at}
            for e in entries]
    if as_json:
        print_json(rows)
        return
    table = Table("destination", "key", "attempts", "status", "reason")
    for row in rows:
        table.add_row(row["destination"], row["key"], str(row["attempts"]), str(row["http_status"] or "-"),
                      row["reason"] or "-")
    console.print(table)
    console.print(f"{len(rows)} dead letter(s)", highlight=False)


@dead_app.command("replay")
def dead_replay(ctx: typer.Context, name: FlowName,
                destination: Annotated[str | None, typer.Option(help="Only this destination.")] = None,
                as_json: JsonFlag = False) -> None:
    """Send a flow's dead letters again (with fresh attempts); those that fail again stay dead.

    Exits 1 when any replayed record was not delivered.
    """
    home, store, _ = _stores(ctx)
    with store:
        _known(store, name)
        results = run_async(replay_dead_letters(name, store=store, home=home, destination=destination))
    if as_json:
        print_json({label: summary.as_dict() for label, summary in results.items()})
    else:
        for label, summary in results.items():
            console.print(_replay_line(name, label, summary), highlight=False)
    if any(summary.dead or summary.failed for summary in results.values()):
        raise typer.Exit(1)


def _replay_line(flow: str, label: str, summary: LedgerSummary) -> str:
    """``dialer: 2 replayed — 1 delivered, 1 still dead`` (the parts add up to the number replayed)."""
    parts = [f"{summary.acknowledged} delivered", f"{summary.dead} still dead"]
    if summary.unchanged:
        parts.append(f"{summary.unchanged} delivered before")
    if summary.failed:
        parts.append(f"{summary.failed} failed")
    see = f" (reasons: trunkline deadletters list {flow})" if summary.dead else ""
    return f"{label}: {summary.records} replayed — {', '.join(parts)}{see}"


def serve_command(
    ctx: typer.Context,
    tick: Annotated[float, typer.Option(min=0, help="Seconds between checks for due flows.")] = 1.0,
    max_runs: Annotated[int | None, typer.Option("--max-runs", min=1, help="Stop after this many runs.")] = None,
) -> None:
    """Run active flows on their schedules until interrupted (Ctrl-C)."""
    home, store, nexsets = _stores(ctx)
    with store:
        console.print(f"scheduler: {sum(f.active for f in store.list_flows())} active flow(s); Ctrl-C stops",
                      highlight=False)
        serve(store, nexsets, home=home, tick=tick, max_runs=max_runs,
              on_run=lambda record: console.print(f"{record.flow}: {record.status} ({record.ended_at})",
                                                  highlight=False))


def _run_dict(record: RunRecord) -> dict[str, Any]:
    return {"id": record.id, "flow": record.flow, "status": record.status, "started_at": record.started_at,
            "ended_at": record.ended_at, "counts": record.counts, "error": record.error}


def _print_runs(records: list[RunRecord], *, title: str) -> None:
    table = Table("run", "status", "started", "ended", "fetched", "delivered by destination", "error",
                  title=title, title_justify="left")
    for record in records:
        steps = record.counts.get("destinations", {})
        delivered = "; ".join(f"{label}: " + ", ".join(f"{v} {k}" for k, v in step.items() if v)
                              for label, step in steps.items())
        table.add_row(record.id[:8], record.status, record.started_at, record.ended_at or "-",
                      str(record.counts.get("fetched", 0)), delivered or "-", record.error or "")
    console.print(table)
