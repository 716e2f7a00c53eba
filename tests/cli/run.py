"""Run the real ``trunkline`` console script in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class CliResult:
    """What the command printed and how it exited."""

    code: int
    stdout: str
    stderr: str


def run_cli(
    *args: str,
    expect_exit: int = 0,
    env: dict[str, str] | None = None,
    columns: int = 120,
    input_text: str | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
) -> CliResult:
    """Run ``trunkline ARGS``; assert the exit code; return the output."""
    environment = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1", **(env or {})}
    completed = subprocess.run(
        [sys.executable, "-m", "trunkline", *args],
        capture_output=True,
        text=True,
        env=environment,
        input=input_text,
        cwd=cwd,
        timeout=timeout,
    )
    result = CliResult(completed.returncode, completed.stdout, completed.stderr)
    assert completed.returncode == expect_exit, f"exit {completed.returncode}\n{completed.stdout}\n{completed.stderr}"
    assert "nanobind: leaked" not in completed.stderr, f"a library's report at exit:\n{completed.stderr}"
    return result
