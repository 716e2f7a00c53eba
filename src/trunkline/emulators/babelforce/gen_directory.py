"""Generate the people side of the dataset: the customer account, users, agent groups and agents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .fake import Fake, Weighted, email_local
from .timeutil import iso

if TYPE_CHECKING:
    from .data import Credentials, SizeProfile

Entity = dict[str, Any]

_DAY = 86_400
COMPANY = "Acme Contact GmbH"

AVAILABLE = {"name": "available", "label": "Available", "available": True}
AWAY_PRESENCES = (
    {"name": "break", "label": "Break", "available": False},
    {"name": "lunch", "label": "Lunch", "available": False},
    {"name": "meeting", "label": "Meeting", "available": False},
    {"name": "training", "label": "Training", "available": False},
    {"name": "backoffice", "label": "Back office", "available": False},
)
OFFLINE = {"name": "offline", "label": "Offline", "available": False}

# AgentLineStatus values of agents who are online, with their share.
_ONLINE_STATES = Weighted(
    ("available", "in-call", "wrap-up", "ringing", "selected", "busy", "originated", "declined", "unreachable"),
    (45, 30, 10, 5, 3, 3, 2, 1, 1),
)
_STATE_LABELS = {
    "available": "Available", "in-call": "In call", "wrap-up": "Wrap-up", "ringing": "Ringing",
    "selected": "Selected", "busy": "Busy", "originated": "Dialling", "declined": "Declined",
    "unreachable": "Unreachable",
}  # fmt: skip
_GROUP_NAMES = ("First Level", "Second Level", "Sales Team", "Billing Team", "Team Berlin", "Team London",
                "Team New York", "Supervisors")
_AGENT_TAGS = ("de", "en", "fr", "tier1", "tier2", "sales", "support", "billing", "night-shift")
_SOURCES = ("salesforce", "zendesk", "hubspot")


@dataclass
class Directory:
    """The generated account, users and agents."""

    customer: Entity
    users: list[Entity]
    user_profiles: dict[str, Entity]
    agent_groups: list[Entity]
    agents: list[Entity]


def _customer(fake: Fake, now: int, credentials: Credentials) -> Entity:
    created = now - 900 * _DAY
    return {
        "id": credentials.access_id,
        "company": COMPANY,
        "phone": "+4930" + fake.digits(8),
        "firstName": "Jordan",
        "lastName": "Reed",
        "email": credentials.username,
        "dateCreated": iso(created),
        "settings": {
            "enabled": True,
            "isTrialExpired": False,
            "trialExpirationDate": None,
            "defaultTimeZone": "Europe/Berlin",
        },
        "apis": {
            "babelforce": {"accessId": credentials.access_id, "accessToken": credentials.access_token},
            "stream": {
                "token": f"{fake.rng.getrandbits(256):064x}",
                "dateCreated": iso(created + 600),
                "lastUpdated": iso(created + 600),
            },
        },
    }


def _agent_groups(fake: Fake, count: int, now: int) -> list[Entity]:
    groups = []
    for index in range(count):
        name = _GROUP_NAMES[index % len(_GROUP_NAMES)]
        if index >= len(_GROUP_NAMES):
            name = f"{name} {index // len(_GROUP_NAMES) + 1}"
        groups.append({"id": fake.hex_id(), "name": name, "dateCreated": iso(now - fake.randint(400, 800) * _DAY)})
    return groups


def _presence_and_state(fake: Fake, enabled: bool) -> tuple[Entity, str]:
    if not enabled:
        return OFFLINE, "unreachable"
    roll = fake.random()
    if roll < 0.55:
        return AVAILABLE, fake.weighted(_ONLINE_STATES)
    if roll < 0.80:
        return fake.choice(AWAY_PRESENCES), "available"
    return OFFLINE, "unreachable"


def _agent(
    fake: Fake, name: tuple[str, str], email: str, groups: list[Entity], now: int, serial: int, in_call: bool
) -> Entity:
    """One agent; ``in_call`` pins it enabled, available and in a call (the agent login's agent)."""
    enabled = in_call or fake.random() < 0.9
    presence, state = (AVAILABLE, "in-call") if in_call else _presence_and_state(fake, enabled)
    available = enabled and presence["available"]
    display = _STATE_LABELS[state] if presence["available"] else presence["label"]
    created = now - fake.randint(30, 720) * _DAY - fake.randint(0, _DAY)
    updated = now - fake.randint(0, 3 * _DAY) if fake.random() < 0.4 else fake.randint(created, now - 3 * _DAY)
    webrtc = fake.random() < 0.4
    agent: Entity = {"id": fake.hex_id(), "name": f"{name[0]} {name[1]}"}
    if fake.random() < 0.7:
        agent["sourceId"] = f"EXT-{serial:05d}"
        agent["agentSource"] = fake.choice(_SOURCES)
    agent.update(
        {
            "email": email,
            "number": fake.phone(),
            "enabled": enabled,
            "state": state,
            "presence": dict(presence),
            "status": {
                "enabled": enabled,
                "available": available,
                "outbound_status": "online" if available and fake.random() < 0.3 else "offline",
                "line_status": state,
                "presence": dict(presence),
                "activity": "",
                "display_status": display,
            },
            "activity": "",
            "display_status": display,
            "available": available,
            "tags": fake.sample(_AGENT_TAGS, 0, 3),
            "groups": [dict(group) for group in fake.sample(groups, 1, 2)],
            "webrtc": webrtc,
            "features": ["webrtc"] if webrtc else [],
            "dateCreated": iso(created),
            "lastUpdated": iso(updated),
        }
    )
    return agent


def _user(fake: Fake, email: str, roles: list[str], agent: Entity | None, locked: bool = False) -> Entity:
    user: Entity = {
        "id": fake.hex_id(),
        "email": email,
        "enabled": not locked,
        "activated": True,
        "passwordExpired": False,
        "accountExpired": False,
        "accountLocked": locked,
        "roles": roles,
    }
    if agent is not None:
        user["agent"] = {"uuid": agent["id"], "type": "agent", "sourceId": agent.get("sourceId", "")}
    return user


def _profile(name: tuple[str, str], created: int, now: int) -> Entity:
    return {
        "givenName": name[0],
        "familyName": name[1],
        "dateCreated": iso(created),
        "lastUpdated": iso(max(created, now - 5 * _DAY)),
    }


def _role(index: int) -> list[str]:
    if index < 7:
        return ["supervisor", "user"]
    if index < 10:
        return ["reporter", "user"]
    return ["agent", "user"]


def generate_directory(fake: Fake, profile: SizeProfile, now: int, credentials: Credentials) -> Directory:
    """Generate the account, ``profile.users`` users and ``profile.agents`` agents.

    User 0 is the manager login, user 1 the agent login (linked to agent 0, whose e-mail it shares);
    users 2.. are linked to agents 1.. and share their e-mails.
    """
    customer = _customer(fake, now, credentials)
    groups = _agent_groups(fake, profile.agent_groups, now)
    people = fake.people(profile.agents)
    agents = []
    for serial, name in enumerate(people, start=1):
        email = credentials.agent_username if serial == 1 else f"{email_local(*name)}@example.com"
        agents.append(_agent(fake, name, email, groups, now, serial, in_call=serial == 1))

    account_created = now - 900 * _DAY
    manager = _user(fake, credentials.username, ["manager", "owner", "user"], None)
    agent_login = _user(fake, credentials.agent_username, ["agent", "user"], agents[0])
    users = [manager, agent_login]
    profiles = {
        manager["id"]: _profile((customer["firstName"], customer["lastName"]), account_created, now),
        agent_login["id"]: _profile(people[0], account_created + 3 * _DAY, now),
    }
    for index in range(2, profile.users):
        agent = agents[index - 1]
        user = _user(fake, agent["email"], _role(index), agent, locked=fake.chance(0.05))
        users.append(user)
        profiles[user["id"]] = _profile(people[index - 1], fake.randint(account_created, now - 7 * _DAY), now)
    return Directory(customer=customer, users=users, user_profiles=profiles, agent_groups=groups, agents=agents)
