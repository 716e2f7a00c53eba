"""Generate SMS and conferences (with their member call legs) into a ``TrafficContext``."""

from __future__ import annotations

from operator import itemgetter

from .fake import Weighted
from .gen_context import CallStats, Entity, TrafficContext, agent_ref, call_record
from .timeutil import iso

_OUTBOUND_TEXTS = (
    "Your appointment is confirmed for tomorrow at 10:00.",
    "Thanks for calling Acme. Your ticket number is {n}.",
    "Your parcel {n} is out for delivery today.",
    "We tried to reach you. Reply CALL and we will ring you back.",
    "Your verification code is {n}.",
)
_INBOUND_TEXTS = ("Please call me back.", "STOP", "Yes", "When will my order arrive?", "Thanks!",
                  "Can I change my appointment?", "CALL")
_INBOUND_STATES = Weighted(("received", "received_transaction"), (97, 3))
_OUTBOUND_STATES = Weighted(("sent", "failed", "queued", "validation_failed"), (88, 5, 4, 3))
_OUTBOUND_SOURCES = Weighted(("api", "action", "test"), (60, 35, 5))


def generate_sms(ctx: TrafficContext, count: int) -> list[Entity]:
    """``count`` SMS between customers and the account's SMS-capable numbers, newest first."""
    fake = ctx.fake
    numbers = [number["number"] for number in ctx.numbers if number["sms"]]
    messages = []
    for _ in range(count):
        epoch = ctx.sample_time()
        customer = ctx.customer(epoch)
        service = fake.choice(numbers)
        message: Entity = {"id": fake.hex_id(), "conversationId": customer.conversation_id}
        if fake.random() < 0.45:
            message.update({"dateCreated": iso(epoch), "type": "inbound", "from": customer.phone, "to": service})
            state = fake.weighted(_INBOUND_STATES)
            message.update({"state": state, "source": "inbound", "text": fake.choice(_INBOUND_TEXTS)})
        else:
            if fake.random() < 0.6:
                message["agentId"] = fake.choice(ctx.agents)["id"]
            message.update({"dateCreated": iso(epoch), "type": "outbound", "from": service, "to": customer.phone})
            state = fake.weighted(_OUTBOUND_STATES)
            text = fake.choice(_OUTBOUND_TEXTS).format(n=fake.digits(7))
            source = fake.weighted(_OUTBOUND_SOURCES)
            message.update({"state": state, "source": source, "text": text})
        messages.append(message)
    messages.sort(key=itemgetter("dateCreated", "id"), reverse=True)
    return messages


def _member_leg(ctx: TrafficContext, epoch: int, end: int, session_id: str, conversation_id: str,
                parties: tuple[str, str], inbound: bool) -> Entity:
    """A conference member's call leg (source ``conference``), recorded in ``ctx.calls``."""
    leg = call_record(
        ctx.fake, ctx.now, epoch=epoch, session_id=session_id, conversation_id=conversation_id, established=epoch + 2,
        finish=end, updated=end, outcome=("completed", "hangup"), live_state="in-progress",
        parties=("inbound" if inbound else "outbound", *parties), source="conference",
        domain="external" if inbound else "internal", anonymous=False,
    )  # fmt: skip
    ctx.calls.append(leg)
    ctx.stats[leg["id"]] = CallStats(epoch, None, None, 2, 0, 0, max(0, min(end, ctx.now) - epoch - 2), 0, 0)
    return leg


def _member(ctx: TrafficContext, leg: Entity, joined: int, active: bool, agent: Entity | None,
            moderator: bool) -> Entity:
    member: Entity = {
        "id": ctx.fake.hex_id(),
        "state": "added" if active else "removed",
        "dateCreated": iso(joined),
        "lastUpdated": leg["lastUpdated"],
    }
    if agent is not None:
        member["agent"] = agent_ref(agent)
    member.update({"call": leg, "hold": False, "isModerator": moderator})
    return member


def generate_conferences(ctx: TrafficContext, count: int, login_agent: Entity) -> list[Entity]:
    """``count`` conferences, newest first. The newest is still running and has ``login_agent`` (the
    agent login's agent) as moderator; about a third of the finished ones include that agent too.
    One finished conference keeps a ``null`` member slot, as the live API does after a member left."""
    fake = ctx.fake
    service = ctx.numbers[0]["number"]
    conferences = []
    for index in range(count):
        active = index == 0
        epoch = ctx.now - fake.randint(120, 900) if active else ctx.sample_time()
        end = ctx.now + 600 if active else epoch + fake.randint(120, 1800)
        customer = ctx.customer(epoch)
        conference_id, session_id = fake.hex_id(), fake.hex_id()
        others = [a for a in fake.rng.sample(ctx.agents, 3) if a is not login_agent]
        agents = [login_agent, others[0]] if active or fake.random() < 0.33 else others[: fake.randint(1, 2)]
        members = []
        caller = _member_leg(ctx, epoch, end, session_id, customer.conversation_id, (customer.phone, service), True)
        members.append(_member(ctx, caller, epoch, active, None, False))
        for position, agent in enumerate(agents):
            joined = epoch + 5 + 10 * position
            leg = _member_leg(ctx, joined, end, session_id, customer.conversation_id, (service, agent["number"]),
                              False)
            members.append(_member(ctx, leg, joined, active, agent, position == 0))
        conference = {
            "id": conference_id,
            "state": "created" if active else "finished",
            "dateCreated": iso(epoch),
            "lastUpdated": iso(min(end, ctx.now)),
            "moderator": members[1],
            "members": [*members, None] if index == 2 else members,
        }
        conferences.append(conference)
    conferences.sort(key=itemgetter("dateCreated", "id"), reverse=True)
    return conferences
