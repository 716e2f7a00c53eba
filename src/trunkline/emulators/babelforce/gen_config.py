"""Generate account configuration: service numbers, queues, IVR applications, business hours,
triggers and call flows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .fake import Fake
from .timeutil import iso

if TYPE_CHECKING:
    from .data import SizeProfile

Entity = dict[str, Any]

_DAY = 86_400
_QUEUE_NAMES = ("Support DE", "Support EN", "Sales DE", "Sales UK", "Billing", "Technical Support",
                "VIP Customers", "Returns", "Retention", "Onboarding", "Complaints", "Outbound")
_SERVICE_NUMBERS = ("+4930", "+49800", "+4940", "+4420", "+44800", "+1212", "+1415", "+4989")
_MODULES = ("simpleMenu", "promptPlayer", "consumerQueue", "textToSpeech", "switchNode", "transfer", "recording",
            "inputReader", "agentQueue", "audioPlayer", "speechToText", "inputReader.v2", "agentic")
_MODULE_LABELS = {
    "simpleMenu": "Main menu", "promptPlayer": "Welcome prompt", "consumerQueue": "Queue",
    "textToSpeech": "Announcement", "switchNode": "Router", "transfer": "Transfer", "recording": "Voicemail",
    "inputReader": "Customer number input", "agentQueue": "Agent queue", "audioPlayer": "Hold music",
    "speechToText": "Intent capture", "inputReader.v2": "Contract number input", "agentic": "Virtual assistant",
}  # fmt: skip
_HOURS = (
    ("Support line hours", "Europe/Berlin", range(0, 5), (8, 0), (20, 0)),
    ("Sales hours", "Europe/Berlin", range(0, 5), (9, 0), (18, 0)),
    ("Weekend support", "Europe/Berlin", range(5, 7), (10, 0), (16, 0)),
    ("UK office", "Europe/London", range(0, 5), (8, 30), (17, 30)),
    ("US office", "America/New_York", range(0, 5), (9, 0), (17, 0)),
    ("Holiday hotline", "Europe/Berlin", range(0, 7), (10, 0), (14, 0)),
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CONDITIONS = (
    ("call.fromNumber", "STARTS_WITH", "+49"),
    ("call.fromNumber", "STARTS_WITH", "+44"),
    ("call.toNumber", "EQ", "+4930"),
    ("call.anonymous", "EQ", "true"),
    ("session.app.language", "EQ", "de"),
    ("session.app.language", "EQ", "en"),
    ("session.app.customerTier", "EQ", "vip"),
    ("session.menu.choice", "EQ", "1"),
    ("session.menu.choice", "EQ", "2"),
    ("queue.waiting", "GT", "10"),
    ("queue.agents.available", "LT", "1"),
    ("time.hour", "GE", "18"),
    ("call.source", "EQ", "dialer"),
    ("session.app.crmId", "IS_NOT_NULL", ""),
    ("session.app.intent", "CONTAINS", "cancel"),
)
_TRIGGER_NAMES = ("German caller", "UK caller", "Main line", "Anonymous caller", "Language DE", "Language EN",
                  "VIP customer", "Menu option 1", "Menu option 2", "Queue overflow", "No agents available",
                  "After hours", "Dialer call", "Known CRM contact", "Cancellation intent")
_TAGS = ("support", "sales", "billing", "de", "en", "uk", "us", "ivr", "overflow")


@dataclass
class Config:
    """The generated account configuration."""

    numbers: list[Entity]
    queues: list[Entity]
    applications: list[Entity]
    business_hours: list[Entity]
    triggers: list[Entity]
    call_flows: list[Entity]


def _numbered(names: tuple[str, ...], index: int) -> str:
    name = names[index % len(names)]
    return name if index < len(names) else f"{name} {index // len(names) + 1}"


def _created(fake: Fake, now: int) -> tuple[str, str]:
    created = now - fake.randint(60, 700) * _DAY - fake.randint(0, _DAY)
    updated = fake.randint(created, now - _DAY)
    return iso(created), iso(updated)


def _numbers(fake: Fake, count: int) -> list[Entity]:
    numbers = []
    for index in range(count):
        prefix = _SERVICE_NUMBERS[index % len(_SERVICE_NUMBERS)]
        digits = (12 if prefix.startswith("+1") else 13) - len(prefix)
        numbers.append(
            {
                "id": fake.hex_id(),
                "number": prefix + fake.digits(digits),
                "sms": not prefix.startswith(("+49800", "+44800")),
                "enabled": index < count - 1,
                "tags": fake.sample(_TAGS, 2, 2),
            }
        )
    return numbers


def _queues(fake: Fake, count: int) -> list[Entity]:
    return [
        {
            "id": fake.hex_id(),
            "name": _numbered(_QUEUE_NAMES, index),
            "maxDialCount": fake.choice((1, 1, 2, 3)),
            "wrapUpTime": fake.choice((15, 30, 30, 60, 90, 120)),
            "defaultRingTimeout": fake.choice((10, 15, 20, 30)),
            "maxSize": fake.choice((50, 100, 200, 500)),
            "tags": fake.sample(_TAGS, 1, 3),
        }
        for index in range(count)
    ]


def _prompt(key: str) -> Entity:
    return {"key": key, "enabled": True, "startDelay": 0, "endPause": 500}


def _settings(fake: Fake, module: str, queues: list[Entity], triggers: list[Entity]) -> Entity:
    language = fake.choice(("de-DE", "en-GB", "en-US"))
    if module == "simpleMenu":
        return {"prompts": [_prompt("main_menu")], "resultVariableName": "menu.choice", "readTimeout": 5,
                "maxRetries": 3, "menuItems": []}
    if module == "consumerQueue":
        return {"prompts": [_prompt("queue_welcome")], "queue": {"id": fake.choice(queues)["id"]},
                "trigger": {"id": fake.choice(triggers)["id"]}, "ringTime": fake.choice((20, 30, 45)),
                "record": fake.random() < 0.5}
    if module == "textToSpeech":
        return {"prompts": [], "text": "Thank you for calling. Your call is important to us.", "language": language,
                "gender": fake.choice(("female", "male")), "voice": "standard"}
    if module == "switchNode":
        return {"prompts": [], "enableSwitching": True,
                "triggers": [{"trigger": {"id": fake.choice(triggers)["id"]}, "priority": 1}]}
    if module == "transfer":
        return {"prompts": [_prompt("transfer_notice")], "number": fake.phone(), "timeout": 60}
    if module == "recording":
        return {"prompts": [_prompt("voicemail_greeting")], "beep": True, "maxDuration": 120, "tags": ["voicemail"]}
    if module in ("inputReader", "inputReader.v2"):
        return {"prompts": [_prompt("enter_number")], "resultVariableName": "app.customerNumber", "readTimeout": 8,
                "maxRetries": 2}
    if module == "speechToText":
        return {"prompts": [_prompt("say_intent")], "language": language, "model": "default"}
    if module == "agentic":
        return {"prompts": [], "maxDuration": 120, "maxIterations": 10, "speechToText": {"language": language}}
    if module == "agentQueue":
        return {"prompts": [], "ring": True, "bridgeDelay": 1}
    return {"prompts": [_prompt("hold_music" if module == "audioPlayer" else "welcome")]}


def _applications(fake: Fake, count: int, now: int, queues: list[Entity], triggers: list[Entity]) -> list[Entity]:
    queue_names = {queue["id"]: queue["name"] for queue in queues}
    applications = []
    for index in range(count):
        module = _MODULES[index % len(_MODULES)]
        settings = _settings(fake, module, queues, triggers)
        if module == "consumerQueue":
            name = f"{_MODULE_LABELS[module]}: {queue_names[settings['queue']['id']]}"
        else:
            name = f"{_MODULE_LABELS[module]} {index // len(_MODULES) + 1}"
        created, updated = _created(fake, now)
        applications.append(
            {
                "id": fake.hex_id(),
                "name": name,
                "friendlyName": name.lower().replace(" ", "-").replace(":", ""),
                "enabled": fake.random() < 0.9,
                "dateCreated": created,
                "lastUpdated": updated,
                "tags": fake.sample(_TAGS, 0, 2),
                "routings": [],
                "settings": settings,
                "module": module,
            }
        )
    return applications


def _business_hours(fake: Fake, count: int, now: int) -> list[Entity]:
    moment = datetime.fromtimestamp(now, UTC)
    hours = []
    for index in range(count):
        name, zone, days, start, end = _HOURS[index % len(_HOURS)]
        if index >= len(_HOURS):
            name = f"{name} {index // len(_HOURS) + 1}"
        local = moment.astimezone(ZoneInfo(zone))
        minute_of_day = local.hour * 60 + local.minute
        active = local.weekday() in days and start[0] * 60 + start[1] <= minute_of_day < end[0] * 60 + end[1]
        created, updated = _created(fake, now)
        hours.append(
            {
                "id": fake.hex_id(),
                "name": name,
                "enabled": True,
                "timeZone": zone,
                "active": active,
                "tags": fake.sample(_TAGS, 1, 1),
                "ranges": [
                    {
                        "id": fake.hex_id(),
                        "start": {"day": _WEEKDAYS[day], "hour": start[0], "minute": start[1]},
                        "end": {"day": _WEEKDAYS[day], "hour": end[0], "minute": end[1]},
                    }
                    for day in days
                ],
                "dateCreated": created,
                "lastUpdated": updated,
            }
        )
    return hours


def _triggers(fake: Fake, count: int) -> list[Entity]:
    triggers = []
    for index in range(count):
        base = index % len(_CONDITIONS)
        extra = fake.sample(_CONDITIONS, 0, 2)
        conditions = [_CONDITIONS[base], *(c for c in extra if c != _CONDITIONS[base])]
        triggers.append(
            {
                "id": fake.hex_id(),
                "name": _numbered(_TRIGGER_NAMES, index),
                "type": "ALL" if fake.random() < 0.7 else "ANY",
                "conditions": [
                    {"id": fake.hex_id(), "expression": expression, "operator": operator, "expectation": expectation}
                    for expression, operator, expectation in conditions
                ],
                "tags": fake.sample(_TAGS, 0, 2),
            }
        )
    return triggers


def _ref(entity: Entity, *keys: str) -> Entity:
    return {"id": entity["id"], "name": entity["name"], **{key: entity[key] for key in keys}}


def _call_flows(fake: Fake, count: int, now: int, config: Config) -> list[Entity]:
    """Invented resource: a call flow ties an entry application (routed from a number) to the
    applications, triggers and business hours it uses."""
    entries = [a for a in config.applications if a["module"] in ("simpleMenu", "switchNode", "promptPlayer")]
    flows = []
    for index in range(count):
        entry = entries[index % len(entries)]
        steps = fake.sample([a for a in config.applications if a is not entry], 2, 4)
        created, updated = _created(fake, now)
        flow: Entity = {
            "id": fake.hex_id(),
            "name": f"{fake.choice(_QUEUE_NAMES)} flow {index + 1}",
            "description": f"Routes callers through {entry['name'].lower()} to {steps[-1]['name'].lower()}.",
            "enabled": index < len(config.numbers),
            "entryApplication": _ref(entry, "module"),
            "applications": [_ref(app, "module") for app in (entry, *steps)],
            "triggers": [_ref(t) for t in fake.sample(config.triggers, 1, 3)],
            "businessHours": _ref(config.business_hours[index % len(config.business_hours)]),
            "tags": fake.sample(_TAGS, 0, 2),
            "dateCreated": created,
            "lastUpdated": updated,
        }
        if index < len(config.numbers):
            number = config.numbers[index]
            flow["number"] = {"id": number["id"], "number": number["number"]}
            entry["routings"].append({"id": fake.hex_id(), "number": dict(number)})
        flows.append(flow)
    return flows


def generate_config(fake: Fake, profile: SizeProfile, now: int) -> Config:
    """Generate numbers, queues, triggers, applications, business hours and call flows."""
    numbers = _numbers(fake, profile.numbers)
    queues = _queues(fake, profile.queues)
    triggers = _triggers(fake, profile.triggers)
    config = Config(
        numbers=numbers,
        queues=queues,
        applications=_applications(fake, profile.applications, now, queues, triggers),
        business_hours=_business_hours(fake, profile.business_hours, now),
        triggers=triggers,
        call_flows=[],
    )
    config.call_flows = _call_flows(fake, profile.call_flows, now, config)
    return config
