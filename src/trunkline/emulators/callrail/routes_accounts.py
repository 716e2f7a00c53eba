"""Accounts: ``GET /v3/a.json`` (the accounts the key can see) and ``GET /v3/a/{account_id}.json``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .listing import dataset, sort
from .paging import offset_page
from .params import boolean, requested_fields
from .views import account_view


async def list_accounts(request: Request) -> Response:
    """The paginated ``accounts`` (one: the key's); filter ``hipaa_account``, sort ``name``."""
    data = dataset(request)
    accounts = data.accounts
    hipaa = boolean(request.query_params, "hipaa_account")
    if hipaa is not None:
        accounts = [account for account in accounts if account["hipaa_account"] is hipaa]
    fields = requested_fields(request.query_params)
    return offset_page(request, sort(accounts, request, ("name",)), "accounts",
                       lambda account: account_view(account, fields))  # fmt: skip


async def get_account(request: Request) -> Response:
    """One account (``fields=numeric_id`` adds the 9-digit id)."""
    data = dataset(request)
    return JSONResponse(account_view(data.account, requested_fields(request.query_params)))


ROUTES = [
    Route("/v3/a.json", list_accounts, methods=["GET"]),
    Route("/v3/a/{account_id}.json", get_account, methods=["GET"]),
]
