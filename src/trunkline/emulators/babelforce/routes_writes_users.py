"""Creating users: the Manager API (``POST /api/v2/users``) and SCIM 2.0 (``POST /auth/scim/v2/Users``).

Both add a ``ManagedUser`` to ``users`` plus its profile (names, times, SCIM ``externalId``) to
``user_profiles``, so the user reads back through either API. E-mails are stored lower-case.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .data import Dataset
from .errors import ApiError
from .fields import Invalid, email, flag, json_object, listing, mapping, shown, text
from .listing import Entity, dataset
from .paging import item
from .routes_users import SCIM_USER_SCHEMA, scim_user

ACCOUNT_ROLES = ("manager", "owner", "reporter", "user", "agent", "supervisor", "sales", "router", "scheduler")


def _roles(values: list[object], field: str) -> list[str]:
    """Account roles, each one of ``ACCOUNT_ROLES``."""
    for index, role in enumerate(values):
        if role not in ACCOUNT_ROLES:
            raise Invalid(f"{field}[{index}]", f"must be one of {', '.join(ACCOUNT_ROLES)}, got {shown(role)}")
    return [str(role) for role in values]


def _taken(data: Dataset, address: str) -> bool:
    return any(user["email"].lower() == address for user in data.users)


def _names_from(address: str) -> tuple[str, str]:
    """Given and family name guessed from an e-mail local part (``jordan.lee@…`` → Jordan, Lee)."""
    given, _, family = address.split("@")[0].partition(".")
    return given.capitalize(), family.replace(".", " ").title()


def _add_user(data: Dataset, user: Entity, given: str, family: str, external_id: str | None) -> Entity:
    """Store a new user and its profile; returns the user."""
    now = data.timestamp()
    profile = {"givenName": given, "familyName": family, "dateCreated": now, "lastUpdated": now}
    if external_id is not None:
        profile["externalId"] = external_id
    data.user_profiles[user["id"]] = profile
    return data.add("users", user)


def _managed_user(address: str, roles: list[str], enabled: bool, activated: bool) -> Entity:
    return {"id": secrets.token_hex(16), "email": address, "enabled": enabled, "activated": activated,
            "passwordExpired": False, "accountExpired": False, "accountLocked": False, "roles": roles}  # fmt: skip


async def create_user(request: Request) -> Response:
    """``POST /api/v2/users`` ``{email, roles, password, activated}`` → 201 ``{item: ManagedUser}``.
    The user is enabled; ``activated`` (default false) says whether it skips the activation e-mail."""
    data = dataset(request)
    body = await json_object(request)
    address = email(body, "email", required=True)
    if _taken(data, address):
        raise Invalid("email", f"'{address}' is already used by another user")
    roles = _roles(listing(body, "roles", required=True), "roles")
    text(body, "password")
    activated = bool(flag(body, "activated"))
    user = _managed_user(address, roles, enabled=True, activated=activated)
    return item(_add_user(data, user, *_names_from(address), None), 201)


def _scim_names(body: Entity, address: str) -> tuple[str, str]:
    """``name.givenName``/``name.familyName``, falling back to names guessed from the e-mail."""
    name = mapping(body, "name") or {}
    guessed = _names_from(address)
    try:
        return text(name, "givenName") or guessed[0], text(name, "familyName") or guessed[1]
    except Invalid as error:
        raise Invalid(f"name.{error.field}", error.problem) from None


def _scim_roles(body: Entity) -> list[str]:
    """Roles from SCIM ``roles: [{value}]`` (default ``user``)."""
    roles = listing(body, "roles") or [{"value": "user"}]
    return _roles([role.get("value") if isinstance(role, dict) else role for role in roles], "roles")


async def create_scim_user(request: Request) -> Response:
    """``POST /auth/scim/v2/Users``: an RFC 7643 ``User`` (``schemas`` and an e-mail ``userName``
    required) → 201 with the User and its ``Location``; a taken ``userName`` is a 409."""
    data = dataset(request)
    body = await json_object(request)
    schemas = listing(body, "schemas", required=True)
    if SCIM_USER_SCHEMA not in schemas:
        raise Invalid("schemas", f"must include {SCIM_USER_SCHEMA}")
    address = email(body, "userName", required=True)
    if _taken(data, address):
        raise ApiError(409, f"userName '{address}' is already in use")
    given, family = _scim_names(body, address)
    active = flag(body, "active")
    user = _managed_user(address, _scim_roles(body), enabled=active is not False, activated=True)
    resource = scim_user(request, _add_user(data, user, given, family, text(body, "externalId")))
    headers = {"Location": resource["meta"]["location"]}
    return JSONResponse(resource, status_code=201, headers=headers, media_type="application/scim+json")


ROUTES = [
    Route("/api/v2/users", create_user, methods=["POST"]),
    Route("/auth/scim/v2/Users", create_scim_user, methods=["POST"]),
]
