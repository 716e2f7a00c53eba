"""Replay a flow's dead letters: the records its API destinations gave up on, sent again.

Each dead record is sent once more with a fresh attempt count. One that is delivered becomes
``acknowledged``; one that is not stays ``dead`` with the new reason (a flow run never retries it), so
the summary's ``acknowledged + dead (+ unchanged)`` is the number replayed.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from trunkline.core.errors import ConfigError
from trunkline.core.flow_config import ApiDestination
from trunkline.flows.ledger_delivery import LedgerSummary, deliver_with_ledger
from trunkline.flows.runner import api_destination, destination_label, load_flow
from trunkline.store.metadata import MetadataStore


async def replay_dead_letters(flow_name: str, *, store: MetadataStore, home: Path | None = None,
                              destination: str | None = None) -> dict[str, LedgerSummary]:
    """Send every dead record of ``flow_name`` (one destination, or all) again; returns a summary per destination.

    ``records`` of a summary is the number of dead letters replayed; ``acknowledged`` of them were
    delivered, ``dead`` stay dead, ``unchanged`` had been delivered already under their key.
    """
    flow = store.get_flow(flow_name)
    if flow is None or not flow.path:
        raise ConfigError("flow", f"no flow file is registered for {flow_name!r}",
                          fix="run the flow once with trunkline flow run FILE")
    loaded = load_flow(Path(flow.path))
    results: dict[str, LedgerSummary] = {}
    for index, target in enumerate(loaded.config.destinations):
        label = destination_label(target, index)
        if not isinstance(target, ApiDestination) or destination not in (None, label):
            continue
        records = [entry.record for entry in store.ledger_list(flow_name, destination=label, status="dead")
                   if entry.record is not None]
        results[label] = await deliver_with_ledger(
            api_destination(loaded, target, home), records, store=store, flow=flow_name, destination=label,
            key=target.key, max_attempts=target.max_attempts, run_id=f"replay-{uuid.uuid4().hex[:12]}",
            replay=True, key_path=f"flow.destinations.{index}.key")
    if destination is not None and not results:
        raise ConfigError("--destination", f"flow {flow_name} has no API destination named {destination!r}",
                          fix="use a name shown by trunkline deadletters list")
    return results
