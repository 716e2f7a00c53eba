"""The scheduler behind ``trunkline serve``: runs active flows when their cron schedule says so.

A flow is due when the next time its schedule names after its last run started (or after it was
activated, for a flow that never ran) has come. Due flows run one after the other in this process;
several ``serve`` processes may share a PostgreSQL store. Five-field cron (minute resolution) and
six-field cron with seconds last (``* * * * * */10``) are accepted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from croniter import croniter

from trunkline.flows.runner import load_flow, run_flow
from trunkline.store.metadata import FlowRecord, MetadataStore, RunRecord
from trunkline.store.nexsets import NexsetStore

log = logging.getLogger("trunkline.scheduler")


def next_due(flow: FlowRecord, store: MetadataStore) -> datetime | None:
    """When ``flow`` should run next, or None when it is paused or has no schedule."""
    if not flow.active or not flow.schedule:
        return None
    runs = store.list_runs(flow.name, limit=1)
    since = datetime.fromisoformat(runs[0].started_at if runs else flow.updated_at)
    return croniter(flow.schedule, since).get_next(datetime)


def due_flows(store: MetadataStore, now: datetime) -> list[FlowRecord]:
    """The active scheduled flows whose time has come."""
    return [flow for flow in store.list_flows() if (due := next_due(flow, store)) is not None and due <= now]


def serve(store: MetadataStore, nexsets: NexsetStore, *, home: Path | None = None, tick: float = 1.0,
          max_runs: int | None = None, on_run: Callable[[RunRecord], None] | None = None) -> int:
    """Run due flows until interrupted (or ``max_runs`` runs have finished); returns the runs made."""
    made = 0
    while max_runs is None or made < max_runs:
        for flow in due_flows(store, datetime.now(UTC)):
            loaded = load_flow(Path(flow.path))
            try:
                run = asyncio.run(run_flow(loaded, store=store, nexsets=nexsets, home=home))
            except Exception as error:  # one failing flow must not stop the scheduler; the run records why
                log.error("flow %s failed: %s", flow.name, error)
                run = store.list_runs(flow.name, limit=1)[0]
            made += 1
            if on_run is not None:
                on_run(run)
            if max_runs is not None and made >= max_runs:
                break
        time.sleep(tick)
    return made
