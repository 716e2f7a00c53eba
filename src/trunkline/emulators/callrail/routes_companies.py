"""Companies: list, get, create, partial update, bulk form-capture update and soft disable."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .body import flag, json_body, present, text
from .data import Dataset
from .errors import ApiError, invalid, not_found
from .gen_directory import new_company
from .gen_trackers import disable
from .listing import dataset, search, sort
from .paging import offset_page
from .params import choice, requested_fields
from .phones import AREAS
from .timefmt import utc_stamp, zone
from .views import company_view

DEFAULT_TIME_ZONE = "America/New_York"
LAST_ACTIVE = "You must have at least one active company."
_FLAGS = ("callscore_enabled", "keyword_spotting_enabled", "callscribe_enabled", "swap_exclude_jquery",
          "swap_ppc_override", "lead_scoring_enabled")  # fmt: skip
_MAX_COOKIE = {"months": 6, "weeks": 26, "days": 183}


def company_of(data: Dataset, company_id: str) -> dict[str, Any]:
    """The company ``company_id``; 404 when unknown."""
    company = data.get("companies", company_id)
    if company is None:
        raise not_found("Company")
    return company


async def list_companies(request: Request) -> Response:
    """Paginated ``companies``: filter ``status``, search and sort ``name``, ``fields=verified_caller_ids``."""
    data = dataset(request)
    companies = data.companies
    status = choice(request.query_params, "status", ("active", "disabled"))
    if status:
        companies = [company for company in companies if company["status"] == status]
    companies = sort(search(companies, request, ("name",)), request, ("name",))
    fields = requested_fields(request.query_params)
    return offset_page(request, companies, "companies", lambda company: company_view(company, fields))


async def get_company(request: Request) -> Response:
    """One company (disabled ones too)."""
    company = company_of(dataset(request), request.path_params["company_id"])
    return JSONResponse(company_view(company, requested_fields(request.query_params)))


def _time_zone(body: dict[str, Any]) -> str | None:
    name = text(body, "time_zone")
    if name is None:
        return None
    try:
        zone(name)
    except ValueError:
        raise invalid("time_zone", f"unknown time zone '{name}'") from None
    return name


async def create_company(request: Request) -> Response:
    """``POST /companies.json``: ``name`` required, ``time_zone`` optional → 201 and the company."""
    data = dataset(request)
    body = await json_body(request)
    name = text(body, "name", required=True)
    assert name is not None
    area = data.fake.choice(list(AREAS))
    domain = re.sub(r"[^a-z0-9]+", "", name.lower()) + ".example"
    company = new_company(data.fake, data.now(), name.strip(), _time_zone(body) or DEFAULT_TIME_ZONE, area, domain)
    data.add("companies", company)
    return JSONResponse(company_view(company), status_code=201)


def _apply_update(company: dict[str, Any], body: dict[str, Any]) -> None:
    changes: dict[str, Any] = {}
    if "name" in body:
        name = text(body, "name")
        if not name or not name.strip():
            raise invalid("name", "must not be blank")
        changes["name"] = name.strip()
    if (time_zone := _time_zone(body)) is not None:
        changes["time_zone"] = time_zone
    changes.update({field: flag(body, field) for field in _FLAGS if field in body})
    if "external_form_capture" in body:
        changes["form_capture"] = flag(body, "external_form_capture")
    if "swap_landing_override" in body:
        changes["swap_landing_override"] = text(body, "swap_landing_override") or None
    duration = body.get("swap_cookie_duration", company["swap_cookie_duration"])
    unit = body.get("swap_cookie_duration_unit", company["swap_cookie_duration_unit"])
    if "swap_cookie_duration" in body or "swap_cookie_duration_unit" in body:
        if not isinstance(unit, str) or unit not in _MAX_COOKIE:
            raise invalid("swap_cookie_duration_unit", "must be months, weeks or days")
        if not isinstance(duration, int) or isinstance(duration, bool) or not 1 <= duration <= _MAX_COOKIE[unit]:
            raise invalid("swap_cookie_duration", f"must be a whole number of {unit} of at most 6 months")
        changes.update({"swap_cookie_duration": duration, "swap_cookie_duration_unit": unit})
    company.update(changes)


async def update_company(request: Request) -> Response:
    """``PUT /companies/{id}.json``: a partial update → 200 and the whole company."""
    data = dataset(request)
    company = company_of(data, request.path_params["company_id"])
    _apply_update(company, await json_body(request))
    return JSONResponse(company_view(company))


async def bulk_update(request: Request) -> Response:
    """``POST /companies/bulk_update.json``: set ``external_form_capture`` on ``company_ids`` (or ``["all"]``)."""
    data = dataset(request)
    body = await json_body(request)
    ids = body.get("company_ids")
    if not present(body, "company_ids") or not isinstance(ids, list):
        raise ApiError(400, "Missing required parameter: company_ids")
    targets = data.companies if ids == ["all"] else [company_of(data, str(company_id)) for company_id in ids]
    capture = flag(body, "external_form_capture")
    if capture is not None:
        for company in targets:
            company["form_capture"] = capture
    return JSONResponse({"updated_records": len(targets) if capture is not None else 0})


async def disable_company(request: Request) -> Response:
    """``DELETE /companies/{id}.json``: soft disable (status, ``disabled_at``, its trackers disabled) → 204.
    The last active company cannot be disabled (400)."""
    data = dataset(request)
    company = company_of(data, request.path_params["company_id"])
    if company["status"] == "active":
        if not any(other["status"] == "active" for other in data.companies if other is not company):
            raise ApiError(400, LAST_ACTIVE)
        moment = data.now()
        company.update({"status": "disabled", "disabled_at": utc_stamp(moment), "_disabled": moment,
                        "dni_active": False if company["dni_active"] is not None else None})  # fmt: skip
        for tracker in data.trackers:
            if tracker["_company_id"] == company["id"] and tracker["status"] == "active":
                disable(tracker, moment)
    return Response(status_code=204)


ROUTES = [
    Route("/v3/a/{account_id}/companies.json", list_companies, methods=["GET"]),
    Route("/v3/a/{account_id}/companies.json", create_company, methods=["POST"]),
    Route("/v3/a/{account_id}/companies/bulk_update.json", bulk_update, methods=["POST"]),
    Route("/v3/a/{account_id}/companies/{company_id}.json", get_company, methods=["GET"]),
    Route("/v3/a/{account_id}/companies/{company_id}.json", update_company, methods=["PUT"]),
    Route("/v3/a/{account_id}/companies/{company_id}.json", disable_company, methods=["DELETE"]),
]
