"""Tags: list, create, update (name, colour, disabled) and delete (for good, stripped from every call
and form submission)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .body import json_body, text
from .catalog import TAG_COLORS
from .data import Dataset
from .errors import ApiError, invalid, not_found
from .gen_directory import new_tag
from .listing import dataset, sort
from .paging import offset_page
from .params import choice
from .routes_companies import company_of
from .views import tag_view

Entity = dict[str, Any]
BAD_COLOR = "Color is not included in the list"


def tag_of(data: Dataset, raw_id: str) -> Entity:
    """The tag with the integer id ``raw_id``; 404 when unknown."""
    tag = data.get("tags", int(raw_id)) if raw_id.isdigit() else None
    if tag is None:
        raise not_found("Tag")
    return tag


def _color(body: Entity, default: str) -> str:
    color = text(body, "color") or default
    if color not in TAG_COLORS:
        raise ApiError(400, BAD_COLOR)
    return color


def _unique_name(data: Dataset, name: str, company_id: str | None, tag: Entity | None = None) -> None:
    for other in data.tags:
        if other is not tag and other["company_id"] == company_id and other["name"].lower() == name.lower():
            raise invalid("name", "has already been taken")


async def list_tags(request: Request) -> Response:
    """Paginated ``tags``: filter ``company_id``, ``status``, ``tag_level`` (``account`` excludes a
    ``company_id``); sort ``name``."""
    data = dataset(request)
    params = request.query_params
    level = choice(params, "tag_level", ("company", "account"))
    if level == "account" and params.get("company_id"):
        raise ApiError(400, "tag_level=account cannot be combined with company_id")
    tags = data.tags
    if params.get("company_id"):
        tags = [tag for tag in tags if tag["company_id"] == params["company_id"]]
    status = choice(params, "status", ("enabled", "disabled"))
    if status:
        tags = [tag for tag in tags if tag["status"] == status]
    if level:
        tags = [tag for tag in tags if tag["tag_level"] == level]
    return offset_page(request, sort(tags, request, ("name",)), "tags", tag_view)


async def create_tag(request: Request) -> Response:
    """``POST /tags.json``: ``name``; ``company_id`` unless ``tag_level`` is ``account``; ``color`` → 201."""
    data = dataset(request)
    body = await json_body(request)
    name = (text(body, "name", required=True) or "").strip()
    level = text(body, "tag_level") or "company"
    if level not in ("company", "account"):
        raise invalid("tag_level", "must be company or account")
    company = None
    if level == "company":
        company_id = text(body, "company_id", required=True)
        company = company_of(data, company_id or "")
    color = _color(body, TAG_COLORS[0])
    _unique_name(data, name, company["id"] if company else None)
    tag_id = max((tag["id"] for tag in data.tags), default=1_000_000) + 1
    tag = data.add("tags", new_tag(tag_id, name, company, color, data.now(), data.user_time_zone))
    return JSONResponse(tag_view(tag), status_code=201)


async def update_tag(request: Request) -> Response:
    """``PUT /tags/{id}.json``: ``name``, ``color``, ``disabled`` (``"true"``/``"false"``) → 200."""
    data = dataset(request)
    tag = tag_of(data, request.path_params["tag_id"])
    body = await json_body(request)
    changes: Entity = {}
    if "name" in body:
        name = (text(body, "name") or "").strip()
        if not name:
            raise invalid("name", "must not be blank")
        _unique_name(data, name, tag["company_id"], tag)
        changes["name"] = name
    if "color" in body:
        changes["color"] = changes["background_color"] = _color(body, tag["color"])
    if "disabled" in body:
        disabled = str(body["disabled"]).lower()
        if disabled not in ("true", "false"):
            raise invalid("disabled", "must be \"true\" or \"false\"")
        changes["status"] = "disabled" if disabled == "true" else "enabled"
    tag.update(changes)
    return JSONResponse(tag_view(tag))


async def delete_tag(request: Request) -> Response:
    """``DELETE /tags/{id}.json``: delete the tag and strip it from every interaction → 204."""
    data = dataset(request)
    tag = tag_of(data, request.path_params["tag_id"])
    data.remove("tags", tag)
    for item in (*data.calls, *data.form_submissions):
        if tag["id"] in item["_tag_ids"]:
            item["_tag_ids"] = [tag_id for tag_id in item["_tag_ids"] if tag_id != tag["id"]]
    return Response(status_code=204)


ROUTES = [
    Route("/v3/a/{account_id}/tags.json", list_tags, methods=["GET"]),
    Route("/v3/a/{account_id}/tags.json", create_tag, methods=["POST"]),
    Route("/v3/a/{account_id}/tags/{tag_id}.json", update_tag, methods=["PUT"]),
    Route("/v3/a/{account_id}/tags/{tag_id}.json", delete_tag, methods=["DELETE"]),
]
