"""Changing the outbound dialer's state: lead lists, leads and which list a campaign works.

Every change keeps the derived facts in step: a list's ``count``, the ``campaignId`` on a list and
its leads, the ``leadList`` of a campaign, the ``leads`` index, the list's set of uids (so a new lead
is checked and added in constant time) and the campaign's hopper.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from . import hopper
from .errors import not_found
from .leads import apply_update, new_lead

if TYPE_CHECKING:
    from .data import Dataset

Entity = dict[str, Any]


def find_list(data: Dataset, list_id: str) -> Entity:
    """The lead list with ``list_id``, or a 404."""
    lead_list = data.by_id["outbound_lists"].get(list_id)
    if lead_list is None:
        raise not_found("outbound list", list_id)
    return lead_list


def find_lead(data: Dataset, list_id: str, lead_id: str) -> Entity:
    """The lead ``lead_id`` of list ``list_id``, or a 404."""
    find_list(data, list_id)
    lead = data.by_id["leads"].get(lead_id)
    if lead is None or lead["listId"] != list_id:
        raise not_found("lead", lead_id)
    return lead


def find_campaign(data: Dataset, campaign_id: str) -> Entity:
    """The campaign with ``campaign_id``, or a 404."""
    campaign = data.by_id["outbound_campaigns"].get(campaign_id)
    if campaign is None:
        raise not_found("outbound campaign", campaign_id)
    return campaign


def uids(data: Dataset, list_id: str) -> set[str]:
    """The lead uids already used in a list (the live index: read it, change it only through this module)."""
    return data.lead_uids[list_id]


def create_list(data: Dataset, name: str) -> Entity:
    """A new, empty lead list."""
    lead_list = data.add("outbound_lists", {"id": secrets.token_hex(16), "name": name, "count": 0})
    data.leads_by_list[lead_list["id"]] = []
    data.lead_uids[lead_list["id"]] = set()
    return lead_list


def add_leads(data: Dataset, lead_list: Entity, batch: list[Entity]) -> list[Entity]:
    """Append new leads (validated fields) to a list; the campaign's hopper picks them up when next used."""
    when = data.timestamp()
    created = [new_lead(secrets.token_hex(16), fields, lead_list, when) for fields in batch]
    data.leads_by_list[lead_list["id"]].extend(created)
    data.by_id["leads"].update((lead["id"], lead) for lead in created)
    uids(data, lead_list["id"]).update(lead["uid"] for lead in created)
    lead_list["count"] = len(data.leads_by_list[lead_list["id"]])
    return created


def update_lead(data: Dataset, lead: Entity, fields: Entity) -> None:
    """Apply an update unless the lead is loaded in its campaign's hopper (the dialer then ignores it,
    as seed 003 describes)."""
    if not hopper.holds(data, lead):
        taken = uids(data, lead["listId"])
        taken.discard(lead["uid"])
        apply_update(lead, fields, data.timestamp())
        taken.add(lead["uid"])  # the same uid, or the one the update gave it


def delete_lead(data: Dataset, lead: Entity) -> None:
    """Remove a lead from its list (and from its campaign's hopper)."""
    hopper.unload(data, lead)
    leads = data.leads_by_list[lead["listId"]]
    leads.remove(lead)
    del data.by_id["leads"][lead["id"]]
    uids(data, lead["listId"]).discard(lead["uid"])
    data.by_id["outbound_lists"][lead["listId"]]["count"] = len(leads)


def _link(data: Dataset, lead_list: Entity, campaign_id: str | None) -> None:
    """Set (or with None, clear) the campaign of a list and of its leads."""
    for entity in (lead_list, *data.leads_by_list[lead_list["id"]]):
        if campaign_id is None:
            entity.pop("campaignId", None)
        else:
            entity["campaignId"] = campaign_id


def detach_list(data: Dataset, campaign: Entity) -> None:
    """Take a campaign's list away from it; its hopper empties."""
    list_id = campaign.pop("leadList", {}).get("id")
    if list_id is not None:
        _link(data, data.by_id["outbound_lists"][list_id], None)
    hopper.empty(data, campaign["id"])


def attach_list(data: Dataset, campaign: Entity, lead_list: Entity) -> None:
    """Make a campaign work ``lead_list`` (taking it from the campaign that worked it before); its
    hopper then loads from that list."""
    if campaign.get("leadList", {}).get("id") == lead_list["id"]:
        return
    previous = lead_list.get("campaignId")
    if previous is not None:
        detach_list(data, data.by_id["outbound_campaigns"][previous])
    detach_list(data, campaign)
    campaign["leadList"] = {"id": lead_list["id"], "name": lead_list["name"]}
    _link(data, lead_list, campaign["id"])
