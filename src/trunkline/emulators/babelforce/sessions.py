"""Call sessions, derived on demand: one per call ``sessionId`` (child legs and conference legs share
their root call's session). Variables are drawn from a generator seeded by the dataset seed and the
session id, so a session reads the same every time without being stored."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from .fake import Fake

if TYPE_CHECKING:
    from .data import Dataset

Entity = dict[str, Any]

_LANGUAGES = ("de", "de", "de", "en", "en", "fr")
_TIERS = ("standard", "standard", "standard", "gold", "vip")


def _variables(data: Dataset, session_id: str, call: Entity) -> Entity:
    fake = Fake(random.Random(f"{data.seed}:{session_id}"))
    variables: Entity = {
        "call.id": call["id"],
        "call.type": call["type"],
        "call.from": call["from"],
        "call.to": call["to"],
        "conversation.id": call["conversationId"],
        "app.language": fake.choice(_LANGUAGES),
        "app.customerTier": fake.choice(_TIERS),
    }
    if fake.chance(0.6):
        variables["app.crmId"] = f"CRM-{fake.digits(6)}"
    conference_id = data.conference_by_session.get(session_id)
    if conference_id is not None:
        variables["conference.id"] = conference_id
    queue_id = data.call_stats[call["id"]].queue_id
    if queue_id is not None:
        variables["queue.name"] = data.by_id["queues"][queue_id]["name"]
        if call["type"] == "inbound":
            variables["menu.choice"] = str(fake.randint(1, 4))
    if "bridged" in call:
        variables["agent.name"] = call["bridged"]["name"]
    return variables


def session_item(data: Dataset, session_id: str) -> Entity | None:
    """The ``SessionResponse`` item for ``session_id`` (times in epoch ms), or None if unknown.

    A session is ``valid`` while its call was touched within the last hour.
    """
    root_id = data.session_roots.get(session_id)
    if root_id is None:
        return None
    call = data.by_id["calls"][root_id]
    created = data.call_stats[root_id].epoch
    last_access = min(data.now_epoch, created + call["duration"])
    return {
        "id": session_id,
        "valid": last_access >= data.now_epoch - 3600,
        "created": created * 1000,
        "last_access": last_access * 1000,
        "data": _variables(data, session_id, call),
    }
