"""Form submissions: list, create (the body may be wrapped in ``form_submission``) and update."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .body import json_body, mapping, present, require, text
from .dates import window, within
from .errors import not_found
from .forms_model import form_phone, new_form_submission
from .interactions import update_interaction
from .listing import dataset, sort
from .paging import offset_page
from .params import boolean, choice, requested_fields, time_zone, values
from .routes_companies import company_of
from .views import form_view

Entity = dict[str, Any]
REFERRAL_FIELDS = ("referrer", "referring_url", "landing_page_url")
_LEAD_STATUSES = {"good_lead": "good_lead", "not_a_lead": "not_a_lead", "not_scored": None}


async def list_forms(request: Request) -> Response:
    """``GET /form_submissions.json``: newest first; ``company_id``, ``person_lead``, ``lead_status``,
    ``tags``, date filters (none by default); sort ``submitted_at`` or ``form_url``."""
    data = dataset(request)
    params = request.query_params
    forms = within(data.form_submissions, window(params, data.now(), time_zone(params, data.user_time_zone), None))
    if params.get("company_id"):
        forms = [form for form in forms if form["company_id"] == params["company_id"]]
    if boolean(params, "person_lead"):
        forms = [form for form in forms if form["person_id"] != "anonymous"]
    lead_status = choice(params, "lead_status", tuple(_LEAD_STATUSES))
    if lead_status:
        forms = [form for form in forms if form["lead_status"] == _LEAD_STATUSES[lead_status]]
    wanted_tags = {name.lower() for name in values(params, "tags")}
    if wanted_tags:
        names = {tag["id"]: tag["name"].lower() for tag in data.tags}
        forms = [form for form in forms if wanted_tags & {names.get(tag_id) for tag_id in form["_tag_ids"]}]
    forms = sort(forms, request, ("submitted_at", "created_at", "form_url"))
    fields = requested_fields(params)
    return offset_page(request, forms, "form_submissions", lambda form: form_view(data, form, fields))


async def create_form(request: Request) -> Response:
    """``POST /form_submissions.json``: ``company_id``, ``form_url``, ``form_data`` and either
    ``referrer``, ``referring_url`` and ``landing_page_url`` or a ``session_id`` → 201."""
    data = dataset(request)
    body = await json_body(request)
    if isinstance(body.get("form_submission"), dict):
        body = body["form_submission"]
    require(body, "company_id")
    if not present(body, "session_id"):
        require(body, *REFERRAL_FIELDS)
    require(body, "form_url")
    mapping(body, "form_data", required=True)
    for field in (*REFERRAL_FIELDS, "form_url", "session_id"):
        text(body, field)
    company = company_of(data, str(body["company_id"]))
    phone = form_phone(body["form_data"])
    person = data.person_id(company["id"], phone) if phone else "anonymous"
    first = person != "anonymous" and not any(form["person_id"] == person for form in data.form_submissions)
    form = new_form_submission(data.fake.prefixed_id("FOR"), company["id"], person, first, body, data.now())
    data.add("form_submissions", form, newest_first=True)
    return JSONResponse(form_view(data, form, created=True), status_code=201)


async def update_form(request: Request) -> Response:
    """``PUT /form_submissions/{id}.json``: tags, note, value, lead status → 200 (see ``interactions``)."""
    data = dataset(request)
    form = data.get("form_submissions", request.path_params["form_id"])
    if form is None:
        raise not_found("Form submission")
    update_interaction(data, form, await json_body(request), is_call=False)
    return JSONResponse(form_view(data, form, requested_fields(request.query_params)))


ROUTES = [
    Route("/v3/a/{account_id}/form_submissions.json", list_forms, methods=["GET"]),
    Route("/v3/a/{account_id}/form_submissions.json", create_form, methods=["POST"]),
    Route("/v3/a/{account_id}/form_submissions/{form_id}.json", update_form, methods=["PUT"]),
]
