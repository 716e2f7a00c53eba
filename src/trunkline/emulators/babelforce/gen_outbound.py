"""Generate the outbound dialer: lead lists, campaigns (each working one list) and leads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .fake import Fake, Weighted, email_local
from .timeutil import iso

if TYPE_CHECKING:
    from .data import SizeProfile

Entity = dict[str, Any]

_DAY = 86_400
_LIST_NAMES = ("Spring leads", "Win-back Q2", "Webinar attendees", "Renewals UK", "Cold prospects US")
_CAMPAIGN_NAMES = ("Spring outreach", "Win-back", "Webinar follow-up", "UK renewals")
_COMPANIES = ("Nordwind AG", "Bluebird Ltd", "Hansa Logistik", "Maple & Co", "Brightside Inc", "Kessler GmbH",
              "Thames Digital", "Lakeview LLC")
_PRODUCTS = ("Basic", "Professional", "Enterprise")
_UNCALLED = ("new", "pending")
_STATUSES = Weighted(
    ("new", "pending", "no_answer", "busy", "answering_machine", "callback", "not_interested", "sale", "do_not_call",
     "dispo", "disconnected_number", "queued", "voicemail", "no_answer_auto", "busy_auto"),
    (35, 10, 12, 5, 6, 5, 8, 6, 2, 3, 3, 2, 2, 3, 1),
)
_TALKED = ("callback", "not_interested", "sale", "dispo", "do_not_call")


@dataclass
class Outbound:
    """The generated dialer configuration and leads."""

    lists: list[Entity]
    campaigns: list[Entity]
    leads_by_list: dict[str, list[Entity]]


def _numbered(names: tuple[str, ...], index: int) -> str:
    name = names[index % len(names)]
    return name if index < len(names) else f"{name} {index // len(names) + 1}"


def _lead(fake: Fake, uid: str, list_id: str, campaign_id: str | None, created: int, now: int) -> Entity:
    first, last = fake.person()
    status = fake.weighted(_STATUSES)
    lead: Entity = {"id": fake.hex_id(), "uid": uid, "listId": list_id}
    if campaign_id is not None:
        lead["campaignId"] = campaign_id
    lead["number"] = fake.phone()
    if fake.random() < 0.2:
        lead["number2"] = fake.phone()
    called = status not in _UNCALLED
    calls = fake.randint(1, 5) if called else 0
    lead.update(
        {
            "status": status,
            "rank": fake.randint(0, 100),
            "callCount": calls,
            "duration": fake.randint(30, 900) if status in _TALKED else 0,
            "calledSinceReset": called,
            "dateCreated": iso(created),
        }
    )
    called_at = fake.randint(max(created, now - 14 * _DAY), now - 60) if called else None
    lead["lastUpdated"] = iso(called_at or created)
    if called_at is not None:
        lead["dateCalled"] = iso(called_at)
    lead["data"] = {
        "firstName": first,
        "lastName": last,
        "email": f"{email_local(first, last)}@example.org",
        "company": fake.choice(_COMPANIES),
        "product": fake.choice(_PRODUCTS),
    }
    if status == "callback" and called_at is not None:
        lead["callback"] = {"date": iso(now + fake.randint(1, 72) * 3600), "note": "Customer asked for a call back"}
    return lead


def generate_outbound(fake: Fake, profile: SizeProfile, now: int, numbers: list[Entity]) -> Outbound:
    """Generate lists (the first ``profile.campaigns`` linked to a campaign each) and their leads."""
    lists = [
        {"id": fake.hex_id(), "name": _numbered(_LIST_NAMES, index), "count": 0}
        for index in range(profile.outbound_lists)
    ]
    campaigns = []
    for index in range(min(profile.campaigns, len(lists))):
        lead_list = lists[index]
        campaign = {
            "id": fake.hex_id(),
            "name": _numbered(_CAMPAIGN_NAMES, index),
            "active": index % 4 != 3,
            "displayNumber": numbers[index % len(numbers)]["number"],
            "testMode": index % 4 == 2,
            "leadList": {"id": lead_list["id"], "name": lead_list["name"]},
            "listOrder": ("DOWN", "UP RANK", "DOWN RANK", "UP")[index % 4],
            "callRatio": round(1.0 + 2.0 * fake.random(), 2),
        }
        lead_list["campaignId"] = campaign["id"]
        campaigns.append(campaign)
    leads_by_list: dict[str, list[Entity]] = {}
    for list_index, lead_list in enumerate(lists):
        count = fake.randint(*profile.leads)
        created = now - fake.randint(15, 90) * _DAY
        leads_by_list[lead_list["id"]] = [
            _lead(fake, f"crm-{list_index + 1}{serial:05d}", lead_list["id"], lead_list.get("campaignId"),
                  created + serial * 30, now)
            for serial in range(count)
        ]
        lead_list["count"] = count
    return Outbound(lists=lists, campaigns=campaigns, leads_by_list=leads_by_list)
