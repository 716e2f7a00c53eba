"""Generate v3 task-automation tasks (UUID ids, epoch-millisecond times)."""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, Any

from .fake import Fake, Weighted

if TYPE_CHECKING:
    from .data import SizeProfile

Entity = dict[str, Any]

_DAY = 86_400
_TYPES = Weighted(
    ("babelforce.call.inbound", "babelforce.callback", "babelforce.sms.inbound", "zendesk.ticket", "email.inbound"),
    (35, 25, 15, 15, 10),
)
_STATES = Weighted(
    ("Completed", "Canceled", "Failed", "Pending", "Assigned", "Processing", "Scheduled", "Rescheduled", "Selecting",
     "Accepted", "Rejected"),
    (55, 8, 4, 5, 5, 4, 8, 2, 4, 3, 2),
)
_WITH_AGENT = ("Completed", "Pending", "Assigned", "Processing", "Accepted", "Rejected")
_SUBJECTS = ("Callback request", "Order status", "Invoice question", "Cancel contract", "Address change",
             "Technical issue", "Upgrade offer")


def _body(fake: Fake, task_type: str, call: Entity) -> Entity:
    subject = fake.choice(_SUBJECTS)
    if task_type == "zendesk.ticket":
        return {"ticketId": fake.randint(10_000, 99_999), "subject": subject, "priority": fake.choice(("low", "normal",
                                                                                                        "high"))}
    if task_type == "email.inbound":
        return {"from": "customer@example.org", "subject": subject}
    return {"callId": call["id"], "number": call["from"] if call["type"] == "inbound" else call["to"],
            "subject": subject}


def generate_tasks(fake: Fake, profile: SizeProfile, now: int, customer_id: str, agents: list[Entity],
                   queues: list[Entity], calls: list[Entity]) -> list[Entity]:
    """``profile.tasks`` tasks over the last ``profile.days`` days, newest first."""
    top_level = [call for call in calls if "parentId" not in call]
    tasks = []
    for _ in range(profile.tasks):
        created = now - fake.randint(0, profile.days * _DAY)
        task_type = fake.weighted(_TYPES)
        state = fake.weighted(_STATES)
        call = fake.choice(top_level)
        task: Entity = {
            "id": fake.uuid(),
            "queue_id": fake.choice(queues)["id"],
            "session_id": call["sessionId"],
            "customer_id": customer_id,
        }
        if state in _WITH_AGENT:
            task["agent_id"] = fake.choice(agents)["id"]
        scheduled = "now" if state != "Scheduled" else f"at {(now + fake.randint(1, 48) * 3600) * 1000}"
        task.update(
            {
                "created_at": created * 1000 + fake.randint(0, 999),
                "body": _body(fake, task_type, call),
                "type": task_type,
                "state": state,
                "actions": [],
                "task_completion": {"autoComplete": task_type == "email.inbound"},
                "selection_settings": {"enable": True, "auto_accept": False, "priority": fake.choice((0, 0, 128, 256))},
                "scheduled_at": scheduled,
                "has_error": state == "Failed",
            }
        )
        tasks.append(task)
    tasks.sort(key=itemgetter("created_at", "id"), reverse=True)
    return tasks
