"""Writes to customer activity: create conversations and sessions, send SMS, set session variables."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .data import Dataset
from .errors import VALIDATION_ERROR, ApiError, not_found
from .fields import Invalid, json_body, json_object, mapping, one_of, phone, shown, text
from .listing import Entity, dataset
from .paging import item

CONVERSATION_STATES = ("open", "closed")
_SCALARS = (str, int, float, bool)


def _variables(variables: Entity, prefix: str = "") -> Entity:
    """A flat variable map: every value a string, number, boolean or null (null deletes on update)."""
    for key, value in variables.items():
        if value is not None and not isinstance(value, _SCALARS):
            raise Invalid(f"{prefix}{key}", f"must be a string, number, boolean or null, got {shown(value)}")
    return variables


def _now_ms(data: Dataset) -> int:
    return int(data.clock() * 1000)


def _new_conversation(data: Dataset, phone_number: str | None, state: str) -> Entity:
    conversation: Entity = {"id": secrets.token_hex(16), "dateCreated": data.timestamp(), "state": state}
    if phone_number is not None:
        conversation["phone"] = phone_number
    return data.add("conversations", conversation, newest_first=True)


async def create_conversation(request: Request) -> Response:
    """``POST /api/v2/conversations`` ``{state, phone}`` (both optional; state ``open`` by default) → 201."""
    data = dataset(request)
    body = await json_object(request, empty_ok=True)
    state = one_of(body, "state", CONVERSATION_STATES) or "open"
    return item(_new_conversation(data, phone(body, "phone"), state), 201)


def _sender(data: Dataset) -> str:
    """The account's first enabled SMS-capable number (the default ``from``)."""
    return next(number["number"] for number in data.numbers if number["sms"] and number["enabled"])


async def send_sms(request: Request) -> Response:
    """``POST /api/v2/sms`` ``{to, text, from, displayAs, session}`` → 200 ``{item: Sms}``. ``to`` must be
    E.164; the SMS joins the newest conversation with that phone (or a new one), and ``session``
    variables are merged into that conversation's session (session id = conversation id)."""
    data = dataset(request)
    body = await json_object(request)
    to = phone(body, "to", required=True, e164=True)
    message = text(body, "text", required=True)
    sender = text(body, "from") or _sender(data)
    text(body, "displayAs")
    variables = _variables(mapping(body, "session") or {}, "session.")
    conversation = next((c for c in data.conversations if c.get("phone") == to), None)
    if conversation is None:
        conversation = _new_conversation(data, to, "open")
    sms = {"id": secrets.token_hex(16), "conversationId": conversation["id"], "dateCreated": data.timestamp(),
           "type": "outbound", "from": sender, "to": to, "state": "sent", "source": "api", "text": message}
    data.add("sms", sms, newest_first=True)
    if variables:
        now = _now_ms(data)
        session = data.session(conversation["id"]) or data.sessions.create({}, now, conversation["id"])
        data.sessions.update(session, variables, now)
    return item(sms)


async def create_session(request: Request) -> Response:
    """``POST /api/v2/sessions``: a new session; a JSON object body gives its initial variables → 200."""
    data = dataset(request)
    body = await json_body(request)
    if body is not None and not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object of session variables", VALIDATION_ERROR)
    return item(data.sessions.create(_variables(body or {}), _now_ms(data)))


async def update_session(request: Request) -> Response:
    """``PUT /api/v2/sessions/{id}``: merge a flat key/value map into the variables; null deletes a key."""
    data = dataset(request)
    session_id = request.path_params["id"]
    session = data.session(session_id)
    if session is None:
        raise not_found("session", session_id)
    changes = _variables(await json_object(request, empty_ok=True))
    return item(data.sessions.update(session, changes, _now_ms(data)))


ROUTES = [
    Route("/api/v2/conversations", create_conversation, methods=["POST"]),
    Route("/api/v2/sms", send_sms, methods=["POST"]),
    Route("/api/v2/sessions", create_session, methods=["POST"]),
    Route("/api/v2/sessions/{id}", update_session, methods=["PUT"]),
]
