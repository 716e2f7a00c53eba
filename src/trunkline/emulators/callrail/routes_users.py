"""Users: list, get, create (answers 200, as documented), update and delete."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .body import json_body, require, text
from .data import Dataset
from .errors import PERMISSION_DENIED, ApiError, invalid, not_found
from .listing import dataset, search, sort
from .paging import offset_page
from .routes_companies import company_of
from .timefmt import utc_stamp
from .views import user_company_ids, user_view

Entity = dict[str, Any]
ROLES = ("admin", "manager", "reporting")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def user_of(data: Dataset, user_id: str) -> Entity:
    """The user ``user_id``; 404 when unknown."""
    user = data.get("users", user_id)
    if user is None:
        raise not_found("User")
    return user


def _email(data: Dataset, body: Entity, user: Entity | None = None) -> str:
    email = (text(body, "email", required=True) or "").strip().lower()
    if not _EMAIL.match(email):
        raise invalid("email", f"'{email}' is not an email address")
    if any(other is not user and other["email"] == email for other in data.users):
        raise invalid("email", "has already been taken")
    return email


def _company_ids(data: Dataset, body: Entity) -> list[str]:
    ids = body.get("companies")
    if not isinstance(ids, list) or not ids:
        raise invalid("companies", "must be a non-empty list of company ids")
    return [company_of(data, str(company_id))["id"] for company_id in ids]


async def list_users(request: Request) -> Response:
    """Paginated ``users`` (with ``accepted``): filter ``company_id``, search names and email, sort
    ``email`` or ``created_at``."""
    data = dataset(request)
    users = data.users
    company_id = request.query_params.get("company_id")
    if company_id:
        users = [user for user in users if company_id in user_company_ids(data, user)]
    users = sort(search(users, request, ("first_name", "last_name", "email")), request, ("email", "created_at"))
    return offset_page(request, users, "users", lambda user: user_view(data, user, listed=True))


async def get_user(request: Request) -> Response:
    """One user."""
    data = dataset(request)
    return JSONResponse(user_view(data, user_of(data, request.path_params["user_id"])))


async def create_user(request: Request) -> Response:
    """``POST /users.json``: ``first_name``, ``last_name``, ``email``, ``role``; non-admins also need
    ``companies`` → 200 and the invited user."""
    data = dataset(request)
    body = await json_body(request)
    require(body, "first_name", "last_name", "email", "role")
    first, last = (text(body, "first_name") or "").strip(), (text(body, "last_name") or "").strip()
    email = _email(data, body)
    role = body["role"]
    if role not in ROLES:
        raise invalid("role", "must be admin, manager or reporting")
    company_ids: list[str] = []
    if role != "admin":
        require(body, "companies")
        company_ids = _company_ids(data, body)
    user = {"id": data.fake.prefixed_id("USR"), "email": email, "created_at": utc_stamp(data.now()), "role": role,
            "first_name": first, "last_name": last, "name": f"{first} {last}", "accepted": False,
            "_company_ids": company_ids}  # fmt: skip
    data.add("users", user)
    return JSONResponse(user_view(data, user))


async def update_user(request: Request) -> Response:
    """``PUT /users/{id}.json``: only users who accepted their invitation; names and email only for the
    key's own user (email needs ``current_password``); ``companies`` replaces a non-admin's access."""
    data = dataset(request)
    user = user_of(data, request.path_params["user_id"])
    body = await json_body(request)
    if not user["accepted"]:
        raise ApiError(400, "Only users who have accepted their invitation can be updated")
    if "password" in body:
        raise ApiError(400, "Passwords cannot be changed through the API")
    own = user["id"] == data.key_user_id
    changes: Entity = {}
    for field in ("first_name", "last_name", "email"):
        if field in body and not own:
            raise ApiError(403, PERMISSION_DENIED)
    for field in ("first_name", "last_name"):
        if field in body:
            value = (text(body, field) or "").strip()
            if not value:
                raise invalid(field, "must not be blank")
            changes[field] = value
    if "email" in body:
        if not text(body, "current_password"):
            raise ApiError(400, "current_password is required to change the email address")
        changes["email"] = _email(data, body, user)
    if "companies" in body:
        if user["role"] == "admin":
            raise invalid("companies", "administrators have access to every company")
        changes["_company_ids"] = _company_ids(data, body)
    user.update(changes)
    user["name"] = f"{user['first_name']} {user['last_name']}"
    return JSONResponse(user_view(data, user))


async def delete_user(request: Request) -> Response:
    """``DELETE /users/{id}.json`` → 204 (the key's own user cannot be deleted: 403)."""
    data = dataset(request)
    user = user_of(data, request.path_params["user_id"])
    if user["id"] == data.key_user_id:
        raise ApiError(403, PERMISSION_DENIED)
    data.remove("users", user)
    return Response(status_code=204)


ROUTES = [
    Route("/v3/a/{account_id}/users.json", list_users, methods=["GET"]),
    Route("/v3/a/{account_id}/users.json", create_user, methods=["POST"]),
    Route("/v3/a/{account_id}/users/{user_id}.json", get_user, methods=["GET"]),
    Route("/v3/a/{account_id}/users/{user_id}.json", update_user, methods=["PUT"]),
    Route("/v3/a/{account_id}/users/{user_id}.json", delete_user, methods=["DELETE"]),
]
