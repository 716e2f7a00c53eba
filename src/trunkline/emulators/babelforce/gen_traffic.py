"""Generate contact traffic: conversations, calls (with child legs), recordings, SMS and
conferences, spread over the last ``profile.days`` days with a daily rhythm."""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING

from .fake import Fake
from .gen_calls import CallFactory
from .gen_context import CallStats, Customer, Entity, TrafficContext
from .gen_messages import generate_conferences, generate_sms
from .timeutil import iso

if TYPE_CHECKING:
    from .data import SizeProfile
    from .gen_config import Config
    from .gen_directory import Directory

_DAY = 86_400


@dataclass
class Traffic:
    """The generated interactions, each list newest first."""

    conversations: list[Entity]
    calls: list[Entity]
    call_epochs: list[int]
    call_stats: dict[str, CallStats]
    recordings: list[Entity]
    sms: list[Entity]
    conferences: list[Entity]


def _customers(fake: Fake, count: int) -> list[Customer]:
    phones: set[str] = set()
    while len(phones) < count:
        phones.add(fake.phone())
    return [Customer(phone=phone, conversation_id=fake.hex_id()) for phone in sorted(phones)]


def _conversations(ctx: TrafficContext) -> list[Entity]:
    fake = ctx.fake
    conversations = []
    for customer in ctx.customers:
        first = customer.first_seen
        if first is None:
            first = ctx.start - fake.randint(1, 60) * _DAY - fake.randint(0, _DAY)
        last = customer.last_seen if customer.last_seen is not None else first
        conversations.append(
            {
                "id": customer.conversation_id,
                "dateCreated": iso(first),
                "state": "open" if last >= ctx.now - _DAY else "closed",
                "phone": customer.phone,
            }
        )
    conversations.sort(key=itemgetter("dateCreated", "id"), reverse=True)
    return conversations


def generate_traffic(fake: Fake, profile: SizeProfile, now: int, directory: Directory, config: Config) -> Traffic:
    """Generate all interactions of the account over the last ``profile.days`` days."""
    ctx = TrafficContext(
        fake=fake,
        now=now,
        start=now - profile.days * _DAY,
        agents=[agent for agent in directory.agents if agent["enabled"]],
        numbers=[number for number in config.numbers if number["enabled"]],
        queues=config.queues,
        customers=_customers(fake, profile.customers),
    )
    factory = CallFactory(ctx, recording_rate=0.34)
    for _ in range(profile.calls):
        factory.top_level()
    conferences = generate_conferences(ctx, profile.conferences, directory.agents[0])
    sms = generate_sms(ctx, profile.sms)
    ctx.calls.sort(key=itemgetter("dateCreated", "id"), reverse=True)
    factory.recordings.sort(key=itemgetter("dateCreated", "id"), reverse=True)
    return Traffic(
        conversations=_conversations(ctx),
        calls=ctx.calls,
        call_epochs=[ctx.stats[call["id"]].epoch for call in ctx.calls],
        call_stats=ctx.stats,
        recordings=factory.recordings,
        sms=sms,
        conferences=conferences,
    )
