"""Website form submissions of the companies that capture forms, over sixty days."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .attribution import attribution, touch
from .fake import Fake
from .forms_model import new_form_submission
from .gen_directory import Directory
from .leads import People, lead_id

Entity = dict[str, Any]
FORM_DAYS = 60
_REFERRERS = ("google_paid", "google_organic", "bing_paid", "facebook", "direct")
_SERVICES = ("Repair", "Installation", "Consultation", "Maintenance", "Estimate")
_TIMES = ("morning", "afternoon", "evening")


def generate_forms(fake: Fake, anchor: datetime, directory: Directory, people: People) -> list[Entity]:
    """Form submissions, newest first."""
    forms: list[Entity] = []
    for company in directory.companies:
        if not company["form_capture"]:
            continue
        end = company["_disabled"] or anchor
        for _ in range(fake.randint(25, 40)):
            moment = anchor - timedelta(days=fake.uniform(0.01, FORM_DAYS))
            if moment < end:
                forms.append(_form(fake, moment, company, directory, people))
    forms.sort(key=lambda form: form["_epoch"], reverse=True)
    seen: set[str] = set()
    for form in reversed(forms):
        form["first_form"] = form["person_id"] != "anonymous" and form["person_id"] not in seen
        seen.add(form["person_id"])
    return forms


def _form(fake: Fake, moment: datetime, company: Entity, directory: Directory, people: People) -> Entity:
    customer = fake.choice(directory.customers[company["id"]])
    data: Entity = {"name": f"{customer.first} {customer.last}",
                    "email": f"{customer.first}.{customer.last}@mail.example".lower(),
                    "service": fake.choice(_SERVICES), "best_time_to_call": fake.choice(_TIMES)}  # fmt: skip
    if fake.chance(0.8):
        digits = customer.phone[2:]
        data["phone"] = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    key = fake.choice(_REFERRERS)
    fields = attribution(fake, key, company["_domain"], web=True)
    person = lead_id(people, fake, company["id"], customer.phone) if "phone" in data else "anonymous"
    body = {"form_data": data, "form_url": f"https://www.{company['_domain']}/contact", "referrer": key,
            "landing_page_url": fields["landing_page_url"], "referring_url": fields["referring_url"]}  # fmt: skip
    form = new_form_submission(fake.prefixed_id("FOR"), company["id"], person, False, body, moment)
    form.update({"keywords": fields["keywords"], "campaign": fields["campaign"], "utm_source": fields["utm_source"],
                 "utm_medium": fields["utm_medium"], "utm_campaign": fields["utm_campaign"],
                 "form_name": "Contact Us"})  # fmt: skip
    this_touch = touch(fields, moment, company["time_zone"])
    form["milestones"].update({"first_touch": this_touch, "lead_created": this_touch, "last_touch": this_touch})
    if fake.chance(0.3):
        form["lead_status"] = fake.choice(("good_lead", "not_a_lead"))
    return form
