"""CallRail's two paging styles.

* Offset (every list): ``page`` (1-based) + ``per_page`` (default 100, larger values are capped at
  250) → ``{"page", "per_page", "total_pages", "total_records", <array key>: [...]}``.
* Relative (calls only, ``relative_pagination=true``): ``offset`` is a 0-based page index →
  ``{"next_page": <absolute URL or null>, "has_next_page": bool, "calls": [...]}``.

Both also send an RFC 8288 ``Link: <…>; rel="next"`` header while there is a next page (the real API
documents no such header; Airbyte's connector pages by it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .params import integer

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 250

Entity = dict[str, Any]
Render = Callable[[Entity], Entity]


def page_size(request: Request) -> int:
    """``per_page``: default 100; values above 250 are capped at 250; 400 when not a positive integer."""
    return min(integer(request.query_params, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)


def link_header(url: str | None) -> dict[str, str] | None:
    """The ``Link: <url>; rel="next"`` header, or None without a next page."""
    return {"Link": f'<{url}>; rel="next"'} if url else None


def offset_envelope(request: Request, items: Sequence[Entity], key: str, render: Render) -> tuple[Entity, str | None]:
    """One offset page of ``items`` under the array key ``key`` (``render`` applied to that page only),
    and the URL of the next page (None on the last)."""
    size = page_size(request)
    number = integer(request.query_params, "page", 1)
    total = len(items)
    pages = -(-total // size)
    chunk = [render(item) for item in items[(number - 1) * size : number * size]]
    following = str(request.url.include_query_params(page=number + 1)) if number < pages else None
    return {"page": number, "per_page": size, "total_pages": pages, "total_records": total, key: chunk}, following


def offset_page(request: Request, items: Sequence[Entity], key: str, render: Render) -> JSONResponse:
    """The offset-paginated response (see ``offset_envelope``), with a ``Link`` header to the next page."""
    body, following = offset_envelope(request, items, key, render)
    return JSONResponse(body, headers=link_header(following))


def relative_page(request: Request, items: Sequence[Entity], key: str, render: Render, path: str) -> JSONResponse:
    """One relative page (``offset`` = page index) of ``items``; ``next_page`` is an absolute URL to
    ``path`` with the same query and the next ``offset``."""
    size = page_size(request)
    index = integer(request.query_params, "offset", 0, minimum=0)
    chunk = [render(item) for item in items[index * size : (index + 1) * size]]
    has_next = (index + 1) * size < len(items)
    following = None
    if has_next:
        following = str(request.url.replace(path=path).include_query_params(offset=index + 1, per_page=size))
    body = {"next_page": following, "has_next_page": has_next, key: chunk}
    return JSONResponse(body, headers=link_header(following))
