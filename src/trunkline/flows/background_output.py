"""Write pages on a thread of their own while the next ones are fetched or parsed.

A source run alternates waiting for the service and handling a page; writing a page would otherwise
add its time to every wait. :class:`ThreadedOutput` runs an output's work on one thread, in page order,
with at most ``depth`` pages waiting, so memory stays bounded by a few pages; :class:`BackgroundOutput`
is the same for async code. File and table writers do their work on that thread. The network wait and
the database's own work (DuckDB's insert and compression, PostgreSQL's round trips) release the GIL,
which is what lets fetching and writing overlap (docs/decisions.md says why not a process of its own).
An error on the thread reaches the caller at its next page or at ``close``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, Protocol, TypeVar

DEFAULT_DEPTH = 2
Page = TypeVar("Page", contravariant=True)


class PageWriter(Protocol[Page]):
    """What the thread runs: takes pages (of records, or as fetched), then finishes or gives up."""

    def write_page(self, page: Page) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


class ThreadedOutput(Generic[Page]):
    """A :class:`PageWriter` whose work runs on a thread of its own. Call its methods from one thread."""

    def __init__(self, output: PageWriter[Page], *, depth: int = DEFAULT_DEPTH) -> None:
        self._output = output
        self._depth = depth
        self._pending: deque[Future[None]] = deque()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trunkline-output")

    def write_page(self, page: Page) -> None:
        """Queue a page; waits while ``depth`` pages are already waiting (raises the thread's error)."""
        while len(self._pending) >= self._depth:
            self._pending.popleft().result()
        self._pending.append(self._thread.submit(self._output.write_page, page))

    def close(self) -> None:
        """Write every queued page, then finish the output (after a failure, :meth:`abort` still works)."""
        while self._pending:
            self._pending.popleft().result()
        self._thread.submit(self._output.close).result()
        self._thread.shutdown()

    def abort(self) -> None:
        """Drop the queued pages and undo the output (no partial file, the table as it was)."""
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        self._thread.shutdown()  # waits for a page being written
        self._output.abort()


class BackgroundOutput(Generic[Page]):
    """A :class:`ThreadedOutput` driven from async code: the event loop never waits for the output."""

    def __init__(self, output: PageWriter[Page], *, depth: int = DEFAULT_DEPTH) -> None:
        self._threaded = ThreadedOutput(output, depth=depth)

    async def write_page(self, page: Page) -> None:
        """Queue a page (see :meth:`ThreadedOutput.write_page`)."""
        await asyncio.to_thread(self._threaded.write_page, page)

    async def close(self) -> None:
        """Write every queued page, then finish the output."""
        await asyncio.to_thread(self._threaded.close)

    async def abort(self) -> None:
        """Drop the queued pages and undo the output."""
        await asyncio.to_thread(self._threaded.abort)
