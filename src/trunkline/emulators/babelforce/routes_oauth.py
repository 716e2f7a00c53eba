"""OAuth 2.0: ``POST /oauth/token`` (password and refresh_token grants) and ``POST /oauth/revoke``."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .auth import Authenticator, Principal

SUPPORTED_GRANTS = ("password", "refresh_token")


async def _form(request: Request) -> dict[str, str]:
    """The request's form fields (``application/x-www-form-urlencoded``; JSON objects accepted too)."""
    body = await request.body()
    if "json" in request.headers.get("content-type", ""):
        try:
            parsed = json.loads(body or b"{}")
        except ValueError:
            return {}
        return {str(key): str(value) for key, value in parsed.items()} if isinstance(parsed, dict) else {}
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _oauth_error(error: str, description: str) -> Response:
    body = {"error": error, "error_description": description}
    return JSONResponse(body, status_code=400, headers={"Cache-Control": "no-store"})


def _grant(request: Request, form: dict[str, str]) -> Principal | Response:
    authenticator: Authenticator = request.app.state.authenticator
    grant_type = form.get("grant_type", "")
    if not grant_type:
        return _oauth_error("invalid_request", "grant_type is required")
    if grant_type not in SUPPORTED_GRANTS:
        return _oauth_error("unsupported_grant_type", f"grant_type must be one of {', '.join(SUPPORTED_GRANTS)}")
    if grant_type == "refresh_token":
        found = authenticator.tokens.redeem(form.get("refresh_token", ""))
        return found or _oauth_error("invalid_grant", "the refresh token is invalid or was already used")
    if not form.get("username") or not form.get("password"):
        return _oauth_error("invalid_request", "username and password are required")
    found = authenticator.login(form["username"], form["password"])
    return found or _oauth_error("invalid_grant", "Bad credentials")


async def token(request: Request) -> Response:
    """Issue an access token (and a rotating refresh token)."""
    form = await _form(request)
    outcome = _grant(request, form)
    if isinstance(outcome, Response):
        return outcome
    tokens = request.app.state.authenticator.tokens
    access, refresh = tokens.issue(outcome)
    body = {"access_token": access, "token_type": "bearer", "expires_in": tokens.ttl, "refresh_token": refresh,
            "scope": form.get("scope") or "*"}  # fmt: skip
    if form.get("client_id"):
        body["client_id"] = form["client_id"]
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


async def revoke(request: Request) -> Response:
    """Revoke an access or refresh token; always 200, as RFC 7009 asks."""
    form = await _form(request)
    request.app.state.authenticator.tokens.revoke(form.get("token", ""))
    return Response(status_code=200)


ROUTES = [
    Route("/oauth/token", token, methods=["POST"]),
    Route("/oauth/revoke", revoke, methods=["POST"]),
]
