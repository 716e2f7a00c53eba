"""Write pages on a worker thread while the source fetches the next ones.

A source run alternates waiting for the service and handling a page; writing a page would otherwise
add its time to every wait. Here the output's work runs on one worker thread, in page order, with at
most ``depth`` pages waiting, so memory stays bounded by a few pages. File writers do their work on
that thread; a table's writer is a process of its own (:mod:`trunkline.flows.table_process`), which the
thread feeds, so a full pipe makes the thread wait, not the event loop. Pipe writes and the network
wait release the GIL, which is what lets the two overlap. An error on the worker reaches the run at
its next page or at ``close``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, Protocol, TypeVar

DEFAULT_DEPTH = 2
Page = TypeVar("Page", contravariant=True)


class PageWriter(Protocol[Page]):
    """What the background runs: takes pages (of records, or as fetched), then finishes or gives up."""

    def write_page(self, page: Page) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


class BackgroundOutput(Generic[Page]):
    """A :class:`PageWriter` driven from async code, its work on a worker thread of its own."""

    def __init__(self, output: PageWriter[Page], *, depth: int = DEFAULT_DEPTH) -> None:
        self._output = output
        self._depth = depth
        self._pending: deque[Future[None]] = deque()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trunkline-output")

    async def write_page(self, page: Page) -> None:
        """Queue a page; waits while ``depth`` pages are already waiting (raises a worker's error)."""
        while len(self._pending) >= self._depth:
            await asyncio.wrap_future(self._pending.popleft())
        self._pending.append(self._worker.submit(self._output.write_page, page))

    async def close(self) -> None:
        """Write every queued page, then finish the output (after a failure, :meth:`abort` still works)."""
        while self._pending:
            await asyncio.wrap_future(self._pending.popleft())
        await self._run(self._output.close)
        self._worker.shutdown(wait=False)

    async def abort(self) -> None:
        """Drop the queued pages and undo the output (no partial file, the table as it was)."""
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        try:
            await self._run(self._output.abort)
        finally:
            self._worker.shutdown(wait=False)

    async def _run(self, work: Callable[[], None]) -> None:
        await asyncio.wrap_future(self._worker.submit(work))
