"""Shared pieces of traffic generation: the context generators draw from and call-record helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .fake import Fake
from .timeutil import iso

Entity = dict[str, Any]

_DAY = 86_400
# Relative call volume per UTC hour (max 1.0); used for rejection sampling of contact times.
_HOUR_WEIGHTS = (0.08, 0.05, 0.04, 0.04, 0.05, 0.1, 0.3, 0.6, 0.9, 1.0, 1.0, 0.95,
                 0.85, 0.95, 1.0, 0.95, 0.85, 0.7, 0.5, 0.4, 0.3, 0.25, 0.18, 0.12)


class CallStats(NamedTuple):
    """Per-call facts behind reporting rows and metrics (seconds; ids may be None)."""

    epoch: int
    queue_id: str | None
    agent_id: str | None
    wait: int
    queue_wait: int
    bridge: int
    talk: int
    hold: int
    wrapup: int


@dataclass
class Customer:
    """A consumer who calls or texts; owns one conversation."""

    phone: str
    conversation_id: str
    first_seen: int | None = None
    last_seen: int | None = None


@dataclass
class TrafficContext:
    """What every traffic generator draws from, plus the calls produced so far."""

    fake: Fake
    now: int
    start: int
    agents: list[Entity]
    numbers: list[Entity]
    queues: list[Entity]
    customers: list[Customer]
    calls: list[Entity] = field(default_factory=list)
    stats: dict[str, CallStats] = field(default_factory=dict)

    def sample_time(self) -> int:
        """A unix time in ``[start, now]`` following the daily rhythm."""
        random = self.fake.random
        span = self.now - self.start
        while True:
            epoch = self.start + int(random() * span)
            if random() < _HOUR_WEIGHTS[epoch % _DAY // 3600]:
                return epoch

    def customer(self, epoch: int) -> Customer:
        """A random customer, marked as seen at ``epoch``."""
        customer = self.fake.choice(self.customers)
        if customer.first_seen is None or epoch < customer.first_seen:
            customer.first_seen = epoch
        if customer.last_seen is None or epoch > customer.last_seen:
            customer.last_seen = epoch
        return customer


def agent_ref(agent: Entity) -> Entity:
    """The ``{id, name, number}`` reference other resources embed for an agent."""
    return {"id": agent["id"], "name": agent["name"], "number": agent["number"]}


def bridged_ref(agent: Entity, queue: Entity) -> Entity:
    """A call's ``bridged`` object: the agent who took it and the queue it came through."""
    return {
        "id": agent["id"],
        "name": agent["name"],
        "number": agent["number"],
        "queueId": queue["id"],
        "queueName": queue["name"],
        "agent": agent_ref(agent),
    }


def call_record(
    fake: Fake,
    now: int,
    *,
    epoch: int,
    session_id: str,
    conversation_id: str,
    parent_id: str | None = None,
    established: int | None,
    finish: int,
    updated: int,
    outcome: tuple[str, str],
    live_state: str,
    parties: tuple[str, str, str],
    source: str,
    domain: str,
    anonymous: bool,
) -> Entity:
    """A ``Call`` in wire key order. ``outcome`` is (state, finishReason) once finished; a call still
    running at ``now`` gets ``live_state`` and no finish; ``parties`` is (type, from, to)."""
    call: Entity = {"id": fake.hex_id()}
    if parent_id is not None:
        call["parentId"] = parent_id
    call["sessionId"] = session_id
    call["conversationId"] = conversation_id
    call["dateCreated"] = iso(epoch)
    call["lastUpdated"] = iso(updated if updated < now else now)
    if established is not None and established <= now:
        call["dateEstablished"] = iso(established)
    if finish > now:
        call["state"] = live_state
    else:
        call["dateFinished"] = iso(finish)
        call["state"], call["finishReason"] = outcome
    call["type"], call["from"], call["to"] = parties
    call["source"] = source
    call["domain"] = domain
    call["duration"] = (finish if finish < now else now) - epoch
    call["anonymous"] = anonymous
    call["recordings"] = []
    return call
