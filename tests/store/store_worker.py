"""A separate process for the metadata store tests; it opens the store the environment names.

``store_worker.py write FLOW PREFIX COUNT`` prints ``ready``, waits for a line on stdin, then opens the store
and writes COUNT ledger entries ``PREFIX-i`` and COUNT entries ``shared-i`` (which both workers write).
``store_worker.py pending FLOW KEY`` writes KEY as pending, prints ``written``, then hangs until killed.
"""

from __future__ import annotations

import sys
import time

from trunkline.store.metadata import LedgerEntry, open_store


def write(flow: str, prefix: str, count: int) -> None:
    print("ready", flush=True)
    sys.stdin.readline()
    with open_store() as store:
        store.register_flow(flow, f"{flow}.yaml", None)
        run = store.start_run(flow)
        for index in range(count):
            for key in (f"{prefix}-{index}", f"shared-{index}"):
                store.ledger_put(LedgerEntry(flow, "api", key, f"hash-{index}", "pending", run_id=run.id))
                store.ledger_put(
                    LedgerEntry(flow, "api", key, f"hash-{index}", "acknowledged", 1, 200, "ok", None, {"i": index})
                )
        store.finish_run(run.id, "succeeded", {"written": 2 * count})


def pending(flow: str, key: str) -> None:
    store = open_store()
    store.ledger_put(LedgerEntry(flow, "api", key, "hash", "pending", record={"id": key}))
    print("written", flush=True)
    time.sleep(60)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "write":
        write(args[0], args[1], int(args[2]))
    else:
        pending(args[0], args[1])
