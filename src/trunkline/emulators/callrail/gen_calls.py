"""Sixty days of calls per company, with repeat callers, lead scoring, tags and attribution."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from .attribution import attribution, touch
from .calls_model import blank_call, refresh_display
from .fake import Fake
from .gen_directory import Customer, Directory
from .leads import People, caller_id_name, lead_id
from .timefmt import zone

Entity = dict[str, Any]
CALL_DAYS = 60
_HOURS = (7, 8, 8, 9, 9, 9, 10, 10, 10, 11, 11, 11, 12, 12, 13, 13, 14, 14, 14, 15, 15, 16, 16, 17, 17, 18, 19, 20)
_NOTES = ("Asked for a callback tomorrow morning", "Wants a quote emailed", "Booked for next week",
          "Existing customer, billing question", "Left details with front desk")  # fmt: skip


def generate_calls(
    fake: Fake, anchor: datetime, directory: Directory, trackers: list[Entity], people: People
) -> list[Entity]:
    """Every company's calls, newest first. Fills ``people`` with the leads it creates."""
    plan: list[tuple[datetime, Entity, Entity]] = []
    for company in directory.companies:
        own = [tracker for tracker in trackers if tracker["_company_id"] == company["id"]]
        end = company["_disabled"] or anchor - timedelta(minutes=1)
        local_today = anchor.astimezone(zone(company["time_zone"])).date()
        for day in range(CALL_DAYS):
            for _ in range(fake.randint(1, 5)):
                clock = time(fake.choice(_HOURS), fake.randint(0, 59), fake.randint(0, 59), fake.randint(0, 999_999))
                local = datetime.combine(local_today - timedelta(days=day), clock, tzinfo=zone(company["time_zone"]))
                if local.astimezone(UTC) < end:
                    plan.append((local.astimezone(UTC), company, fake.choice(own)))
    plan.sort(key=lambda item: item[0])
    state = _History()
    calls = [_call(fake, moment, company, tracker, directory, people, state) for moment, company, tracker in plan]
    for call in calls:
        call["total_calls"] = state.counts[(call["company_id"], call["customer_phone_number"])]
    calls.reverse()
    return calls


class _History:
    """What earlier calls established: call counts, good leads and first touches per lead."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}
        self.good_leads: dict[tuple[str, str], Entity] = {}
        self.first_touch: dict[tuple[str, str], Entity] = {}


def _customer(fake: Fake, pool: list[Customer]) -> Customer:
    return fake.choice(pool[:15]) if fake.chance(0.35) else fake.choice(pool)


def _agents(directory: Directory, company_id: str) -> list[str]:
    return [user["email"] for user in directory.users
            if user["accepted"] and (user["role"] == "admin" or company_id in user["_company_ids"])]  # fmt: skip


def _call(
    fake: Fake, moment: datetime, company: Entity, tracker: Entity, directory: Directory, people: People,
    history: _History
) -> Entity:
    customer = _customer(fake, directory.customers[company["id"]])
    key = (company["id"], customer.phone)
    call = blank_call(fake, company, moment, customer.phone)
    outbound = fake.chance(0.08)
    answered = fake.chance(0.7 if outbound else 0.72)
    voicemail = not outbound and not answered and fake.chance(0.55)
    duration = fake.randint(25, 900) if answered else fake.randint(8, 75) if voicemail else fake.randint(0, 25)
    recorded = (answered or voicemail) and tracker["call_flow"]["recording_enabled"]
    call_type = "outbound" if outbound else "answered" if answered else "voicemail" if voicemail else "missed"
    source_key = fake.choice(tracker["_source_keys"])
    fields = attribution(fake, source_key, company["_domain"], web=tracker["type"] == "session")
    person = lead_id(people, fake, company["id"], customer.phone)
    prior = history.counts.get(key, 0)
    history.counts[key] = prior + 1
    call.update({name: value for name, value in fields.items() if not name.startswith("_")})
    call.update({
        "answered": answered, "voicemail": voicemail, "duration": duration, "call_type": call_type,
        "direction": "outbound" if outbound else "inbound",
        "business_phone_number": tracker["destination_number"] if answered or outbound else None,
        "customer_name": caller_id_name(customer.first, customer.last, fake.randint(0, 1)),
        "tracking_phone_number": fake.choice(tracker["tracking_numbers"]), "tracker_id": tracker["id"],
        "agent_email": fake.choice(_agents(directory, company["id"])) if answered else None,
        "first_call": prior == 0, "prior_calls": prior, "person_id": person,
        "timeline_url": f"https://app.callrail.com/analytics/timeline/{person}",
        "recording_duration": str(duration) if recorded else None, "_recorded": recorded,
        "recording_player": f"https://app.callrail.com/calls/{call['id']}/recording?access_key={fake.hex32()[:20]}"
        if recorded else None,
        "waveforms": [f"https://cdn.callrail.com/waveforms/{call['id']}/{side}.png" for side in ("agent", "caller")]
        if recorded else None,
        "speaker_percent": _speakers(fake) if answered and recorded else None,
    })  # fmt: skip
    this_touch = touch(fields, moment, company["time_zone"])
    first = history.first_touch.setdefault(key, this_touch)
    milestones = call["milestones"]
    milestones.update({"first_touch": first, "lead_created": first, "last_touch": this_touch})
    _score(fake, call, key, history, this_touch)
    _decorate(fake, call, company, directory.tags)
    refresh_display(call)
    return call


def _speakers(fake: Fake) -> Entity:
    agent = fake.randint(30, 70)
    return {"agent": agent, "customer": 100 - agent}


def _score(fake: Fake, call: Entity, key: tuple[str, str], history: _History, this_touch: Entity) -> None:
    earlier = history.good_leads.get(key)
    if earlier is not None:
        call.update({"lead_status": "previously_marked_good_lead", "good_lead_call_id": earlier["id"],
                     "good_lead_call_time": earlier["start_time"]})  # fmt: skip
        call["milestones"]["qualified"] = earlier["milestones"]["qualified"]
    elif call["answered"] and call["direction"] == "inbound":
        roll = fake.uniform(0, 1)
        if roll < 0.3:
            call["lead_status"] = "good_lead"
            call["milestones"]["qualified"] = this_touch
            history.good_leads[key] = call
            if fake.chance(0.4):
                call["value"] = float(fake.randint(50, 1500))
        elif roll < 0.42:
            call["lead_status"] = "not_a_lead"


def _decorate(fake: Fake, call: Entity, company: Entity, tags: list[Entity]) -> None:
    usable = [tag["id"] for tag in tags
              if tag["status"] == "enabled" and tag["company_id"] in (None, company["id"])]  # fmt: skip
    if usable and fake.chance(0.25):
        call["_tag_ids"] = fake.sample(usable, fake.randint(1, 2))
    if fake.chance(0.12):
        call["note"] = fake.choice(_NOTES)
