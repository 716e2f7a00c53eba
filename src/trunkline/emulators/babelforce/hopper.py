"""The outbound dialer's hopper: per campaign, the leads loaded to be dialled next.

A campaign's hopper is topped up to its minimum size (default 20) with the highest-rank callable
leads (status ``new`` or ``pending``) of the campaign's list that are not already in it; equal ranks
keep list order. Loaded leads stay until they are dialled or deleted, so a lead whose rank rises
after a fill waits for the next refill, and the dialer ignores updates to loaded leads (seed 003).

Like the real dialer's loader, which runs in the background, the top-up happens when the dialer next
uses the hopper — it is read, a lead is updated or deleted, leads are dialled — not on every added
lead: a list uploaded one lead per request loads its 20 highest ranks, not its first 20 leads.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .data import Dataset

Entity = dict[str, Any]

DEFAULT_HOPPER_SIZE = 20
CALLABLE = ("new", "pending")
_RANK = itemgetter("rank")


@dataclass
class Hopper:
    """One campaign's hopper: its minimum ``size`` and the loaded lead ids in dial order."""

    size: int = DEFAULT_HOPPER_SIZE
    lead_ids: list[str] = field(default_factory=list)


def list_of(data: Dataset, campaign_id: str) -> str | None:
    """The id of the list attached to a campaign, or None."""
    return data.by_id["outbound_campaigns"][campaign_id].get("leadList", {}).get("id")


def refill(data: Dataset, campaign_id: str) -> None:
    """Top the campaign's hopper up to its minimum size from its list (empty it if there is no list)."""
    hopper = data.hoppers.setdefault(campaign_id, Hopper())
    list_id = list_of(data, campaign_id)
    if list_id is None:
        hopper.lead_ids.clear()
        return
    missing = hopper.size - len(hopper.lead_ids)
    if missing <= 0:
        return
    loaded = set(hopper.lead_ids)
    callable_leads = (
        lead for lead in data.leads_by_list[list_id] if lead["status"] in CALLABLE and lead["id"] not in loaded
    )
    hopper.lead_ids.extend(lead["id"] for lead in heapq.nlargest(missing, callable_leads, key=_RANK))


def loaded(data: Dataset, campaign_id: str) -> list[str]:
    """The ids of the leads in the campaign's hopper, in dial order, after topping it up."""
    refill(data, campaign_id)
    return data.hoppers[campaign_id].lead_ids


def empty(data: Dataset, campaign_id: str) -> None:
    """Unload the campaign's hopper (its list changed); it loads again when next used."""
    data.hoppers.setdefault(campaign_id, Hopper()).lead_ids.clear()


def campaign_of(data: Dataset, lead: Entity) -> str | None:
    """The id of the campaign working the lead's list, or None."""
    return data.by_id["outbound_lists"][lead["listId"]].get("campaignId")


def holds(data: Dataset, lead: Entity) -> bool:
    """Whether the lead is loaded in its campaign's hopper."""
    campaign_id = campaign_of(data, lead)
    return campaign_id is not None and lead["id"] in loaded(data, campaign_id)


def unload(data: Dataset, lead: Entity) -> None:
    """Take a (deleted) lead out of its campaign's hopper."""
    if holds(data, lead):
        data.hoppers[campaign_of(data, lead)].lead_ids.remove(lead["id"])


def items(data: Dataset, campaign_id: str) -> list[Entity]:
    """The hopper as ``HopperItem`` rows (every value a string, as the dialer returns them)."""
    leads = data.by_id["leads"]
    rows = []
    for position, lead_id in enumerate(loaded(data, campaign_id), start=1):
        lead = leads[lead_id]
        rows.append({"id": lead["id"], "uid": lead["uid"], "listId": lead["listId"], "count": str(lead["callCount"]),
                     "number": lead["number"], "status": lead["status"], "order": str(position), "source": "list"})
    return rows


def dial(data: Dataset, campaign_id: str, count: int, status: str, when: str) -> list[Entity]:
    """Dial the first ``count`` hopper leads: each ends with ``status``, one more call and ``dateCalled``
    ``when``; they leave the hopper, which is refilled. Returns the dialled leads."""
    lead_ids = loaded(data, campaign_id)
    dialled = [data.by_id["leads"][lead_id] for lead_id in lead_ids[:count]]
    del lead_ids[:count]
    for lead in dialled:
        lead.update(status=status, callCount=lead["callCount"] + 1, calledSinceReset=True, lastUpdated=when,
                    dateCalled=when)
    refill(data, campaign_id)
    return dialled


def fill_all(data: Dataset) -> None:
    """Give every campaign a filled hopper of the default size (done once for the seeded dataset, so
    ``Dataset.hoppers`` starts out loaded)."""
    for campaign in data.outbound_campaigns:
        refill(data, campaign["id"])
