"""The paging conventions and envelopes of the three Babelforce API families.

* v2: ``page`` (1-based) + ``max`` → ``{"items": [...], "pagination": {...}}``. Aliases: ``pageSize``
  or ``limit`` for ``max``; ``offset`` (an item offset) instead of ``page``. Default page size 25,
  capped at 1000.
* v3 tasks: ``page`` + ``page_size`` (1..100, default 25) → ``{"_metadata": {...}, "records": [...]}``.
* SCIM: ``startIndex`` (1-based) + ``count`` → an RFC 7644 ``ListResponse``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse

from .params import first, integer

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000
V3_DEFAULT_PAGE_SIZE = 25
V3_MAX_PAGE_SIZE = 100
SCIM_DEFAULT_COUNT = 100
SCIM_LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

Entity = dict[str, Any]
Transform = Callable[[Entity], Entity]


@dataclass(frozen=True)
class PageRequest:
    """Which slice of a list a v2 request asks for."""

    offset: int
    size: int
    page: int
    by_offset: bool

    @classmethod
    def from_request(cls, request: Request) -> PageRequest:
        """Read ``page``/``max`` (or ``pageSize``/``limit``, ``offset``) from the query string."""
        params = request.query_params
        given = first(params, ("max", "pageSize", "limit"))
        size = min(integer(given[0], given[1], 1), MAX_PAGE_SIZE) if given else DEFAULT_PAGE_SIZE
        if params.get("offset") not in (None, ""):
            offset = integer("offset", params["offset"], 0)
            return cls(offset=offset, size=size, page=offset // size + 1, by_offset=True)
        page = integer("page", params["page"], 1) if params.get("page") not in (None, "") else 1
        return cls(offset=(page - 1) * size, size=size, page=page, by_offset=False)

    def next_link(self, request: Request, total: int) -> str | None:
        """Path and query of the next page, or None on the last page."""
        if self.offset + self.size >= total:
            return None
        key, value = ("offset", self.offset + self.size) if self.by_offset else ("page", self.page + 1)
        kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "offset")]
        return f"{request.url.path}?{urlencode([*kept, (key, str(value))])}"


def paginated(request: Request, items: Sequence[Entity], transform: Transform | None = None) -> JSONResponse:
    """The v2 paginated envelope for one page of ``items`` (``transform`` applied to that page only)."""
    page = PageRequest.from_request(request)
    total = len(items)
    chunk = items[page.offset : page.offset + page.size]
    pagination: Entity = {
        "pages": max(1, -(-total // page.size)),
        "total": total,
        "current": page.page,
        "max": page.size,
        "maxResults": page.size,
    }
    link = page.next_link(request, total)
    if link is not None:
        pagination["next"] = link
    rows = [transform(item) for item in chunk] if transform else list(chunk)
    return JSONResponse({"items": rows, "pagination": pagination})


def single_page(items: Sequence[Entity]) -> JSONResponse:
    """The v2 paginated envelope holding every item on one page (``/api/v2/users`` takes no paging)."""
    total = len(items)
    pagination = {"pages": 1, "total": total, "current": 1, "max": total, "maxResults": total}
    return JSONResponse({"items": list(items), "pagination": pagination})


def unpaged(items: Sequence[Any]) -> JSONResponse:
    """The un-paged v2 list envelope ``{"items": [...], "success": true}``."""
    return JSONResponse({"items": list(items), "success": True})


def item(entity: Any, status_code: int = 200) -> JSONResponse:
    """The v2 single-item envelope ``{"item": ..., "success": true}`` (``status_code`` 201 for creates)."""
    return JSONResponse({"item": entity, "success": True}, status_code=status_code)


def v3_paginated(request: Request, records: Sequence[Entity]) -> JSONResponse:
    """The v3 task list envelope for ``page``/``page_size`` (``pageSize`` accepted as an alias)."""
    params = request.query_params
    given = first(params, ("page_size", "pageSize"))
    size = integer(given[0], given[1], 1, V3_MAX_PAGE_SIZE) if given else V3_DEFAULT_PAGE_SIZE
    page = integer("page", params["page"], 1) if params.get("page") not in (None, "") else 1
    total = len(records)
    chunk = records[(page - 1) * size : page * size]
    metadata = {"page": page, "per_page": size, "page_count": -(-total // size), "total_count": total}
    return JSONResponse({"_metadata": metadata, "records": list(chunk)})


def scim_list(request: Request, resources: Sequence[Entity], transform: Transform) -> JSONResponse:
    """An RFC 7644 ListResponse for ``startIndex``/``count`` (out-of-range values are clamped)."""
    params = request.query_params
    start = max(1, integer("startIndex", params["startIndex"], -(2**31))) if params.get("startIndex") else 1
    count = integer("count", params["count"], -(2**31)) if params.get("count") else SCIM_DEFAULT_COUNT
    count = min(max(0, count), MAX_PAGE_SIZE)
    chunk = [transform(resource) for resource in resources[start - 1 : start - 1 + count]]
    body = {
        "schemas": [SCIM_LIST_SCHEMA],
        "totalResults": len(resources),
        "startIndex": start,
        "itemsPerPage": len(chunk),
        "Resources": chunk,
    }
    return JSONResponse(body, media_type="application/scim+json")
