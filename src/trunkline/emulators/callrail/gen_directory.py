"""The account, its companies, users and tags, and each company's pool of customers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .catalog import ACCOUNT_TAGS, AGENCY_NAMES, BUSINESSES, COMPANY_TAGS, TAG_COLORS
from .credentials import Credentials
from .fake import Fake
from .phones import AREAS
from .timefmt import local_stamp, utc_stamp

Entity = dict[str, Any]
COMPANY_COUNT = 5
CUSTOMERS_PER_COMPANY = 90
USER_TIME_ZONE = "America/New_York"
_ROLES = ("admin", "manager", "manager", "reporting", "reporting", "reporting", "manager", "reporting", "admin")


@dataclass(frozen=True)
class Customer:
    """Someone who calls, texts or fills in forms: a name and a phone number."""

    first: str
    last: str
    phone: str


@dataclass
class Directory:
    """The generated account, companies (the last one disabled), users (the first owns the API key),
    tags and customers per company id."""

    account: Entity
    companies: list[Entity]
    users: list[Entity]
    tags: list[Entity]
    customers: dict[str, list[Customer]]
    user_time_zone: str


def generate_directory(fake: Fake, anchor: datetime, credentials: Credentials) -> Directory:
    """Generate the account-level data for one seed."""
    agency = fake.choice(AGENCY_NAMES)
    domain = agency.lower().replace(" ", "") + ".example"
    account = {"id": credentials.account_id, "name": agency, "outbound_recording_enabled": True,
               "hipaa_account": False, "numeric_id": credentials.numeric_account_id}  # fmt: skip
    businesses = fake.sample(BUSINESSES, COMPANY_COUNT)
    companies = [_company(fake, anchor, business, disabled=index == COMPANY_COUNT - 1)
                 for index, business in enumerate(businesses)]  # fmt: skip
    customers = {company["id"]: _customers(fake, company["_area"]) for company in companies}
    users = _users(fake, anchor, domain, companies)
    tags = _tags(fake, anchor, companies)
    return Directory(account, companies, users, tags, customers, USER_TIME_ZONE)


def new_company(fake: Fake, now: datetime, name: str, time_zone: str, area: str, domain: str) -> Entity:
    """A freshly created company (also used by ``POST /companies.json``)."""
    return {
        "id": fake.prefixed_id("COM"), "name": name, "status": "active", "time_zone": time_zone,
        "created_at": utc_stamp(now), "disabled_at": None, "dni_active": None,
        "script_url": f"//cdn.callrail.com/companies/{fake.randint(100_000_000, 999_999_999)}/"
                      f"{fake.hex32()[:20]}/12/swap.js",
        "callscore_enabled": False, "lead_scoring_enabled": False, "swap_exclude_jquery": None,
        "swap_ppc_override": None, "swap_landing_override": None, "swap_cookie_duration": 6,
        "swap_cookie_duration_unit": "months", "callscribe_enabled": False, "keyword_spotting_enabled": False,
        "form_capture": False, "verified_caller_ids": [], "_area": area, "_domain": domain, "_created": now,
        "_disabled": None,
    }  # fmt: skip


def _company(fake: Fake, anchor: datetime, business: tuple[str, str, str, str], disabled: bool) -> Entity:
    name, area, time_zone, domain = business
    created = anchor - timedelta(days=fake.randint(400, 1500), seconds=fake.randint(0, 86_399),
                                 milliseconds=fake.randint(0, 999))  # fmt: skip
    company = new_company(fake, created, name, time_zone, area, domain)
    company.update({
        "dni_active": fake.chance(0.8), "callscore_enabled": fake.chance(0.3), "lead_scoring_enabled": True,
        "callscribe_enabled": fake.chance(0.4), "form_capture": not disabled or fake.chance(0.5),
        "swap_cookie_duration": fake.choice((6, 30, 90)),
        "verified_caller_ids": [{"name": "Main Office", "phone_number": fake.phone(area)}],
    })  # fmt: skip
    company["swap_cookie_duration_unit"] = "months" if company["swap_cookie_duration"] == 6 else "days"
    if disabled:
        moment = anchor - timedelta(days=fake.randint(20, 40), seconds=fake.randint(0, 86_399))
        company.update({"status": "disabled", "disabled_at": utc_stamp(moment), "dni_active": False,
                        "_disabled": moment})  # fmt: skip
    return company


def _customers(fake: Fake, home_area: str) -> list[Customer]:
    areas = list(AREAS)
    people = []
    for _ in range(CUSTOMERS_PER_COMPANY):
        first, last = fake.person()
        area = home_area if fake.chance(0.75) else fake.choice(areas)
        people.append(Customer(first, last, fake.phone(area)))
    return people


def _users(fake: Fake, anchor: datetime, domain: str, companies: list[Entity]) -> list[Entity]:
    active = [company["id"] for company in companies if company["status"] == "active"]
    users = []
    for index, role in enumerate(_ROLES):
        first, last = fake.person()
        created = anchor - timedelta(days=fake.randint(30, 1200), seconds=fake.randint(0, 86_399),
                                     milliseconds=fake.randint(0, 999))  # fmt: skip
        company_ids = [] if role == "admin" else fake.sample(active, fake.randint(1, 3))
        users.append({
            "id": fake.prefixed_id("USR"), "email": f"{first}.{last}{index}@{domain}".lower(),
            "created_at": utc_stamp(created), "role": role, "first_name": first, "last_name": last,
            "name": f"{first} {last}", "accepted": index == 0 or fake.chance(0.8), "_company_ids": company_ids,
        })  # fmt: skip
    return users


def new_tag(tag_id: int, name: str, company: Entity | None, color: str, now: datetime, zone: str) -> Entity:
    """A tag at company level (``company`` given) or account level (``company`` None)."""
    return {"id": tag_id, "name": name, "tag_level": "company" if company else "account", "color": color,
            "background_color": color, "company_id": company["id"] if company else None, "status": "enabled",
            "created_at": local_stamp(now, company["time_zone"] if company else zone)}  # fmt: skip


def _tags(fake: Fake, anchor: datetime, companies: list[Entity]) -> list[Entity]:
    tags = []
    tag_id = fake.randint(900_000, 2_000_000)
    owners: list[tuple[Entity | None, str]] = [(None, name) for name in ACCOUNT_TAGS]
    for company in companies:
        owners += [(company, name) for name in fake.sample(COMPANY_TAGS, fake.randint(3, 5))]
    for company, name in owners:
        tag_id += fake.randint(1, 40_000)
        created = anchor - timedelta(days=fake.randint(30, 600), seconds=fake.randint(0, 86_399))
        tag = new_tag(tag_id, name, company, fake.choice(TAG_COLORS), created, USER_TIME_ZONE)
        if fake.chance(0.08):
            tag["status"] = "disabled"
        tags.append(tag)
    return tags
