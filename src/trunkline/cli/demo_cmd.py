"""``trunkline demo``: the command and its options; the work is in :mod:`trunkline.cli.demo_run`,
imported only when the demo runs so that every other command starts faster."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

DEMO_HOME = ".trunkline-home"
"""The folder of the demo folder that holds the demo's state (credentials, runs, nexsets)."""


def demo(
    workdir: Annotated[Path | None, typer.Option(help="Keep the demo's source files and outputs here.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the emulator's data.")] = 0,
) -> None:
    """Run Babelforce sources and two flows (calls → DuckDB, CRM leads → dialer) against the built-in emulator."""
    from trunkline.cli.demo_run import run_demo

    folder = workdir or Path(tempfile.mkdtemp(prefix="trunkline-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    run_demo(_fresh_home(folder), folder, seed)


def _fresh_home(folder: Path) -> Path:
    """The demo's own state folder, emptied: each run talks to a new emulator, so the flows' high-water
    marks and ledger of an earlier run mean nothing to it (and the user's own home is never touched)."""
    home = folder / DEMO_HOME
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    return home
