"""Text messages: conversations (listed under the array key ``conversations``), one conversation with
its paginated messages, sending an SMS or MMS, and fetching MMS media."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .body import form_or_json_body, require, text
from .catalog import OPT_OUT_NOTICE, OPT_OUT_WORDS
from .conversations_model import add_message, message, new_conversation
from .data import Dataset
from .dates import window, within
from .errors import ApiError, invalid, not_found
from .listing import base_url, dataset, search
from .paging import link_header, offset_envelope, offset_page
from .params import requested_fields, time_zone
from .phones import us_ca_number
from .routes_companies import company_of
from .views import conversation_view, recent_messages

Entity = dict[str, Any]
MAX_LENGTH = 140
MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif")
MAX_MEDIA_BYTES = 5 * 1024 * 1024
BOTH_MEDIA = "Provide either media_url or media_file, not both"


def conversation_of(data: Dataset, conversation_id: str) -> Entity:
    """The conversation ``conversation_id``; 404 when unknown."""
    conversation = data.get("conversations", conversation_id)
    if conversation is None:
        raise not_found("Conversation")
    return conversation


async def list_conversations(request: Request) -> Response:
    """``GET /text-messages.json``: conversations, newest first, each with its two latest messages;
    ``company_id``, date filters (last 7 days by default) and ``search``."""
    data = dataset(request)
    params = request.query_params
    span = window(params, data.now(), time_zone(params, data.user_time_zone), "recent")
    conversations = within(data.conversations, span)
    if params.get("company_id"):
        conversations = [item for item in conversations if item["company_id"] == params["company_id"]]
    conversations = search(conversations, request, ("customer_phone_number", "customer_name"))
    fields = requested_fields(params)
    return offset_page(request, conversations, "conversations",
                       lambda item: {**conversation_view(data, item, fields), "recent_messages": recent_messages(item)})


async def get_conversation(request: Request) -> Response:
    """One conversation with its messages, newest first, paginated like a list (``messages``)."""
    data = dataset(request)
    conversation = conversation_of(data, request.path_params["conversation_id"])
    page, following = offset_envelope(request, conversation["_messages"][::-1], "messages", dict)
    head = conversation_view(data, conversation, requested_fields(request.query_params))
    return JSONResponse({**head, **page}, headers=link_header(following))


def _media(data: Dataset, request: Request, body: Entity, files: dict[str, tuple[str, bytes]]) -> list[str]:
    """Store the MMS attachment (URL or upload) and return its media URLs (empty for an SMS)."""
    url = text(body, "media_url")
    upload = files.get("media_file")
    if url and upload:
        raise ApiError(422, BOTH_MEDIA)
    if not url and not upload:
        return []
    if upload and (upload[0] not in MEDIA_TYPES or len(upload[1]) > MAX_MEDIA_BYTES):
        raise invalid("media_file", "must be a JPEG, PNG or GIF image of at most 5 MB")
    resource = data.fake.prefixed_id("SCI")
    data.media[(resource, 0)] = (upload[0], upload[1]) if upload else ("url", url or "")
    return [f"{base_url(request)}/v3/a/{data.account['id']}/text-messages/{resource}/media/0"]


async def send_text(request: Request) -> Response:
    """``POST /text-messages.json``: ``company_id``, ``customer_phone_number``, ``content`` (≤ 140
    characters) and ``tracking_number`` (optional when a conversation with the customer exists);
    ``media_url`` or a multipart ``media_file`` makes it an MMS (both → 422) → 201 and the conversation."""
    data = dataset(request)
    body, files = await form_or_json_body(request)
    require(body, "company_id", "customer_phone_number", "content")
    company = company_of(data, str(body["company_id"]))
    customer = us_ca_number(body["customer_phone_number"])
    if customer is None:
        raise invalid("customer_phone_number", "must be a valid 10 digit US or Canadian number")
    content = text(body, "content") or ""
    if len(content) > MAX_LENGTH:
        raise invalid("content", f"must be at most {MAX_LENGTH} characters, got {len(content)}")
    existing = next((item for item in data.conversations
                     if item["company_id"] == company["id"] and item["customer_phone_number"] == customer), None)
    tracker, number = _sending_number(data, company, body, existing)
    media_urls = _media(data, request, body, files)
    now = data.now()
    conversation = existing
    if conversation is None:
        conversation = new_conversation(_new_id(data), company, tracker, number, customer, None,
                                        data.person_id(company["id"], customer))  # fmt: skip
        data.add("conversations", conversation, newest_first=True)
    if not any(item["direction"] == "outgoing" for item in conversation["_messages"]) and \
            not any(word in content.upper() for word in OPT_OUT_WORDS):
        content += OPT_OUT_NOTICE
    message_id = max((sent["id"] for item in data.conversations for sent in item["_messages"]), default=1) + 1
    user = data.get("users", data.key_user_id)
    add_message(conversation, message(message_id, "outgoing", content, now, user, media_urls), now)
    conversation.update({"current_tracker_id": tracker["id"], "current_tracking_number": number, "state": "active"})
    data.conversations.remove(conversation)
    data.conversations.insert(0, conversation)
    view = {**conversation_view(data, conversation), "recent_messages": recent_messages(conversation)}
    return JSONResponse(view, status_code=201)


def _sending_number(data: Dataset, company: Entity, body: Entity, existing: Entity | None) -> tuple[Entity, str]:
    """The SMS-enabled tracker and number to send from: ``tracking_number``, or the conversation's."""
    if body.get("tracking_number") in (None, ""):
        if existing is None:
            raise ApiError(400, "Missing required parameter: tracking_number")
        return data.by_id["trackers"][existing["current_tracker_id"]], existing["current_tracking_number"]
    number = us_ca_number(body["tracking_number"])
    if number is None:
        raise invalid("tracking_number", "must be a valid 10 digit US or Canadian number")
    for tracker in data.trackers:
        if tracker["_company_id"] == company["id"] and number in tracker["tracking_numbers"]:
            if tracker["status"] != "active" or not tracker["sms_enabled"]:
                raise invalid("tracking_number", "texting is not enabled on this tracking number")
            return tracker, number
    raise invalid("tracking_number", "is not a tracking number of this company")


def _new_id(data: Dataset) -> str:
    while (conversation_id := data.fake.short_id()) in data.by_id["conversations"]:
        pass
    return conversation_id


async def get_media(request: Request) -> Response:
    """An MMS attachment sent through the emulator: the uploaded bytes, or a redirect to its URL."""
    data = dataset(request)
    stored = data.media.get((request.path_params["resource_id"], int(request.path_params["index"])))
    if stored is None:
        raise not_found("Media")
    kind, content = stored
    if kind == "url":
        return RedirectResponse(str(content), status_code=302)
    return Response(content, media_type=kind)


ROUTES = [
    Route("/v3/a/{account_id}/text-messages.json", list_conversations, methods=["GET"]),
    Route("/v3/a/{account_id}/text-messages.json", send_text, methods=["POST"]),
    Route("/v3/a/{account_id}/text-messages/{conversation_id}.json", get_conversation, methods=["GET"]),
    Route("/v3/a/{account_id}/text-messages/{resource_id}/media/{index:int}", get_media, methods=["GET"]),
]
