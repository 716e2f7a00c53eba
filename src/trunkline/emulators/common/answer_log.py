"""When an emulator logs a request: the moment its answer is complete, before its last byte is sent.

Logging after the answer had gone out let a client read the answer before the log held the request, so a
test that checked the log at once could miss it. A request whose answer never completes (a fault that
drops the connection or cuts the body short) is logged when it ends.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import Message, Send


class AnswerLog:
    """Wraps an ASGI ``send``: calls ``record(status)`` once, as the answer's last body message goes out,
    or at :meth:`close` for a request that ended without a complete answer."""

    def __init__(self, send: Send, record: Callable[[int | None], None]) -> None:
        self._send = send
        self._record = record
        self.status: int | None = None
        self._recorded = False

    async def send(self, message: Message) -> None:
        """Send ``message``, logging the request first if it completes the answer."""
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            self._log(self.status)
        await self._send(message)

    def close(self, status_without_answer: int | None) -> None:
        """Log the request if its answer never completed: with the status sent, else ``status_without_answer``."""
        self._log(self.status if self.status is not None else status_without_answer)

    def _log(self, status: int | None) -> None:
        if not self._recorded:
            self._recorded = True
            self._record(status)
