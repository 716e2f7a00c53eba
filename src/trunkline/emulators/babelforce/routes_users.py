"""Users: the manager user list, the caller's own user and account (User API), and SCIM 2.0 Users."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .data import Dataset
from .errors import ApiError, not_found
from .listing import Entity, dataset, item_endpoint, principal
from .paging import item, scim_list, single_page

SCIM_USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
_SCIM_FILTER = re.compile(r'^\s*([A-Za-z.]+)\s+eq\s+"?([^"]*)"?\s*$', re.IGNORECASE)


async def users(request: Request) -> Response:
    """``GET /api/v2/users``: every user on one page (no paging parameters); ``email`` filters."""
    params = request.query_params
    wanted = [email.lower() for email in params.getlist("email") if email]
    found = dataset(request).users
    if wanted:
        found = [user for user in found if user["email"].lower() in wanted]
    return single_page(found)


def _caller(request: Request) -> Entity:
    return dataset(request).by_id["users"][principal(request).user_id]


async def me(request: Request) -> Response:
    """``GET /api/v2/user/me``: the caller's user and company."""
    user, customer = _caller(request), dataset(request).customer
    return item({"id": user["id"], "username": user["email"], "roles": user["roles"],
                 "account": {"id": customer["id"], "company": customer["company"]}})  # fmt: skip


async def account(request: Request) -> Response:
    """``GET /api/v2/user/account``: the caller's user and the customer account, including the
    legacy API keys under ``customer.apis.babelforce``."""
    user, customer = _caller(request), dataset(request).customer
    return item({"user": {"id": user["id"], "username": user["email"], "roles": user["roles"], "expired": False},
                 "customer": customer})  # fmt: skip


def _external_id(data: Dataset, user: Entity) -> str:
    """The SCIM ``externalId``: the linked agent's source id, or the one given at SCIM creation ("" if none)."""
    return user.get("agent", {}).get("sourceId") or data.user_profiles[user["id"]].get("externalId", "")


def scim_user(request: Request, user: Entity) -> Entity:
    """A user as an RFC 7643 core ``User`` resource."""
    profile = dataset(request).user_profiles[user["id"]]
    resource: Entity = {"schemas": [SCIM_USER_SCHEMA], "id": user["id"]}
    external_id = _external_id(dataset(request), user)
    if external_id:
        resource["externalId"] = external_id
    resource.update(
        {
            "userName": user["email"],
            "name": {
                "givenName": profile["givenName"],
                "familyName": profile["familyName"],
                "formatted": f"{profile['givenName']} {profile['familyName']}",
            },
            "displayName": f"{profile['givenName']} {profile['familyName']}",
            "emails": [{"value": user["email"], "type": "work", "primary": True}],
            "roles": [{"value": role} for role in user["roles"]],
            "active": user["enabled"],
            "meta": {
                "resourceType": "User",
                "created": profile["dateCreated"],
                "lastModified": profile["lastUpdated"],
                "location": f"{str(request.base_url).rstrip('/')}/auth/scim/v2/Users/{user['id']}",
            },
        }
    )
    return resource


def _scim_filter(data: Dataset, users_: list[Entity], expression: str) -> list[Entity]:
    """Apply ``userName``/``emails.value``/``externalId``/``active`` ``eq`` filters (case-insensitive)."""
    match = _SCIM_FILTER.match(expression)
    if match is None:
        raise ApiError(400, f"unsupported filter '{expression}': use 'attribute eq \"value\"'")
    attribute, value = match.group(1).lower(), match.group(2).lower()
    if attribute in ("username", "emails.value", "emails"):
        return [user for user in users_ if user["email"].lower() == value]
    if attribute == "externalid":
        return [user for user in users_ if _external_id(data, user).lower() == value]
    if attribute == "active":
        return [user for user in users_ if str(user["enabled"]).lower() == value]
    raise ApiError(400, f"cannot filter on '{match.group(1)}': use userName, emails.value, externalId or active")


async def scim_users(request: Request) -> Response:
    """``GET /auth/scim/v2/Users``: a SCIM ListResponse (``startIndex``/``count``, ``filter``)."""
    data = dataset(request)
    found = data.users
    expression = request.query_params.get("filter")
    if expression:
        found = _scim_filter(data, found, expression)
    return scim_list(request, found, lambda user: scim_user(request, user))


async def scim_user_item(request: Request) -> Response:
    """``GET /auth/scim/v2/Users/{id}``: one SCIM User."""
    user_id = request.path_params["id"]
    user = dataset(request).by_id["users"].get(user_id)
    if user is None:
        raise not_found("user", user_id)
    return JSONResponse(scim_user(request, user), media_type="application/scim+json")


ROUTES = [
    Route("/api/v2/users", users, methods=["GET"]),
    Route("/api/v2/users/{id}", item_endpoint("users", "user"), methods=["GET"]),
    Route("/api/v2/user/me", me, methods=["GET"]),
    Route("/api/v2/user/account", account, methods=["GET"]),
    Route("/auth/scim/v2/Users", scim_users, methods=["GET"]),
    Route("/auth/scim/v2/Users/{id}", scim_user_item, methods=["GET"]),
]
