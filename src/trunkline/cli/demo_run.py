"""What ``trunkline demo`` does: the built-in Babelforce emulator, a few real sources and two real flows.

The demo writes its source and flow files into a work directory (a temporary one unless ``--workdir``
is given) so a newcomer can read the YAML it ran, then runs each against the emulator over real HTTP:
three sources, then call records of the last day into DuckDB (incremental) and a CSV of CRM leads
upserted into an outbound list.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import yaml
from rich.table import Table

from trunkline.api import read_source
from trunkline.cli.demo_flows import write_demo_flows
from trunkline.cli.source_cmd import print_summary, run_with_progress
from trunkline.cli.state import console, run_async
from trunkline.connectors.resolve import load_source
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import start_in_thread
from trunkline.flows.runner import load_flow, run_flow
from trunkline.readers.files import read_records
from trunkline.store.metadata import open_store
from trunkline.store.nexsets import NexsetStore

DEMO_PASSWORD_VARIABLE = "TRUNKLINE_DEMO_BF_PASSWORD"


def demo_sources(base_url: str, username: str) -> dict[str, dict[str, Any]]:
    """The demo's source files: name → YAML content. The password comes from the environment."""
    credential = {"service": "babelforce", "base_url": base_url, "username": username,
                  "password": f"${{{DEMO_PASSWORD_VARIABLE}}}"}
    return {
        "agents": {"credential": credential, "template": "list_agents"},
        "call-records": {"credential": credential, "template": "list_call_records",
                         "params": {"start_date": "{now-1}", "end_date": "{now}"}},
        "outbound-lists": {"credential": credential, "template": "list_outbound_lists"},
        "leads": {"credential": credential, "template": "get_outbound_leads",
                  "params": {"list_id": "{lookup.id}"},
                  "lookup": {"source": "outbound-lists.yaml", "column": "id"}},
    }


DEMO_COLUMNS = {
    "agents": ["id", "name", "number", "state", "enabled"],
    "call-records": ["id", "dateCreated", "type", "state", "from", "to", "duration"],
    "leads": ["id", "listId", "uid", "number", "status", "rank"],
}


def run_demo(home: Path, folder: Path, seed: int) -> None:
    """Start the emulator, write the demo's files into ``folder``, run the sources and the flows."""
    app = create_app(seed=seed)
    credentials = app.state.credentials
    with start_in_thread(app) as emulator:
        console.print(f"[bold]Babelforce emulator[/bold] listening on {emulator.base_url}")
        os.environ[DEMO_PASSWORD_VARIABLE] = credentials.password
        for name, content in demo_sources(emulator.base_url, credentials.username).items():
            (folder / f"{name}.yaml").write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
        console.print(f"Source files written to {folder}\n")
        for name in ("agents", "call-records", "leads"):
            source_file = folder / f"{name}.yaml"
            console.rule(f"[bold]{name}[/bold]  ({source_file.name})")
            resolved = load_source(source_file, home=home)
            output = folder / f"{name}.jsonl"
            summary = run_with_progress(resolved, output, home, None)
            print_summary(summary)
            _print_head(output, DEMO_COLUMNS[name])
        _run_demo_flows(folder, home, emulator.base_url, credentials, app.state.data.outbound_lists[0]["id"])
    console.print(
        "\nNext: read the YAML in the folder above, then try "
        "[bold]trunkline templates --service babelforce[/bold] or run "
        "[bold]trunkline emulator babelforce --port 8080[/bold] and point a source at it."
    )


def _run_demo_flows(folder: Path, home: Path, base_url: str, credentials: Any, list_id: str) -> None:
    """Run the two demo flows and show what they did: a query on DuckDB, then the dialer's list."""
    credential = {"service": "babelforce", "base_url": base_url, "username": credentials.username,
                  "password": f"${{{DEMO_PASSWORD_VARIABLE}}}"}
    flows = write_demo_flows(folder, credential, list_id)
    with open_store(home, url="") as store:
        nexsets = NexsetStore(home)
        for flow_file in flows:
            loaded = load_flow(flow_file)
            console.rule(f"[bold]flow {loaded.name}[/bold]  ({flow_file.name})")
            record = run_async(run_flow(loaded, store=store, nexsets=nexsets, home=home))
            steps = "; ".join(f"{label}: " + ", ".join(f"{value} {key}" for key, value in step.items() if value)
                              for label, step in record.counts.get("destinations", {}).items())
            console.print(f"[green]{record.status}[/green]: fetched {record.counts.get('fetched', 0)} records "
                          f"in {record.counts.get('windows') or 1} window(s) → {steps}", highlight=False)
    _print_calls_summary(folder / "warehouse.duckdb")
    _print_dialer_list(folder / "leads-to-dialer.yaml", home, base_url, credentials, list_id)


def _print_calls_summary(database: Path) -> None:
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            "SELECT type, state, count(*) AS calls, round(avg(duration), 1) AS avg_seconds "
            "FROM calls GROUP BY type, state ORDER BY calls DESC LIMIT 8").fetchall()
    table = Table("type", "state", "calls", "avg seconds", title=f"SELECT … FROM calls GROUP BY type, state "
                  f"({database.name})", title_justify="left")
    for row in rows:
        table.add_row(*(str(value) for value in row))
    console.print(table)


def _print_dialer_list(flow_file: Path, home: Path, base_url: str, credentials: Any, list_id: str) -> None:
    source = {"credential": {"service": "babelforce", "base_url": base_url, "username": credentials.username,
                             "password": credentials.password},
              "template": "get_outbound_leads", "params": {"list_id": list_id}}
    leads = [lead for lead in read_source(source, home=home) if str(lead.get("uid", "")).startswith("crm-7")]
    table = Table("uid", "number", "rank", "status", "data", title=f"the dialer's list {list_id[:8]}… "
                  f"now holds {len(leads)} CRM leads (upserted by {flow_file.name})", title_justify="left")
    for lead in sorted(leads, key=lambda lead: -int(lead.get("rank") or 0))[:5]:
        table.add_row(str(lead["uid"]), str(lead["number"]), str(lead["rank"]), str(lead.get("status")),
                      str(lead.get("data")))
    console.print(table)


def _print_head(path: Path, columns: list[str], rows: int = 5) -> None:
    table = Table(*columns, title=f"first {rows} of {path.name}", title_justify="left")
    for index, record in enumerate(read_records(path)):
        if index >= rows:
            break
        table.add_row(*(str(record.get(column, "")) for column in columns))
    console.print(table)
