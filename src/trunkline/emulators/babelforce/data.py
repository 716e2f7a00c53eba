"""The emulator's deterministic dataset: plain lists and dicts, built from ``random.Random(seed)``.

Equal ``seed``, ``size`` and ``now`` give an identical dataset. Every timestamp is placed relative to
the anchor ``now`` so "the last day" always holds data. Entities are the dicts served on the wire
(minus envelopes); a few side tables (``call_stats``, ``user_profiles``) hold facts the wire shapes
do not carry but that reporting rows, metrics and SCIM derive from.

The write endpoints change the dataset in place: new entities go into their list and ``by_id``,
the dialer keeps one ``Hopper`` per campaign in ``hoppers``, and written or created sessions live in
``sessions``. ``clock()`` is the emulator's current time: the anchor plus the time since the build.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .fake import Fake
from .gen_config import generate_config
from .gen_context import CallStats
from .gen_directory import generate_directory
from .gen_outbound import generate_outbound
from .gen_tasks import generate_tasks
from .gen_traffic import generate_traffic
from .hopper import Hopper, fill_all
from .session_store import SessionStore
from .sessions import session_item
from .timeutil import iso, to_epoch

Entity = dict[str, Any]

MANAGER_USERNAME = "manager@example.com"
MANAGER_PASSWORD = "emulator-password"
AGENT_USERNAME = "agent@example.com"
AGENT_PASSWORD = "agent-password"


@dataclass(frozen=True)
class SizeProfile:
    """How many of each entity a dataset size holds."""

    agents: int
    agent_groups: int
    users: int
    calls: int
    days: int
    customers: int
    sms: int
    queues: int
    numbers: int
    applications: int
    business_hours: int
    triggers: int
    call_flows: int
    outbound_lists: int
    leads: tuple[int, int]
    campaigns: int
    tasks: int
    conferences: int


SIZES: dict[str, SizeProfile] = {
    "small": SizeProfile(
        agents=230, agent_groups=8, users=40, calls=1_850, days=14, customers=500, sms=300, queues=12,
        numbers=8, applications=40, business_hours=6, triggers=25, call_flows=15, outbound_lists=5,
        leads=(60, 250), campaigns=4, tasks=260, conferences=12,
    ),
    "large": SizeProfile(
        agents=2_000, agent_groups=30, users=400, calls=92_000, days=30, customers=25_000, sms=15_000,
        queues=40, numbers=40, applications=200, business_hours=20, triggers=100, call_flows=50,
        outbound_lists=20, leads=(200, 2_000), campaigns=16, tasks=13_000, conferences=300,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Credentials:
    """The logins and legacy API keys the emulator accepts."""

    username: str
    password: str
    access_id: str
    access_token: str
    agent_username: str
    agent_password: str


@dataclass
class Dataset:
    """Everything the emulator serves. Lists are in the order the API lists them."""

    seed: int
    size: str
    now: datetime
    now_epoch: int
    credentials: Credentials
    customer: Entity
    users: list[Entity]
    user_profiles: dict[str, Entity]
    manager_user: Entity
    agent_user: Entity
    agent_groups: list[Entity]
    agents: list[Entity]
    numbers: list[Entity]
    queues: list[Entity]
    applications: list[Entity]
    business_hours: list[Entity]
    triggers: list[Entity]
    call_flows: list[Entity]
    conversations: list[Entity]
    calls: list[Entity]
    call_epochs: list[int]
    call_stats: dict[str, CallStats]
    recordings: list[Entity]
    sms: list[Entity]
    conferences: list[Entity]
    outbound_lists: list[Entity]
    outbound_campaigns: list[Entity]
    leads_by_list: dict[str, list[Entity]]
    tasks: list[Entity]
    calendars: list[Entity] = field(default_factory=list)
    env_sync_jobs: list[Entity] = field(default_factory=list)
    hoppers: dict[str, Hopper] = field(default_factory=dict)
    sessions: SessionStore = field(default_factory=SessionStore)
    started: float = field(default_factory=time.time)
    by_id: dict[str, dict[str, Entity]] = field(default_factory=dict)
    lead_uids: dict[str, set[str]] = field(default_factory=dict)
    session_roots: dict[str, str] = field(default_factory=dict)
    conference_by_session: dict[str, str] = field(default_factory=dict)

    def index(self) -> None:
        """(Re)build the lookup maps: ``by_id`` (one id → entity map per collection, plus ``leads`` over
        every list), ``lead_uids`` (list id → the uids its leads use), ``session_roots`` (session id → id
        of its oldest top-level call) and ``conference_by_session``."""
        collections = {
            "agents": self.agents,
            "numbers": self.numbers,
            "queues": self.queues,
            "applications": self.applications,
            "business_hours": self.business_hours,
            "triggers": self.triggers,
            "call_flows": self.call_flows,
            "conversations": self.conversations,
            "calls": self.calls,
            "recordings": self.recordings,
            "sms": self.sms,
            "conferences": self.conferences,
            "outbound_lists": self.outbound_lists,
            "outbound_campaigns": self.outbound_campaigns,
            "tasks": self.tasks,
            "users": self.users,
            "calendars": self.calendars,
            "env_sync_jobs": self.env_sync_jobs,
        }
        self.by_id = {name: {item["id"]: item for item in items} for name, items in collections.items()}
        self.by_id["leads"] = {lead["id"]: lead for leads in self.leads_by_list.values() for lead in leads}
        self.lead_uids = {list_id: {lead["uid"] for lead in leads} for list_id, leads in self.leads_by_list.items()}
        self.session_roots = {}
        for call in reversed(self.calls):
            if "parentId" not in call:
                self.session_roots.setdefault(call["sessionId"], call["id"])
        self.conference_by_session = {
            member["call"]["sessionId"]: conference["id"]
            for conference in self.conferences
            for member in conference["members"]
            if member is not None
        }

    def session(self, session_id: str) -> Entity | None:
        """The session item for ``session_id``: the stored one if it was created or written, else the
        call session derived on demand; None if neither exists."""
        return self.sessions.get(session_id) or session_item(self, session_id)

    def clock(self) -> float:
        """The emulator's current unix time: the anchor ``now`` plus the wall-clock time since the build."""
        return self.now_epoch + time.time() - self.started

    def timestamp(self) -> str:
        """``clock()`` as a wire timestamp, for entities created or changed now."""
        return iso(self.clock())

    def add(self, collection: str, entity: Entity, newest_first: bool = False) -> Entity:
        """Add a created entity to the list attribute ``collection`` (at the front for newest-first
        lists) and to ``by_id``; returns it."""
        items: list[Entity] = getattr(self, collection)
        if newest_first:
            items.insert(0, entity)
        else:
            items.append(entity)
        self.by_id[collection][entity["id"]] = entity
        return entity


def make_credentials(seed: int) -> Credentials:
    """The emulator logins for ``seed``; the legacy access id/token are 32 hex derived from it."""
    rng = random.Random(f"babelforce-credentials:{seed}")
    return Credentials(
        username=MANAGER_USERNAME,
        password=MANAGER_PASSWORD,
        access_id=f"{rng.getrandbits(128):032x}",
        access_token=f"{rng.getrandbits(128):032x}",
        agent_username=AGENT_USERNAME,
        agent_password=AGENT_PASSWORD,
    )


def default_now() -> datetime:
    """The current UTC time truncated to the minute (the default dataset anchor)."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


def build_dataset(seed: int = 0, size: str = "small", now: datetime | None = None) -> Dataset:
    """Build the dataset for ``seed`` and ``size`` (``small`` or ``large``) anchored at ``now``."""
    if size not in SIZES:
        raise ValueError(f"unknown dataset size {size!r}; choose one of {', '.join(SIZES)}")
    profile = SIZES[size]
    anchor = (now or default_now()).astimezone(UTC).replace(microsecond=0)
    fake = Fake(random.Random(seed))
    credentials = make_credentials(seed)
    with _no_gc():
        dataset = _generate(fake, profile, seed, size, anchor, credentials)
        dataset.index()
        fill_all(dataset)
    return dataset


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: the build creates only acyclic containers, and collections
    triggered by hundreds of thousands of new dicts would otherwise cost more than the build itself."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _generate(
    fake: Fake, profile: SizeProfile, seed: int, size: str, anchor: datetime, credentials: Credentials
) -> Dataset:
    now_epoch = to_epoch(anchor)
    directory = generate_directory(fake, profile, now_epoch, credentials)
    config = generate_config(fake, profile, now_epoch)
    traffic = generate_traffic(fake, profile, now_epoch, directory, config)
    outbound = generate_outbound(fake, profile, now_epoch, config.numbers)
    tasks = generate_tasks(fake, profile, now_epoch, credentials.access_id, directory.agents, config.queues,
                           traffic.calls)

    return Dataset(
        seed=seed,
        size=size,
        now=anchor,
        now_epoch=now_epoch,
        credentials=credentials,
        customer=directory.customer,
        users=directory.users,
        user_profiles=directory.user_profiles,
        manager_user=directory.users[0],
        agent_user=directory.users[1],
        agent_groups=directory.agent_groups,
        agents=directory.agents,
        numbers=config.numbers,
        queues=config.queues,
        applications=config.applications,
        business_hours=config.business_hours,
        triggers=config.triggers,
        call_flows=config.call_flows,
        conversations=traffic.conversations,
        calls=traffic.calls,
        call_epochs=traffic.call_epochs,
        call_stats=traffic.call_stats,
        recordings=traffic.recordings,
        sms=traffic.sms,
        conferences=traffic.conferences,
        outbound_lists=outbound.lists,
        outbound_campaigns=outbound.campaigns,
        leads_by_list=outbound.leads_by_list,
        tasks=tasks,
    )
