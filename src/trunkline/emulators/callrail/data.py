"""The emulator's dataset: plain lists of the dicts served on the wire, built from ``random.Random(seed)``.

Equal ``seed`` and ``now`` give an identical dataset; timestamps are laid out before the anchor ``now``
so the default "recent" window always holds data. Keys starting with ``_`` are internal (never sent).
Every write through the API changes these lists, so a test can check what a write really did.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .credentials import Credentials, make_credentials
from .fake import Fake
from .gen_calls import generate_calls
from .gen_directory import generate_directory
from .gen_forms import generate_forms
from .gen_messages import generate_conversations
from .gen_trackers import generate_trackers
from .leads import People, lead_id

Entity = dict[str, Any]
COLLECTIONS = ("companies", "trackers", "calls", "conversations", "form_submissions", "tags", "users")


@dataclass
class Dataset:
    """Everything the emulator serves. Calls, conversations and form submissions are newest first;
    companies, trackers, tags and users in creation order."""

    seed: int
    anchor: datetime
    credentials: Credentials
    account: Entity
    user_time_zone: str
    key_user_id: str
    companies: list[Entity]
    trackers: list[Entity]
    calls: list[Entity]
    conversations: list[Entity]
    form_submissions: list[Entity]
    tags: list[Entity]
    users: list[Entity]
    people: People
    fake: Fake
    media: dict[tuple[str, int], tuple[str, bytes | str]] = field(default_factory=dict)
    by_id: dict[str, dict[Any, Entity]] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.by_id = {name: {item["id"]: item for item in getattr(self, name)} for name in COLLECTIONS}

    @property
    def accounts(self) -> list[Entity]:
        """The accounts the API key sees: the one account."""
        return [self.account]

    def now(self) -> datetime:
        """The emulator's current time: the anchor plus the time elapsed since the dataset was built."""
        return self.anchor + timedelta(seconds=time.monotonic() - self.started)

    def get(self, collection: str, identifier: Any) -> Entity | None:
        """The entity of ``collection`` with ``identifier``, or None."""
        return self.by_id[collection].get(identifier)

    def add(self, collection: str, entity: Entity, newest_first: bool = False) -> Entity:
        """Store a new entity (at the front when the collection lists newest first)."""
        items = getattr(self, collection)
        if newest_first:
            items.insert(0, entity)
        else:
            items.append(entity)
        self.by_id[collection][entity["id"]] = entity
        return entity

    def remove(self, collection: str, entity: Entity) -> None:
        """Delete an entity for good."""
        getattr(self, collection).remove(entity)
        del self.by_id[collection][entity["id"]]

    def person_id(self, company_id: str, phone: str) -> str:
        """The lead (``PER…``) id of ``phone`` in a company, created on first sight."""
        return lead_id(self.people, self.fake, company_id, phone)

    def used_numbers(self) -> set[str]:
        """Every tracking number ever handed out (released numbers are not reused)."""
        return {number for tracker in self.trackers for number in tracker["tracking_numbers"]}


def default_now() -> datetime:
    """The current UTC time truncated to the second (the default dataset anchor)."""
    return datetime.now(UTC).replace(microsecond=0)


def build_dataset(seed: int = 0, now: datetime | None = None) -> Dataset:
    """Build the dataset for ``seed`` anchored at ``now`` (default: the current time)."""
    anchor = (now or default_now()).astimezone(UTC)
    fake = Fake(random.Random(seed))
    credentials = make_credentials(seed)
    directory = generate_directory(fake, anchor, credentials)
    trackers = generate_trackers(fake, anchor, directory.companies)
    people: People = {}
    calls = generate_calls(fake, anchor, directory, trackers, people)
    conversations = generate_conversations(fake, anchor, directory, trackers, people)
    forms = generate_forms(fake, anchor, directory, people)
    return Dataset(
        seed=seed, anchor=anchor, credentials=credentials, account=directory.account,
        user_time_zone=directory.user_time_zone, key_user_id=directory.users[0]["id"],
        companies=directory.companies, trackers=trackers, calls=calls, conversations=conversations,
        form_submissions=forms, tags=directory.tags, users=directory.users, people=people, fake=fake,
    )  # fmt: skip
