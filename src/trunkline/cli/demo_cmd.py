"""``trunkline demo``: the command and its options; the work is in :mod:`trunkline.cli.demo_run`,
imported only when the demo runs so that every other command starts faster."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from trunkline.cli.state import state_of


def demo(
    ctx: typer.Context,
    workdir: Annotated[Path | None, typer.Option(help="Keep the demo's source files and outputs here.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the emulator's data.")] = 0,
) -> None:
    """Run Babelforce sources and two flows (calls → DuckDB, CRM leads → dialer) against the built-in emulator."""
    from trunkline.cli.demo_run import run_demo

    home = state_of(ctx).home or Path(tempfile.mkdtemp(prefix="trunkline-demo-home-"))
    folder = workdir or Path(tempfile.mkdtemp(prefix="trunkline-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    run_demo(home, folder, seed)
