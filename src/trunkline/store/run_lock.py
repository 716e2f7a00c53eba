"""The per-flow run lock: at most one run of a flow at a time, across processes (and machines).

The lock is one the operating system or the database server lets go of by itself when its holder dies,
so a killed run (``kill -9``, a crash, a power cut) never blocks its flow:

- SQLite store (one machine): an exclusive ``flock`` on ``<home>/locks/<flow>.lock``, released by the
  kernel when the process ends, however it ends.
- PostgreSQL store (several machines): a session-level advisory lock on the store's connection,
  released by the server when the session ends (the connection closes when the process dies; TCP
  keepalives end the session of a machine that vanished).

While held, the flow's state carries who holds it (:data:`HOLDER_KEY`: pid, host, since), so a refused
run can say which process to wait for.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
from pathlib import Path
from typing import Any

from trunkline.core.errors import TrunklineError
from trunkline.store.metadata import RunRecord, utc_now

HOLDER_KEY = "run_lock"
LOCKS_DIR = "locks"


class FlowBusyError(TrunklineError):
    """Another run of the flow is live: this one was not started (nothing was fetched or delivered)."""

    def __init__(self, flow: str, live_run: RunRecord | None, holder: dict[str, Any] | None) -> None:
        self.flow = flow
        self.live_run = live_run
        self.holder = holder
        super().__init__(
            f"flow {flow!r} is already running: {_describe(live_run, holder)}; this run was not started.",
            fix=f"wait for that run to end (trunkline flow runs {flow}), or stop its process; a run whose "
                "process has died no longer holds the flow",
        )


def _describe(live_run: RunRecord | None, holder: dict[str, Any] | None) -> str:
    """``run 3f9c… started 2026-… (pid 1234 on host-a)``, with whatever is known of the live run."""
    text = f"run {live_run.id} started {live_run.started_at}" if live_run else "a run of it is starting"
    if holder and holder.get("pid"):
        text += f" (pid {holder['pid']} on {holder.get('host') or 'an unknown host'})"
    return text


def holder_info() -> dict[str, Any]:
    """Who is taking the lock: this process's pid and host, and when."""
    return {"pid": os.getpid(), "host": socket.gethostname(), "since": utc_now()}


class FileRunLock:
    """An exclusive, non-blocking ``flock`` on ``<folder>/locks/<flow>.lock`` (kept open while held).

    ``flock`` locks belong to an open file, so two opens in one process exclude each other too, and
    the kernel releases the lock when the process ends. The file itself is never deleted (deleting a
    lock file while another process opens it would let two holders in).
    """

    def __init__(self, folder: Path, flow: str) -> None:
        """The lock of ``flow`` under ``folder`` (the home); nothing is opened yet."""
        self.path = Path(folder) / LOCKS_DIR / f"{flow}.lock"
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock if it is free; return whether it was taken."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        """Let the lock go (closing the file releases it)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


def advisory_key(schema: str, flow: str) -> int:
    """The PostgreSQL advisory lock key (a signed 64-bit integer) of ``flow`` in the store's ``schema``."""
    digest = hashlib.blake2b(f"trunkline run lock\0{schema}\0{flow}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
