"""Send a destination's planned requests with at most N in flight; hand the results over in input order.

:class:`SendWindow` takes what ``RestDestination.plan`` yields, in order. A request is sent at once in
its own task (all tasks share the destination's HTTP client, auth and rate limiter); a record that is
not sent (invalid) simply takes its place in line. Results reach ``on_result`` strictly in the order
they were put, so outcomes, rejects, captured responses and ledger entries come out exactly as when
requests are sent one at a time. A slow request holds back the handing over of those behind it and,
once ``limit`` requests are in flight, the sending of new ones.

A request that raises (the credential refused, the service asks to wait too long, anything unexpected)
stops the window as soon as it ends, even while requests before it are still in flight: nothing new is
sent (:attr:`SendWindow.stopped` tells a caller before it marks records as sent), the requests already in
flight are finished and handed over (their records went out, so what became of them must be recorded),
then the first error is raised.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from trunkline.rest.destination import Delivery, PlannedRequest, RecordOutcome, RestDestination
from trunkline.rest.http import HttpClient

#: At most this many results wait in line behind an unfinished request (records that need no request
#: are planned quickly; past this, planning waits instead of holding more in memory).
MAX_WAITING = 1_000


@dataclass
class Sent:
    """One planned item once done: the deliveries of its request, or the error that stopped the run
    (with the deliveries settled before it, when it stopped a refused batch half-way through its split).

    A record that was not sent has one delivery without a request (no method, URL or entries)."""

    item: PlannedRequest | RecordOutcome
    deliveries: list[Delivery]
    error: Exception | None = None


def _without_request(outcome: RecordOutcome) -> Delivery:
    """The delivery of a record that settled without a request (invalid)."""
    return Delivery(PlannedRequest("", "", {}, None, b"", []), [outcome])


class SendWindow:
    """At most ``limit`` requests in flight, results handed to ``on_result`` in the order they were put.

    Use it as ``async with SendWindow(...) as window``: leaving the block normally waits for every
    result; leaving it on an error cancels the requests still in flight.
    """

    def __init__(self, engine: RestDestination, client: HttpClient, *, limit: int,
                 on_result: Callable[[Sent], None]) -> None:
        self._engine = engine
        self._client = client
        self._limit = limit
        self._on_result = on_result
        self._line: deque[tuple[PlannedRequest | RecordOutcome, asyncio.Task[list[Delivery]] | None]] = deque()
        self._in_flight = 0
        self._failure: Exception | None = None
        self._stopped = False

    @property
    def stopped(self) -> bool:
        """Whether a request has raised: the next :meth:`put` or :meth:`drain` raises its error."""
        return self._stopped

    async def put(self, item: PlannedRequest | RecordOutcome) -> None:
        """Send ``item`` (a request) or queue it (an outcome); return once the window has room again.

        Raises the first error a request met, after everything in flight has been handed over; once a
        request has raised, ``item`` is not sent."""
        if self._stopped:
            await self.drain()
        if isinstance(item, RecordOutcome):
            self._line.append((item, None))
        else:
            task = asyncio.create_task(self._engine.send(item, self._client))
            task.add_done_callback(self._note_failure)
            self._line.append((item, task))
            self._in_flight += 1
            await asyncio.sleep(0)  # let the request leave before the next one is planned
        await self._hand_over(everything=False)

    def _note_failure(self, task: asyncio.Task[list[Delivery]]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._stopped = True

    async def drain(self) -> None:
        """Wait for every request in flight and hand over every result; raises like :meth:`put`."""
        await self._hand_over(everything=True)

    async def _hand_over(self, *, everything: bool) -> None:
        while self._line:
            item, task = self._line[0]
            full = self._in_flight >= self._limit or len(self._line) > MAX_WAITING
            if task is not None and not task.done() and not (everything or full or self._failure):
                return
            self._line.popleft()
            self._on_result(await self._finish(item, task))
        if self._failure is not None:
            raise self._failure

    async def _finish(self, item: PlannedRequest | RecordOutcome,
                      task: asyncio.Task[list[Delivery]] | None) -> Sent:
        if task is None:
            assert isinstance(item, RecordOutcome)
            return Sent(item, [_without_request(item)])
        self._in_flight -= 1
        try:
            return Sent(item, await task)
        except Exception as error:  # noqa: BLE001 - handed over with its item, raised once the window is empty
            self._failure = self._failure or error
            return Sent(item, list(getattr(error, "settled", [])), error)

    async def __aenter__(self) -> SendWindow:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if exc_type is None:
            await self.drain()
            return
        tasks = [task for _, task in self._line if task is not None and not task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._line.clear()
