"""Generic list and item endpoints over the dataset's collections, with declarative query filters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from .auth import Principal
from .data import Dataset
from .errors import not_found
from .paging import Transform, item, paginated
from .params import boolean, values

Entity = dict[str, Any]
Filter = Callable[[Entity, list[str]], bool]
Endpoint = Callable[[Request], Awaitable[Response]]


def dataset(request: Request) -> Dataset:
    """The dataset of the app serving ``request``."""
    return request.app.state.data


def principal(request: Request) -> Principal:
    """The authenticated caller (set by the gateway on protected paths)."""
    return request.state.principal


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def equals(field: str) -> Filter:
    """Keep items whose ``field`` equals one of the given values (booleans as ``true``/``false``)."""
    return lambda entity, wanted: field in entity and _text(entity[field]) in wanted


def flag(field: str) -> Filter:
    """Keep items whose boolean ``field`` matches the given ``true``/``false``."""
    return lambda entity, wanted: entity.get(field) is boolean(field, wanted[-1])


def contains(*fields: str) -> Filter:
    """Keep items where any of ``fields`` contains any given value (case-insensitive)."""

    def keep(entity: Entity, wanted: list[str]) -> bool:
        texts = [str(entity.get(field, "")).lower() for field in fields]
        return any(value.lower() in text for value in wanted for text in texts)

    return keep


def apply_filters(
    items: Sequence[Entity], params: QueryParams, filters: Mapping[str, Filter], prefixed: bool = False
) -> Sequence[Entity]:
    """Narrow ``items`` by every filter whose parameter is present (AND); values of one parameter OR."""
    for name, keep in filters.items():
        wanted = values(params, name, prefixed)
        if wanted:
            items = [entity for entity in items if keep(entity, wanted)]
    return items


def list_endpoint(
    collection: str, filters: Mapping[str, Filter] | None = None, transform: Transform | None = None
) -> Endpoint:
    """A paginated v2 list of the dataset attribute ``collection``."""

    async def endpoint(request: Request) -> Response:
        items = apply_filters(getattr(dataset(request), collection), request.query_params, filters or {})
        return paginated(request, items, transform)

    return endpoint


def item_endpoint(collection: str, label: str) -> Endpoint:
    """A v2 ``{item, success}`` lookup by the ``id`` path parameter in ``by_id[collection]``."""

    async def endpoint(request: Request) -> Response:
        identifier = request.path_params["id"]
        entity = dataset(request).by_id[collection].get(identifier)
        if entity is None:
            raise not_found(label, identifier)
        return item(entity)

    return endpoint
