"""Customer activity: conversations, recordings, SMS and call sessions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .errors import not_found
from .listing import contains, dataset, equals, item_endpoint, list_endpoint
from .paging import item

CONVERSATION_FILTERS = {"phone": contains("phone"), "state": equals("state")}
SMS_FILTERS = {"type": equals("type"), "state": equals("state"), "agentId": equals("agentId"),
               "conversationId": equals("conversationId")}  # fmt: skip
RECORDING_FILTERS = {"state": equals("state"), "callId": lambda recording, wanted: recording["call"]["id"] in wanted}


async def session(request: Request) -> Response:
    """``GET /api/v2/sessions/{id}``: a call session and its variables (``SessionResponse``)."""
    session_id = request.path_params["id"]
    found = dataset(request).session(session_id)
    if found is None:
        raise not_found("session", session_id)
    return item(found)


ROUTES = [
    Route("/api/v2/conversations", list_endpoint("conversations", CONVERSATION_FILTERS), methods=["GET"]),
    Route("/api/v2/conversations/{id}", item_endpoint("conversations", "conversation"), methods=["GET"]),
    Route("/api/v2/recordings", list_endpoint("recordings", RECORDING_FILTERS), methods=["GET"]),
    Route("/api/v2/recordings/{id}", item_endpoint("recordings", "recording"), methods=["GET"]),
    Route("/api/v2/sms", list_endpoint("sms", SMS_FILTERS), methods=["GET"]),
    Route("/api/v2/sms/{id}", item_endpoint("sms", "sms"), methods=["GET"]),
    Route("/api/v2/sessions/{id}", session, methods=["GET"]),
]
