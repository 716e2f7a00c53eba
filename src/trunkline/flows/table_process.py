"""Write a source run into a table from a process of its own, fed the page bodies as the service sent them.

Writing a table costs Python work for every value (column types, conversions), and fetching costs
Python work for every page (parsing, extraction). In one process the GIL lets only one of them run
at a time, however the work is spread over threads. Here the table writer runs in a worker process,
so fetching and writing each have a core:

- the worker is a plain subprocess of the same Python running :func:`worker_main`, with two pipes of
  its own, not a :mod:`multiprocessing` process: its ``spawn`` would import the caller's main script
  again (a script calling :func:`trunkline.api.run_source` at its top level would run twice) and
  its ``fork`` would copy the parent's threads; the worker's standard output and error are the parent's;
- the run sends each page's body bytes and how many of its records it keeps (a ``limit`` may cut the
  last page); the worker parses the body and extracts the records with the very functions the source
  engine used (:class:`PageReader`), so it writes exactly the records the run counted, at no cost of
  encoding them again in the parent;
- the pipe is the queue: a send waits while the worker is busy (the caller sends from a thread of
  its own, :class:`trunkline.flows.background_output.BackgroundOutput`), so memory holds a few pages;
- inside the worker, the table is written on a thread of its own: the database's share of each batch
  (DuckDB's insert and compression, PostgreSQL's round trips) releases the GIL, so the worker reads and
  parses the next few pages meanwhile;
- the worker's first error is reported at the run's next page or at ``close`` as a
  :class:`~trunkline.sinks.table_writer.SinkError` with the worker's message; the worker rolls back
  and waits for the run to end;
- ``abort``, the run's end by any error, and the parent's death (the worker reads end-of-file) all
  roll the table back: nothing is left half-written. The worker ignores Ctrl-C, which reaches the whole
  process group: the parent decides.
"""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import traceback
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trunkline.core.collector import YOUNG_THRESHOLD
from trunkline.core.errors import TrunklineError
from trunkline.core.sink_config import SinkConfig
from trunkline.flows.background_output import ThreadedOutput
from trunkline.rest.extract import ResponseFormat, page_records, parse_body
from trunkline.sinks.table_writer import SinkError

if TYPE_CHECKING:
    from trunkline.rest.source import SourcePage

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
"""The folder this copy of trunkline is imported from: the worker imports the very same one."""
_WORKER_CODE = ("import sys; sys.path.insert(0, sys.argv[1]); "
                "from trunkline.flows.table_process import worker_main; worker_main()")
_JOIN_SECONDS = 30.0
_PAGES_AHEAD = 4
"""Pages the worker reads and parses ahead of the one being written (measured: 4 gave a run of 98,000
records 7 % less time than writing in step, for 14 MiB more at its peak)."""


@dataclass(frozen=True)
class PageReader:
    """How the records of a page are read from its body: what the source engine does, repeated in the worker."""

    response_format: ResponseFormat
    path_to_data: str | None
    path_to_metadata: str | None

    def records(self, content: bytes, content_type: str | None) -> list[dict[str, Any]]:
        """The records of one page body."""
        return page_records(parse_body(content, content_type, self.response_format), self.path_to_data,
                            self.path_to_metadata)


class TableProcess:
    """A table (a DuckDB or PostgreSQL destination, see :func:`trunkline.sinks.outputs.table_config`) written
    by a worker process. Its methods block; call them from one thread, in order."""

    def __init__(self, config: SinkConfig, reader: PageReader) -> None:
        worker_input, to_worker = os.pipe()  # not inherited, except as handed over by pass_fds
        from_worker, worker_output = os.pipe()
        try:  # -P: the current folder is not searched first (a json.py there must not replace the real one)
            self._process = subprocess.Popen(
                [sys.executable, "-P", "-c", _WORKER_CODE, _PACKAGE_ROOT, str(worker_input), str(worker_output)],
                pass_fds=(worker_input, worker_output), stdin=subprocess.DEVNULL,
            )
        except OSError as error:
            for descriptor in (worker_input, to_worker, from_worker, worker_output):
                os.close(descriptor)
            raise SinkError(f"cannot start the table writer process ({sys.executable}): {error}",
                            fix="run trunkline with a Python that can start itself, or write to a file") from None
        os.close(worker_input)
        os.close(worker_output)
        self._to_worker = Connection(to_worker, readable=False)
        self._from_worker = Connection(from_worker, writable=False)
        self._ended = False
        self._send(("open", config, reader))

    def write_page(self, page: SourcePage) -> None:
        """Send one page (raises the worker's error, if it has failed)."""
        if self._from_worker.poll():
            self._raise(self._answer())
        self._send(("page", page.content, page.content_type, len(page.records)))

    def close(self) -> None:
        """Have the worker write what is left and commit; wait for it."""
        self._send(("close",))
        answer = self._answer()
        self._end()
        if answer != ("closed",):
            self._raise(answer)

    def _answer(self) -> Any:
        """The worker's next message; ``None`` if it has ended without one."""
        try:
            return self._from_worker.recv()
        except EOFError:
            return None

    def abort(self) -> None:
        """Have the worker roll the table back; wait for it (stop it, if it does not end)."""
        if self._ended:
            return
        with suppress(OSError):  # the worker may have ended already
            self._to_worker.send(("abort",))
        self._end()

    def _send(self, message: tuple[Any, ...]) -> None:
        try:
            self._to_worker.send(message)
        except OSError:
            self._end()
            raise self._stopped() from None

    def _end(self) -> None:
        self._ended = True
        self._to_worker.close()
        try:
            self._process.wait(_JOIN_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._from_worker.close()

    def _raise(self, answer: Any) -> None:
        if not (isinstance(answer, tuple) and answer and answer[0] == "failed"):
            self._end()  # the worker has gone: collect its exit code
            raise self._stopped()
        _, message, details = answer
        error = SinkError(message)
        if details:
            error.add_note(details)
        raise error

    def _stopped(self) -> SinkError:
        return SinkError(f"the table writer process ended unexpectedly (exit code {self._process.poll()})",
                         fix="see the messages above; the run's rows were rolled back unless the writer "
                             "had committed them")


def serve(requests: Connection, answers: Connection) -> None:
    """The worker: open the table, write the pages it receives, commit on ``close``, roll back on
    ``abort`` or when the parent is gone. Answers ``("closed",)`` or one ``("failed", message, details)``."""
    from trunkline.sinks.outputs import TableOutput
    from trunkline.sinks.tables import open_table_writer

    target: ThreadedOutput[list[dict[str, Any]]] | None = None
    reader: PageReader | None = None
    while True:
        try:
            message = requests.recv()
        except EOFError:  # the parent is gone
            message = ("abort",)
        kind = message[0]
        try:
            if kind == "open":
                _, config, reader = message
                target = ThreadedOutput(TableOutput(open_table_writer(config)), depth=_PAGES_AHEAD)
                gc.freeze()  # what the worker holds now, the database driver's modules first, is never garbage
            elif kind == "page" and target is not None and reader is not None:
                _, content, content_type, count = message
                target.write_page(reader.records(content, content_type)[:count])
            elif kind == "close":
                if target is not None:
                    target.close()
                    answers.send(("closed",))
                return
            elif kind == "abort":
                if target is not None:
                    target.abort()
                return
        except BaseException as error:  # noqa: BLE001 - every failure goes to the parent, once
            if target is not None:
                target.abort()
            target = None
            with suppress(OSError):  # the parent may be gone: it has nobody to tell
                answers.send(_failure(error))


def _failure(error: BaseException) -> tuple[str, str, str | None]:
    """What the parent raises for ``error``: a trunkline error's own message, or a bug's type and
    message with the worker's traceback as a note."""
    if isinstance(error, TrunklineError):
        return "failed", str(error), None
    return ("failed", f"the table writer failed: {type(error).__name__}: {error}",
            "".join(traceback.format_exception(error)))


def worker_main() -> None:
    """The worker process's entry: ``python -c _WORKER_CODE PACKAGE_ROOT REQUESTS_FD ANSWERS_FD``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.set_threshold(YOUNG_THRESHOLD)  # see trunkline.core.collector: the records are acyclic
    try:
        serve(Connection(int(sys.argv[2]), writable=False), Connection(int(sys.argv[3]), readable=False))
    finally:
        # Frozen objects are never freed at exit, and DuckDB's bindings (nanobind, duckdb 2) report
        # every one of theirs still alive then as a leak, some 50 lines on the user's terminal.
        gc.unfreeze()
