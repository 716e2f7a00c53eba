"""A small REST API for engine tests: one collection served in every paging style trunkline supports.

Served over real HTTP (uvicorn on loopback) like the emulators; it stands in for "any REST API" of
the manual configuration. The collection is ``TOTAL`` items ``{"id": n, "name": "item-n"}``.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOTAL = 237
ITEMS = [{"id": n, "name": f"item-{n}"} for n in range(1, TOTAL + 1)]


def _int(request: Request, name: str, default: int) -> int:
    return int(request.query_params.get(name, default))


async def page_style(request: Request) -> Response:
    """?page=N&size=S, total pages in the body."""
    page, size = _int(request, "page", 1), _int(request, "size", 50)
    chunk = ITEMS[(page - 1) * size: page * size]
    pages = -(-TOTAL // size)
    return JSONResponse({"data": chunk, "meta": {"pages": pages, "total": TOTAL, "page": page}})


async def page_no_total(request: Request) -> Response:
    """?page=N&size=S and nothing else: only a short page tells the end."""
    page, size = _int(request, "page", 1), _int(request, "size", 50)
    return JSONResponse(ITEMS[(page - 1) * size: page * size])


async def offset_style(request: Request) -> Response:
    """?offset=N&limit=S with a total record count."""
    offset, limit = _int(request, "offset", 0), _int(request, "limit", 50)
    return JSONResponse({"results": ITEMS[offset: offset + limit], "count": TOTAL})


async def next_url_style(request: Request) -> Response:
    """A relative next URL in the body (absent on the last page)."""
    cursor, size = _int(request, "cursor", 0), 40
    body: dict = {"items": ITEMS[cursor: cursor + size]}
    if cursor + size < TOTAL:
        body["links"] = {"next": f"/next-url?cursor={cursor + size}"}
    return JSONResponse(body)


async def next_token_style(request: Request) -> Response:
    """An opaque token in the body, sent back as ?after=."""
    after = request.query_params.get("after")
    start = int(after.removeprefix("tok-")) if after else 0
    body: dict = {"records": ITEMS[start: start + 60], "paging": {"next": None}}
    if start + 60 < TOTAL:
        body["paging"]["next"] = f"tok-{start + 60}"
    return JSONResponse(body)


async def link_header_style(request: Request) -> Response:
    """RFC 8288 Link header with rel=next."""
    page = _int(request, "p", 1)
    chunk = ITEMS[(page - 1) * 100: page * 100]
    headers = {}
    if page * 100 < TOTAL:
        headers["Link"] = f'<{request.url.replace_query_params(p=page + 1)}>; rel="next", <http://x/first>; rel="first"'
    return JSONResponse(chunk, headers=headers)


async def xml_style(request: Request) -> Response:
    """XML with repeated elements and attributes."""
    page = _int(request, "page", 1)
    chunk = ITEMS[(page - 1) * 100: page * 100]
    rows = "".join(f'<item id="{i["id"]}"><name>{i["name"]}</name></item>' for i in chunk)
    pages = -(-TOTAL // 100)
    xml = f"<response><meta><pages>{pages}</pages></meta><data>{rows}</data></response>"
    return Response(xml, media_type="application/xml")


async def repeating(request: Request) -> Response:
    """A broken server: ignores the page parameter and serves page 1 for ever."""
    return JSONResponse({"data": ITEMS[:50], "meta": {"pages": 99}})


async def cycling(request: Request) -> Response:
    """A broken server: its next token goes round in a circle of two."""
    after = request.query_params.get("after", "a")
    following = "b" if after == "a" else "a"
    return JSONResponse({"records": [{"id": after}], "paging": {"next": following}})


#: Integers beyond 64 bits (both signs) beside ordinary ones: a parser that reads them as floats loses digits.
BIG_NUMBERS = [{"id": 123456789012345678901234567890, "low": -9223372036854775809, "n": 1},
               {"id": 18446744073709551616, "low": -1, "n": 2}]


async def big_numbers(request: Request) -> Response:
    """Records holding integers beyond 64 bits."""
    return JSONResponse({"items": BIG_NUMBERS})


async def echo(request: Request) -> Response:
    """Echo what arrived, so tests can check rendered macros and sent headers."""
    return JSONResponse({"items": [{
        "method": request.method,
        "path": request.url.path,
        "query": dict(request.query_params),
        "headers": {key: value for key, value in request.headers.items()},
        "body": (await request.body()).decode(),
    }]})


def create_paging_app() -> Starlette:
    """The test API."""
    return Starlette(routes=[
        Route("/page", page_style), Route("/page-no-total", page_no_total), Route("/offset", offset_style),
        Route("/next-url", next_url_style), Route("/next-token", next_token_style),
        Route("/link", link_header_style), Route("/xml", xml_style), Route("/repeating", repeating),
        Route("/cycling", cycling), Route("/echo", echo, methods=["GET", "POST"]), Route("/big-numbers", big_numbers),
    ])
