"""The ``code`` grouping algorithm: a user's Python function turns a batch of records into a body.

The function runs in a separate Python process started in isolated mode with an empty environment
and the function file's folder as working directory: it sees the records it is given and nothing of
trunkline's process (no credentials, no tokens, no environment variables), and it has a time limit
per batch. Batches go over a pipe as
JSON lines; whatever the function prints goes to stderr, not into the protocol.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

from trunkline.core.errors import ConfigError

_RUNNER = r"""
import json, runpy, sys
protocol = sys.stdout
sys.stdout = sys.stderr
try:
    function = runpy.run_path(sys.argv[1]).get(sys.argv[2])
except Exception as error:
    protocol.write(json.dumps({"error": f"cannot load: {type(error).__name__}: {error}"}) + "\n")
    protocol.flush()
    raise SystemExit(0)
if not callable(function):
    protocol.write(json.dumps({"error": f"defines no function {sys.argv[2]}"}) + "\n")
    protocol.flush()
    raise SystemExit(0)
protocol.write(json.dumps({"ready": True}) + "\n")
protocol.flush()
for line in sys.stdin:
    try:
        answer = {"body": function(json.loads(line))}
        text = json.dumps(answer)
    except Exception as error:
        text = json.dumps({"error": f"{type(error).__name__}: {error}"})
    protocol.write(text + "\n")
    protocol.flush()
"""


class CodeGroupingError(Exception):
    """The user's function failed for one batch; the message says how."""


class CodeGrouper:
    """A running worker process for one grouping function. Close it (or use ``with``) when done.

    Each batch must be grouped within ``timeout`` seconds; a function that takes longer is stopped
    (its process killed and restarted for the next batch) and the batch fails with that reason.
    """

    def __init__(self, file: Path, function: str, timeout: float = 10.0) -> None:
        if not file.is_file():
            raise ConfigError("destination.batch.group.file", "is not a file", value=str(file),
                              fix="name a Python file that defines the grouping function")
        self.file, self.function, self.timeout = file, function, timeout
        self._process = self._start()

    def _start(self) -> subprocess.Popen[str]:
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-c", _RUNNER, str(self.file.resolve()), self.function],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, text=True, env={}, cwd=self.file.parent,
        )
        first = self._read(max(self.timeout, 30.0))
        if "error" in first:
            self.close()
            raise ConfigError("destination.batch.group", f"{self.file.name}: {first['error']}", value=self.function,
                              fix=f"define def {self.function}(records): return the request body")
        return self._process

    def group(self, records: list[Any]) -> Any:
        """The body the function makes of ``records``; raises CodeGroupingError if it fails or is too slow."""
        if self._process.poll() is not None:
            self._process = self._start()
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(records, default=str) + "\n")
        self._process.stdin.flush()
        answer = self._read(self.timeout)
        if "error" in answer:
            raise CodeGroupingError(f"the grouping function failed: {answer['error']}")
        return answer["body"]

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], timeout)
        if not ready:
            self._process.kill()
            self._process.wait()
            raise CodeGroupingError(f"the grouping function took longer than {timeout:g}s and was stopped")
        line = self._process.stdout.readline()
        if not line:
            raise CodeGroupingError("the grouping function's process ended unexpectedly")
        return json.loads(line)

    def close(self) -> None:
        """Stop the worker process."""
        if self._process.stdin:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
        if self._process.stdout:
            self._process.stdout.close()

    def __enter__(self) -> CodeGrouper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
