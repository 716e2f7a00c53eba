"""Agents, agent synchronization (invented), conferences and the agent API's current conference."""

from __future__ import annotations

import secrets
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .listing import Entity, contains, dataset, equals, flag, item_endpoint, list_endpoint, principal
from .paging import item
from .timeutil import iso

_SYNC_WINDOW = 3 * 86_400


def _search(agent: Entity, wanted: list[str]) -> bool:
    """The agents ``q`` filter: name, e-mail, number, source id, source or a group name."""
    texts = [str(agent.get(key, "")).lower() for key in ("name", "email", "number", "sourceId", "agentSource")]
    texts += [group["name"].lower() for group in agent.get("groups", [])]
    return any(value.lower() in text for value in wanted for text in texts)


AGENT_FILTERS = {
    "enabled": flag("enabled"),
    "sourceId": equals("sourceId"),
    "source": equals("agentSource"),
    "name": contains("name"),
    "number": equals("number"),
    "state": equals("state"),
    "q": _search,
    "tags": lambda agent, wanted: any(tag in wanted for tag in agent.get("tags", [])),
    "groupIds": lambda agent, wanted: any(group["id"] in wanted for group in agent.get("groups", [])),
}


async def sync_agents(request: Request) -> Response:
    """Invented ``POST /api/v2/agents/sync``: an agent synchronization run with the external systems
    agents come from. Counts are derived from the data: agents with a ``sourceId`` are synchronized;
    those updated in the last 3 days count as ``updated``, the rest ``unchanged``."""
    data = dataset(request)
    synced = [agent for agent in data.agents if "sourceId" in agent]
    recent = iso(data.now_epoch - _SYNC_WINDOW)
    updated = sum(1 for agent in synced if agent["lastUpdated"] >= recent)
    now = iso(time.time())
    job = {
        "id": secrets.token_hex(16),
        "status": "completed",
        "dateCreated": now,
        "dateFinished": now,
        "agents": {"total": len(synced), "created": 0, "updated": updated, "unchanged": len(synced) - updated},
    }
    return item(job)


async def current_conference(request: Request) -> Response:
    """Invented ``GET /api/v2/agent/conferences/current``: the running conference the caller's agent
    is a member of, or ``null`` (always for a manager login, which has no agent)."""
    agent_id = principal(request).agent_id
    if agent_id is None:
        return item(None)
    for conference in dataset(request).conferences:
        if conference["state"] != "created":
            continue
        if any(member and member.get("agent", {}).get("id") == agent_id for member in conference["members"]):
            return item(conference)
    return item(None)


ROUTES = [
    Route("/api/v2/agents", list_endpoint("agents", AGENT_FILTERS), methods=["GET"]),
    Route("/api/v2/agents/sync", sync_agents, methods=["POST"]),
    Route("/api/v2/agents/{id}", item_endpoint("agents", "agent"), methods=["GET"]),
    Route("/api/v2/agent/conferences/current", current_conference, methods=["GET"]),
    Route("/api/v2/conferences", list_endpoint("conferences", {"state": equals("state")}), methods=["GET"]),
    Route("/api/v2/conferences/{id}", item_endpoint("conferences", "conference"), methods=["GET"]),
]
