"""``trunkline demo``: the built-in Babelforce emulator, a few real sources, and what they fetched.

The demo writes its source files into a work directory (a temporary one unless ``--workdir`` is
given) so a newcomer can read the YAML it ran, then runs each against the emulator over real HTTP.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from trunkline.cli.source_cmd import _run_with_progress, print_summary
from trunkline.cli.state import console, state_of
from trunkline.connectors.resolve import load_source
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import start_in_thread
from trunkline.readers.files import read_records

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


def demo(
    ctx: typer.Context,
    workdir: Annotated[Path | None, typer.Option(help="Keep the demo's source files and outputs here.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the emulator's data.")] = 0,
) -> None:
    """Run a few Babelforce sources against the built-in emulator and show what they fetched."""
    home = state_of(ctx).home or Path(tempfile.mkdtemp(prefix="trunkline-demo-home-"))
    folder = workdir or Path(tempfile.mkdtemp(prefix="trunkline-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
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
            summary = _run_with_progress(resolved, output, home, None)
            print_summary(summary)
            _print_head(output, DEMO_COLUMNS[name])
    console.print(
        "\nNext: read the YAML in the folder above, then try "
        "[bold]trunkline templates --service babelforce[/bold] or run "
        "[bold]trunkline emulator babelforce --port 8080[/bold] and point a source at it."
    )


def _print_head(path: Path, columns: list[str], rows: int = 5) -> None:
    table = Table(*columns, title=f"first {rows} of {path.name}", title_justify="left")
    for index, record in enumerate(read_records(path)):
        if index >= rows:
            break
        table.add_row(*(str(record.get(column, "")) for column in columns))
    console.print(table)
