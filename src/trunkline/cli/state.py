"""What the global options hand down to every command, and small helpers commands share."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console

T = TypeVar("T")

#: Human output goes to stdout; progress and warnings to stderr.
console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    """Global options."""

    home: Path | None = None
    debug: bool = False


def state_of(ctx: typer.Context) -> CliState:
    """The global options of this invocation."""
    root = ctx.find_root()
    return root.obj if isinstance(root.obj, CliState) else CliState()


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run an engine coroutine from a synchronous command."""
    return asyncio.run(coroutine)


def print_json(data: Any) -> None:
    """Machine-readable output for ``--json``: one JSON document on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def show_progress() -> bool:
    """Draw progress bars only for a person at a terminal."""
    return err_console.is_terminal
