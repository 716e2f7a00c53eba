"""Run any ASGI emulator over real HTTP: in a background thread (tests, demo) or in the foreground (CLI)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from trunkline.emulators.common.connection_drop import DroppableHTTPProtocol

_STARTUP_TIMEOUT = 10.0


class RunningEmulator:
    """An emulator served by uvicorn on a loopback port in a daemon thread. Stop it with ``stop()``
    or use it as a context manager."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, sock: socket.socket, app: Any) -> None:
        self._server = server
        self._thread = thread
        self._socket = sock
        self.app = app
        self.host, self.port = sock.getsockname()[:2]
        self.base_url = f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        """Ask the server to exit, wait for its thread, and release the port. Safe to call twice."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._socket.close()

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"RunningEmulator({self.base_url})"


def _config(app: Any, **options: Any) -> uvicorn.Config:
    """uvicorn's settings; the protocol lets an emulator drop a connection (faults ``reset`` and ``timeout``)."""
    return uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, timeout_graceful_shutdown=1,
                          http=DroppableHTTPProtocol, **options)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0 = a free port); raises ``OSError`` if taken.

    The protocol is given explicitly: asyncio only sets ``TCP_NODELAY`` on accepted sockets whose
    ``proto`` is ``IPPROTO_TCP``, and without it every keep-alive response waits ~40 ms on Nagle's
    algorithm and delayed ACKs.
    """
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def start_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0) -> RunningEmulator:
    """Serve ``app`` on ``host:port`` (port 0 = a free port) in a daemon thread.

    Returns once the server accepts connections; raises ``RuntimeError`` if it fails to start.
    """
    sock = bind(host, port)
    server = uvicorn.Server(_config(app))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"emulator failed to start on {host}:{port}")
        time.sleep(0.002)
    return RunningEmulator(server, thread, sock, app)


def serve(app: Any, sock: socket.socket) -> None:
    """Serve ``app`` on the bound ``sock`` (see ``bind``) in the foreground until interrupted (Ctrl-C)."""
    with sock:
        uvicorn.Server(_config(app)).run(sockets=[sock])
