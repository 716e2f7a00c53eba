"""What each resource looks like on the wire: its default fields, the extra fields ``fields=`` may
add, and the values computed at read time (company names, tags, recording URLs). Unknown names in
``fields=`` are ignored."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .data import Dataset

Entity = dict[str, Any]

ACCOUNT_FIELDS = ("id", "name", "outbound_recording_enabled", "hipaa_account")
ACCOUNT_EXTRA = ("numeric_id",)
COMPANY_FIELDS = ("id", "name", "status", "time_zone", "created_at", "disabled_at", "dni_active", "script_url",
                  "callscore_enabled", "lead_scoring_enabled", "swap_exclude_jquery", "swap_ppc_override",
                  "swap_landing_override", "swap_cookie_duration", "swap_cookie_duration_unit",
                  "callscribe_enabled", "keyword_spotting_enabled", "form_capture")  # fmt: skip
COMPANY_EXTRA = ("verified_caller_ids",)
TRACKER_FIELDS = ("id", "name", "type", "status", "destination_number", "tracking_numbers", "whisper_message",
                  "sms_enabled", "sms_supported", "company", "call_flow", "source", "created_at", "disabled_at",
                  "message_flow")  # fmt: skip
TRACKER_EXTRA = ("campaign_name", "swap_targets")
CALL_FIELDS = ("answered", "business_phone_number", "customer_city", "customer_country", "customer_name",
               "customer_phone_number", "customer_state", "direction", "duration", "id", "recording",
               "recording_duration", "recording_player", "start_time", "tracking_phone_number", "voicemail",
               "agent_email")  # fmt: skip
CALL_COMPUTED = ("company_name", "company_time_zone", "source_name", "tags", "formatted_value")
CONVERSATION_FIELDS = ("id", "company_id", "initial_tracker_id", "current_tracker_id", "customer_name",
                       "customer_phone_number", "initial_tracking_number", "current_tracking_number",
                       "last_message_at", "state", "company_time_zone", "formatted_customer_phone_number",
                       "formatted_initial_tracking_number", "formatted_current_tracking_number",
                       "formatted_customer_name")  # fmt: skip
CONVERSATION_EXTRA = ("lead_status", "source")
RECENT_MESSAGE_FIELDS = ("direction", "content", "created_at", "type", "media_urls")
FORM_CREATED_FIELDS = ("id", "company_id", "person_id", "form_data", "form_url", "landing_page_url", "referrer",
                       "referring_url", "submitted_at", "first_form")  # fmt: skip
FORM_FIELDS = (*FORM_CREATED_FIELDS, "customer_phone_number", "customer_name", "customer_email",
               "formatted_customer_phone_number", "formatted_customer_name", "source", "keywords", "campaign",
               "medium")  # fmt: skip
FORM_EXTRA = ("company_name", "lead_status", "value", "note", "tags", "utm_source", "utm_medium", "utm_campaign",
              "form_name", "timeline_url", "milestones")  # fmt: skip
TAG_FIELDS = ("id", "name", "tag_level", "color", "background_color", "company_id", "status", "created_at")
USER_FIELDS = ("email", "id", "created_at", "role", "first_name", "last_name", "name")


def select(entity: Entity, defaults: Sequence[str], extra: Iterable[str], requested: Sequence[str]) -> Entity:
    """``defaults`` plus the requested names that are in ``extra``, in that order."""
    allowed = set(extra)
    names = [*defaults, *(name for name in requested if name in allowed and name not in defaults)]
    return {name: entity.get(name) for name in names}


def account_view(account: Entity, requested: Sequence[str]) -> Entity:
    """An account."""
    return select(account, ACCOUNT_FIELDS, ACCOUNT_EXTRA, requested)


def company_view(company: Entity, requested: Sequence[str] = ()) -> Entity:
    """A company."""
    return select(company, COMPANY_FIELDS, COMPANY_EXTRA, requested)


def company_brief(data: Dataset, company_id: str | None) -> Entity | None:
    """``{id, name}`` of a company (None for None)."""
    company = data.get("companies", company_id) if company_id else None
    return {"id": company["id"], "name": company["name"]} if company else None


def tracker_view(data: Dataset, tracker: Entity, requested: Sequence[str] = ()) -> Entity:
    """A tracker, with its company as ``{id, name}``."""
    return select({**tracker, "company": company_brief(data, tracker["_company_id"])}, TRACKER_FIELDS,
                  TRACKER_EXTRA, requested)  # fmt: skip


def tag_names(data: Dataset, tag_ids: list[int]) -> list[Entity]:
    """The ``tags`` of a call or form: ``[{id, name}]`` of tags that still exist."""
    return [{"id": tag["id"], "name": tag["name"]} for tag_id in tag_ids if (tag := data.get("tags", tag_id))]


def _money(value: float | None) -> str:
    return f"${value:,.2f}" if value is not None else "--"


def recording_url(data: Dataset, call: Entity, base_url: str) -> str | None:
    """The API URL of a call's recording (on this emulator), or None when it was not recorded."""
    if not call["_recorded"]:
        return None
    return f"{base_url}/v3/a/{data.credentials.numeric_account_id}/calls/{call['id']}/recording.json"


def call_view(data: Dataset, call: Entity, requested: Sequence[str], base_url: str) -> Entity:
    """A call: the 17 default fields plus any stored or computed field asked for."""
    company = data.get("companies", call["company_id"]) or {}
    tracker = data.get("trackers", call["tracker_id"]) if call["tracker_id"] else None
    computed = {
        "recording": recording_url(data, call, base_url), "company_name": company.get("name"),
        "company_time_zone": company.get("time_zone"), "source_name": tracker["name"] if tracker else None,
        "tags": tag_names(data, call["_tag_ids"]), "formatted_value": _money(call["value"]),
    }  # fmt: skip
    extra = [name for name in call if not name.startswith("_")] + list(CALL_COMPUTED)
    return select({**call, **computed}, CALL_FIELDS, extra, requested)


def conversation_view(data: Dataset, conversation: Entity, requested: Sequence[str] = ()) -> Entity:
    """A conversation without its messages."""
    company = data.get("companies", conversation["company_id"]) or {}
    return select({**conversation, "company_time_zone": company.get("time_zone")}, CONVERSATION_FIELDS,
                  CONVERSATION_EXTRA, requested)  # fmt: skip


def recent_messages(conversation: Entity) -> list[Entity]:
    """The two newest messages, newest first, in the short list shape."""
    return [select(message, RECENT_MESSAGE_FIELDS, (), ()) for message in conversation["_messages"][::-1][:2]]


def form_view(data: Dataset, form: Entity, requested: Sequence[str] = (), created: bool = False) -> Entity:
    """A form submission (``created``: the shorter shape the create endpoint answers with)."""
    company = data.get("companies", form["company_id"]) or {}
    full = {**form, "company_name": company.get("name"), "tags": tag_names(data, form["_tag_ids"])}
    return select(full, FORM_CREATED_FIELDS if created else FORM_FIELDS, FORM_EXTRA, requested)


def tag_view(tag: Entity) -> Entity:
    """A tag."""
    return select(tag, TAG_FIELDS, (), ())


def user_view(data: Dataset, user: Entity, listed: bool = False) -> Entity:
    """A user with the companies it can access (admins: all); lists also carry ``accepted``."""
    view = select(user, USER_FIELDS, (), ())
    if listed:
        view["accepted"] = user["accepted"]
    view["companies"] = [company_brief(data, company_id) for company_id in user_company_ids(data, user)]
    return view


def user_company_ids(data: Dataset, user: Entity) -> list[str]:
    """The ids of the companies ``user`` can access."""
    if user["role"] == "admin":
        return [company["id"] for company in data.companies]
    return [company_id for company_id in user["_company_ids"] if data.get("companies", company_id)]
