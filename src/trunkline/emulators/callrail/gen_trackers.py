"""Each company's trackers: one session tracker (a pool of website numbers) and a few source trackers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .catalog import SESSION_SOURCES, SOURCES
from .fake import Fake
from .phones import TOLL_FREE
from .timefmt import utc_stamp

Entity = dict[str, Any]
_SOURCE_TRACKERS = {"google_paid": "Google Ads", "gmb": "Google My Business", "offline": "Billboard",
                    "facebook": "Facebook Page", "direct": "Direct Visitors"}  # fmt: skip
_GREETING = "This call may be recorded for quality assurance."


def new_tracker(fake: Fake, company: Entity, name: str, kind: str, numbers: list[str], now: datetime) -> Entity:
    """A tracker skeleton (also used by ``POST /trackers.json``); callers fill in call flow and source."""
    return {
        "id": fake.prefixed_id("TRK"), "name": name, "type": kind, "status": "active", "destination_number": None,
        "tracking_numbers": numbers, "whisper_message": None, "sms_enabled": False,
        "sms_supported": not any(number[2:5] in TOLL_FREE for number in numbers), "call_flow": None,
        "source": None, "created_at": utc_stamp(now), "disabled_at": None, "message_flow": None,
        "campaign_name": None, "swap_targets": [], "_company_id": company["id"], "_source_keys": [],
        "_created": now, "_disabled": None,
    }  # fmt: skip


def basic_flow(destination: str, recording: bool, greeting: str | None) -> Entity:
    """A basic call flow ringing ``destination``."""
    return {"type": "basic", "recording_enabled": recording, "destination_number": destination,
            "greeting_text": greeting, "greeting_recording_url": None}  # fmt: skip


def disable(tracker: Entity, moment: datetime) -> None:
    """Soft-disable a tracker at ``moment`` (it stays readable)."""
    tracker.update({"status": "disabled", "disabled_at": utc_stamp(moment), "_disabled": moment})


def generate_trackers(fake: Fake, anchor: datetime, companies: list[Entity]) -> list[Entity]:
    """Trackers for every company; a disabled company's trackers are disabled with it."""
    trackers: list[Entity] = []
    used: set[str] = set()

    def number(area: str) -> str:
        while (candidate := fake.phone(area)) in used:
            pass
        used.add(candidate)
        return candidate

    for company in companies:
        area, destination = company["_area"], company["verified_caller_ids"][0]["phone_number"]
        created = company["_created"] + timedelta(days=fake.randint(1, 60))
        pool = [number(area) for _ in range(fake.randint(4, 6))]
        session = new_tracker(fake, company, "Website Pool", "session", pool, created)
        keys = fake.sample(SESSION_SOURCES, fake.randint(2, 4))
        session.update({"sms_enabled": True, "_source_keys": keys, "source": _session_source(keys),
                        "whisper_message": "Call from [source]"})  # fmt: skip
        company_trackers = [session]
        for key in fake.sample(list(_SOURCE_TRACKERS), fake.randint(2, 3)):
            toll_free = key == "offline" and fake.chance(0.5)
            tracker = new_tracker(fake, company, _SOURCE_TRACKERS[key], "source",
                                  [number(fake.choice(TOLL_FREE) if toll_free else area)],
                                  created + timedelta(days=fake.randint(0, 30)))  # fmt: skip
            tracker.update({"sms_enabled": tracker["sms_supported"] and fake.chance(0.5), "_source_keys": [key],
                            "source": dict(SOURCES[key]["tracker"]),
                            "campaign_name": f"{SOURCES[key]['label']} campaign" if fake.chance(0.5) else None})
            company_trackers.append(tracker)
        for tracker in company_trackers:
            tracker["call_flow"] = basic_flow(destination, fake.chance(0.8), _GREETING if fake.chance(0.5) else None)
            tracker["destination_number"] = destination
            tracker["swap_targets"] = [destination[2:]]
            if company["_disabled"] is not None:
                disable(tracker, company["_disabled"])
        trackers += company_trackers
    return trackers


def _session_source(keys: list[str]) -> Entity:
    source: Entity = {}
    for key in keys:
        engine = SOURCES[key]["utm_source"]
        if key == "direct":
            source["type"] = "direct"
        elif key == "facebook":
            source.setdefault("referrer", []).append("facebook.com")
        else:
            source.setdefault(engine, []).append("paid" if SOURCES[key]["medium"] == "cpc" else "organic")
    return source
