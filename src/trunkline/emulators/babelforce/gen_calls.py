"""Generate calls: top-level calls with their recordings, and transfer child legs.

Outcomes (answered, abandoned, busy, … with their timings) are drawn once into small pools per
kind of call and then reused: it keeps the ``large`` dataset (100,000 calls) fast to build while the
distribution stays the same.
"""

from __future__ import annotations

from typing import NamedTuple

from .fake import Fake, Weighted
from .gen_context import CallStats, Entity, TrafficContext, agent_ref, bridged_ref, call_record
from .timeutil import iso

_POOL_SIZE = 512
_RECORDING_TAGS = ("quality", "complaint", "sale", "training", "escalation")
_FAILURES = ("failed", "unreachable", "network-unreachable", "invalid-number", "unallocated-number")
_INBOUND_SOURCES = Weighted(("queue", "dial", "api", "test"), (85, 10, 4, 1))
_OUTBOUND_SOURCES = Weighted(("dialer", "webrtc", "api", "dial"), (45, 25, 15, 15))
_QUEUE_OUTCOMES = Weighted(("answered", "abandoned", "no-answer", "failed", "busy"), (80, 12, 4, 2, 2))
_DIRECT_OUTCOMES = Weighted(("answered", "no-answer", "busy", "failed"), (85, 8, 4, 3))
_OUTBOUND_OUTCOMES = Weighted(("answered", "no-answer", "busy", "failed", "canceled"), (65, 20, 8, 4, 3))
_HANGUPS = Weighted(("hangup", "passive-hangup"), (55, 45))
_RECORDING_STATES = Weighted(("stored", "deleted", "missing", "failed"), (92, 3, 2, 3))


class _Outcome(NamedTuple):
    """How a call went; times are seconds after the call was created."""

    answered: bool
    established: int | None
    finish: int
    state: str
    reason: str
    wait: int
    queue_wait: int
    bridge: int
    talk: int
    hold: int


def _outcome(fake: Fake, table: Weighted[str], queued: bool, inbound: bool) -> _Outcome:
    """Draw one outcome. ``queued``: an inbound call that waits in a queue for an agent."""
    outcome = fake.weighted(table)
    wait = queue_wait = bridge = talk = hold = 0
    established: int | None = None
    if outcome in ("answered", "abandoned"):
        if inbound:
            established = fake.randint(1, 4)
            queue_wait = min(900, int(fake.rng.expovariate(1 / 45))) if queued else 0
            bridge = fake.randint(3, 20) if queued and outcome == "answered" else 0
            wait = established + fake.randint(5, 40) + queue_wait + bridge
        else:
            established = wait = fake.randint(5, 25)
        if outcome == "answered":
            talk = min(3600, int(fake.rng.lognormvariate(5.0, 0.7)))
            hold = fake.randint(10, 180) if fake.random() < 0.2 else 0
        finish, state, reason = wait + talk + hold, "completed", fake.weighted(_HANGUPS)
    elif outcome == "no-answer":
        wait = fake.randint(20, 45)
        finish, state, reason = wait, "no-answer", fake.choice(("no-answer", "timeout"))
    elif outcome == "busy":
        finish, state, reason = fake.randint(0, 3), "busy", "busy"
    elif outcome == "canceled":
        wait = fake.randint(2, 15)
        finish, state, reason = wait, "canceled", "canceled"
    else:
        finish, state, reason = fake.randint(0, 2), "failed", fake.choice(_FAILURES)
    return _Outcome(outcome == "answered", established, finish, state, reason, wait, queue_wait, bridge, talk, hold)


class CallFactory:
    """Builds top-level calls and their child legs into a ``TrafficContext``."""

    def __init__(self, ctx: TrafficContext, recording_rate: float) -> None:
        self.ctx = ctx
        self.recording_rate = recording_rate
        self.inbound_queues = [q for q in ctx.queues if not q["name"].startswith(("Outbound", "Sales"))]
        self.outbound_queues = [q for q in ctx.queues if q["name"].startswith(("Outbound", "Sales"))]
        fake = ctx.fake
        self.pools = {
            "queued": [_outcome(fake, _QUEUE_OUTCOMES, True, True) for _ in range(_POOL_SIZE)],
            "direct": [_outcome(fake, _DIRECT_OUTCOMES, False, True) for _ in range(_POOL_SIZE)],
            "outbound": [_outcome(fake, _OUTBOUND_OUTCOMES, False, False) for _ in range(_POOL_SIZE)],
        }
        self.recordings: list[Entity] = []

    def top_level(self) -> None:
        """Generate one top-level call (and maybe a transfer leg)."""
        ctx, fake, now = self.ctx, self.ctx.fake, self.ctx.now
        epoch = ctx.sample_time()
        customer = ctx.customer(epoch)
        service = fake.choice(ctx.numbers)["number"]
        inbound = fake.random() < 0.72
        anonymous = inbound and fake.random() < 0.03
        queue: Entity | None = None
        if inbound:
            source = fake.weighted(_INBOUND_SOURCES)
            parties = ("anonymous" if anonymous else customer.phone, service)
            if source == "queue":
                queue = fake.choice(self.inbound_queues)
            out = fake.choice(self.pools["queued" if queue else "direct"])
        else:
            source = fake.weighted(_OUTBOUND_SOURCES)
            parties = (service, customer.phone)
            if source in ("dialer", "webrtc"):
                queue = fake.choice(self.outbound_queues)
            out = fake.choice(self.pools["outbound"])
        agent = fake.choice(ctx.agents) if out.answered and queue is not None else None
        finish = epoch + out.finish
        established = None if out.established is None else epoch + out.established
        live = finish > now
        wrapup = fake.randint(0, queue["wrapUpTime"]) if agent is not None and queue is not None and not live else 0
        if not live:
            live_state = ""
        elif agent is not None:
            live_state = "bridged"
        elif established is not None:
            live_state = "queued" if queue is not None and inbound else "in-progress"
        else:
            live_state = "ringing"
        call = call_record(
            fake, now, epoch=epoch, session_id=fake.hex_id(), conversation_id=customer.conversation_id,
            established=established, finish=finish, updated=finish + wrapup, outcome=(out.state, out.reason),
            live_state=live_state, parties=("inbound" if inbound else "outbound", *parties), source=source,
            domain="external" if fake.random() < 0.95 else "internal", anonymous=anonymous,
        )  # fmt: skip
        if agent is not None and queue is not None:
            call["bridged"] = bridged_ref(agent, queue)
            if not live and fake.random() < self.recording_rate:
                call["recordings"].append(
                    self._recording(call, agent, established or epoch, out.talk + out.hold, finish)
                )
        ctx.calls.append(call)
        ctx.stats[call["id"]] = CallStats(
            epoch, queue["id"] if queue else None, agent["id"] if agent else None,
            out.wait, out.queue_wait, out.bridge, out.talk, out.hold, wrapup,
        )  # fmt: skip
        if agent is not None and queue is not None and source == "queue" and fake.random() < 0.12:
            self._transfer_leg(call, queue)

    def _recording(self, call: Entity, agent: Entity, started: int, seconds: int, finish: int) -> Entity:
        fake = self.ctx.fake
        recording_id = fake.hex_id()
        state = fake.weighted(_RECORDING_STATES)
        recording = {
            "id": recording_id,
            "duration": seconds,
            "url": f"https://storage.example.com/recordings/{recording_id}.mp3",
            "state": state,
            "file": {
                "id": fake.hex_id(),
                "state": state,
                "name": f"{recording_id}.mp3",
                "size": seconds * 16_000 if state == "stored" else 0,
                "contentType": "audio/mpeg",
            },
            "call": {key: call[key] for key in ("id", "conversationId", "type", "from", "to")},
            "agent": agent_ref(agent),
            "tags": fake.sample(_RECORDING_TAGS, 0, 2),
            "dateCreated": iso(started),
            "lastUpdated": iso(min(self.ctx.now, finish + fake.randint(2, 30))),
        }
        self.recordings.append(recording)
        return recording

    def _transfer_leg(self, parent: Entity, queue: Entity) -> None:
        """A child leg: the agent transfers the caller to a colleague (internal) or an external number."""
        ctx, fake = self.ctx, self.ctx.fake
        stats = ctx.stats[parent["id"]]
        epoch = stats.epoch + stats.wait + max(1, stats.talk * 6 // 10)
        if epoch >= ctx.now:
            return
        internal = fake.random() < 0.7
        colleague = fake.choice(ctx.agents)
        answered = fake.random() < 0.85
        ring = fake.randint(3, 20)
        talk = min(1800, int(fake.rng.lognormvariate(4.5, 0.6))) if answered else 0
        finish = epoch + ring + talk
        leg = call_record(
            fake, ctx.now, epoch=epoch, session_id=parent["sessionId"], conversation_id=parent["conversationId"],
            parent_id=parent["id"], established=epoch + ring if answered else None, finish=finish, updated=finish,
            outcome=("completed", "hangup") if answered else ("no-answer", "no-answer"),
            live_state="bridged" if answered else "ringing",
            parties=("outbound", parent["to"] if parent["type"] == "inbound" else parent["from"],
                     colleague["number"] if internal else fake.phone()),
            source="transfer", domain="internal" if internal else "external", anonymous=False,
        )  # fmt: skip
        bridged_to = colleague if answered and internal else None
        if bridged_to is not None:
            leg["bridged"] = bridged_ref(bridged_to, queue)
        ctx.calls.append(leg)
        ctx.stats[leg["id"]] = CallStats(
            epoch, queue["id"] if bridged_to else None, bridged_to["id"] if bridged_to else None,
            ring, 0, ring if answered else 0, talk, 0, 0,
        )  # fmt: skip
