"""Suggest a path to data, paths to metadata and pagination settings from one raw response.

This is the seed's "Autogenerate Path Suggestions": after a test request the user is shown ranked
candidates to pick from.

- **data**: every array of objects (``$.items[*]``, ``$.data.calls[*]``, ``$[*]``), or for XML
  every group of repeated sibling elements (``/response/data/item``), ranked by size, by how
  consistently its elements share keys and by how many of them are objects. A top-level JSON
  object is also offered whole (``$``), ranked low.
- **metadata**: the objects and scalars beside the best data array and beside each of its parents
  (``$.pagination``, ``$.total``, ``$._metadata``).
- **pagination**: keys that look like a next-page URL, a cursor, a page count, a current page, an
  offset, a total or a page size, each with the pagination setting it would fill.

The walk is bounded in depth and looks inside arrays only through their first object. Results are
sorted by kind (data, metadata, pagination), then by score (highest first), then by path, and hold
at most ``limit`` suggestions of each kind.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from lxml import etree

from trunkline.rest.extract import ParsedBody, element_to_dict

SuggestionKind = Literal["data", "metadata", "pagination"]

_MAX_DEPTH = 8
_SAMPLE = 50
_KEYS_SHOWN = 6
_EACH = object()  # a path segment meaning "every item of the array"
_KIND_ORDER = {"data": 0, "metadata": 1, "pagination": 2}
_SIMPLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_METADATA_WORDS = ("meta", "pag", "total", "count", "link", "cursor", "summary", "next")
_URL_LIKE = re.compile(r"(https?://|/)\S*")

# Pagination names, compared lowercased with everything but letters and digits removed.
_NEXT = {"next", "nexturl", "nextpage", "nextpageurl", "nextlink", "odatanextlink", "nexthref"}
_TOKEN = {"nextpagetoken", "pagetoken", "nexttoken", "cursor", "nextcursor", "endcursor", "after"}
_TOKEN |= {"continuation", "continuationtoken", "scrollid", "nextkey"}
_COUNTS = {
    **dict.fromkeys(("pages", "totalpages", "pagecount", "numpages", "lastpage"), "total_pages"),
    **dict.fromkeys(("page", "current", "currentpage", "pagenumber", "pagenum", "pageno"), "current_page"),
    **dict.fromkeys(("offset", "start", "skip", "startindex"), "offset"),
    **dict.fromkeys(
        ("total", "totalcount", "totalrecords", "totalitems", "totalresults", "totalelements", "count"),
        "total_records",
    ),
    **dict.fromkeys(("limit", "max", "pagesize", "perpage", "size", "itemsperpage"), "page_size"),
}
_COUNT_DETAIL = {
    "total_pages": ("page: total pages here (pagination.total_pages_path)", 0.8),
    "total_records": ("page or offset: total records here (pagination.total_records_path)", 0.7),
    "current_page": ("page: the current page number (page pagination)", 0.5),
    "offset": ("offset: the current offset (offset pagination)", 0.5),
    "page_size": ("page or offset: the page size (pagination.size)", 0.4),
}

Segments = tuple[Any, ...]


@dataclass(frozen=True)
class PathSuggestion:
    """One suggested path: what it is for (``kind``), how likely it is (``score``, 0-1) and why."""

    path: str
    kind: SuggestionKind
    score: float
    detail: str


def suggest_paths(body: ParsedBody, *, limit: int = 10) -> list[PathSuggestion]:
    """Ranked path suggestions for ``body``: at most ``limit`` of each kind (see the module docstring)."""
    if body.data is None:
        return []
    if body.kind == "xml":
        root: etree._Element = body.data
        tree: Any = element_to_dict(root)
        formatter = _XPathFormatter(root.tag)
    else:
        tree = body.data
        formatter = _JsonPathFormatter()
    data = _data_suggestions(tree, formatter, body.kind)
    best = data[0][1] if data else None
    suggestions = [suggestion for suggestion, _ in data]
    if best is not None:
        suggestions += _metadata_suggestions(tree, best, formatter)
    suggestions += _pagination_suggestions(tree, formatter)
    suggestions.sort(key=lambda s: (_KIND_ORDER[s.kind], -s.score, s.path))
    kept: list[PathSuggestion] = []
    counts = dict.fromkeys(_KIND_ORDER, 0)
    for suggestion in suggestions:
        if counts[suggestion.kind] < limit:
            counts[suggestion.kind] += 1
            kept.append(suggestion)
    return kept


class _JsonPathFormatter:
    """Writes segments as an RFC 9535 JSONPath."""

    def path(self, segments: Segments) -> str:
        """``('data', EACH, 'x y')`` -> ``$.data[*]['x y']``."""
        parts = ["$"]
        for segment in segments:
            if segment is _EACH:
                parts.append("[*]")
            elif _SIMPLE_NAME.fullmatch(segment):
                parts.append(f".{segment}")
            else:
                escaped = segment.replace("\\", "\\\\").replace("'", "\\'")
                parts.append(f"['{escaped}']")
        return "".join(parts)

    def describe_array(self, segments: Segments, items: list[Any], keys: list[str]) -> str:
        """How a data array is described."""
        objects = sum(isinstance(item, dict) for item in items)
        what = _count(objects, "object") if objects == len(items) else f"{_count(len(items), 'item')}"
        if objects != len(items):
            what += f" ({_count(objects, 'object')})"
        return f"array of {what} with keys {_list_keys(keys)}"


class _XPathFormatter:
    """Writes segments of an ``element_to_dict`` tree as an XPath from the root element."""

    def __init__(self, root_tag: str) -> None:
        self.root_tag = root_tag

    def path(self, segments: Segments) -> str:
        """``('data', 'item', EACH, '@id')`` -> ``/response/data/item/@id``."""
        return "/" + "/".join([self.root_tag, *(s for s in segments if s is not _EACH)])

    def describe_array(self, segments: Segments, items: list[Any], keys: list[str]) -> str:
        """How a group of repeated elements is described."""
        return f"{len(items)} repeated <{segments[-1]}> elements with {_list_keys(keys)}"


_Formatter = _JsonPathFormatter | _XPathFormatter


def _data_suggestions(tree: Any, formatter: _Formatter, kind: str) -> list[tuple[PathSuggestion, Segments]]:
    """Data candidates, best first, each with the segments that reach it."""
    found: list[tuple[PathSuggestion, Segments]] = []
    for segments, items in _arrays(tree, ()):
        objects = [item for item in items if isinstance(item, dict)][:_SAMPLE]
        if items and not objects:
            continue
        path = formatter.path((*segments, _EACH))
        named = [segment for segment in segments if segment is not _EACH]
        nearness = 0.9 ** (max(0, len(named) - 1) + 2 * (len(segments) - len(named)))
        if items:
            keys = _keys(objects)
            size = min(1.0, math.log10(len(items) + 1) / 2)
            consistency = sum(len(obj) for obj in objects) / (len(objects) * len(keys) or 1)
            objectness = sum(isinstance(item, dict) for item in items) / len(items)
            score = (0.4 * size + 0.3 * consistency + 0.3 * objectness) * nearness
            detail = formatter.describe_array(segments, items, keys)
        else:
            score = 0.2 * nearness
            detail = "empty array in this response (no records to judge it by)"
        found.append((PathSuggestion(path, "data", round(score, 3), detail), segments))
    if kind == "json" and isinstance(tree, dict):
        detail = f"the whole object as one record (keys {_list_keys(list(tree))})"
        found.append((PathSuggestion("$", "data", 0.1, detail), ()))
        for key, value in tree.items():
            if isinstance(value, dict) and not _metadata_like(key):
                detail = f"one object with keys {_list_keys(list(value))}, as one record"
                found.append((PathSuggestion(formatter.path((key,)), "data", 0.2, detail), (key,)))
    found.sort(key=lambda pair: (-pair[0].score, pair[0].path))
    return found


def _arrays(value: Any, segments: Segments) -> Iterator[tuple[Segments, list[Any]]]:
    """Every array under ``value`` with its segments, looking into arrays through their first object."""
    if len(segments) > _MAX_DEPTH:
        return
    if isinstance(value, dict):
        for key, child in value.items():
            if isinstance(child, dict | list):
                yield from _arrays(child, (*segments, key))
    elif isinstance(value, list):
        yield segments, value
        first = next((item for item in value if isinstance(item, dict)), None)
        if first is not None:
            yield from _arrays(first, (*segments, _EACH))


def _metadata_suggestions(tree: Any, data: Segments, formatter: _Formatter) -> list[PathSuggestion]:
    """The objects and scalars beside the data array and beside each of its parents."""
    found: list[PathSuggestion] = []
    container = tree
    for depth, branch in enumerate(data):
        if branch is _EACH or not isinstance(container, dict):
            break
        for key, value in container.items():
            if key == branch or key == "#text" or isinstance(value, list) or value is None:
                continue
            score = 0.4 + (0.4 if _metadata_like(key) else 0.0)
            if isinstance(value, dict):
                score += 0.1
                detail = f"object with keys {_list_keys(list(value))}, beside the data"
            else:
                detail = f"{_type_name(value)} {_short(value)}, beside the data"
            path = formatter.path((*data[:depth], key))
            found.append(PathSuggestion(path, "metadata", round(score * 0.9**depth, 3), detail))
        container = container[branch]
    return found


def _pagination_suggestions(tree: Any, formatter: _Formatter) -> list[PathSuggestion]:
    """Keys (outside arrays) whose names and values look like pagination."""
    found: list[PathSuggestion] = []
    for segments, value in _scalars(tree, ()):
        name = _normal(segments[-1].lstrip("@"))
        guess = _pagination_guess(name, value)
        if guess is None:
            continue
        detail, score, extra = guess
        path = formatter.path((*segments, *extra))
        found.append(PathSuggestion(path, "pagination", round(score * 0.97 ** len(segments), 3), detail))
    return found


def _scalars(value: Any, segments: Segments) -> Iterator[tuple[Segments, Any]]:
    """Every non-container value under ``value`` reached through object keys only.

    A ``{"href": ...}`` object is reported whole, so HAL-style ``_links.next.href`` is found.
    """
    if not isinstance(value, dict) or len(segments) > _MAX_DEPTH:
        return
    for key, child in value.items():
        if isinstance(child, dict) and not isinstance(child.get("href"), str):
            yield from _scalars(child, (*segments, key))
        elif not isinstance(child, list) and key != "#text":
            yield (*segments, key), child


def _pagination_guess(name: str, value: Any) -> tuple[str, float, Segments] | None:
    """What a key named ``name`` holding ``value`` says about pagination, its score and any extra segment."""
    if name in _NEXT:
        if isinstance(value, dict):
            return "next_url: the next page's URL (pagination.next_path)", 0.9, ("href",)
        if value is None:
            return "next_url: the next page's URL (pagination.next_path); empty here, the last page?", 0.7, ()
        if _is_count(value):
            return "page: the next page number (page pagination)", 0.6, ()
        if isinstance(value, str) and _URL_LIKE.fullmatch(value):
            return "next_url: the next page's URL (pagination.next_path)", 0.9, ()
        if isinstance(value, str):
            return "next_token: a cursor for the next page (pagination.token_path)", 0.8, ()
        return None
    if name in _TOKEN and (isinstance(value, str) or value is None):
        return "next_token: a cursor for the next page (pagination.token_path)", 0.9, ()
    if name in _COUNTS and _is_count(value):
        detail, score = _COUNT_DETAIL[_COUNTS[name]]
        return detail, score, ()
    return None


def _metadata_like(name: str) -> bool:
    """Whether a key's name suggests metadata (``pagination``, ``_metadata``, ``total``...)."""
    normal = _normal(name)
    return any(word in normal for word in _METADATA_WORDS)


def _count(number: int, noun: str) -> str:
    """``1 object``, ``2 objects``."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _is_count(value: Any) -> bool:
    """Whether ``value`` is a whole number (an int, or digits as XML gives them)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and value.isdigit())


def _keys(objects: list[dict[str, Any]]) -> list[str]:
    """The keys of ``objects`` in first-seen order."""
    return list(dict.fromkeys(key for obj in objects for key in obj))


def _list_keys(keys: list[str]) -> str:
    """``id, name, … (+3 more)``."""
    if not keys:
        return "(none)"
    shown = ", ".join(str(key) for key in keys[:_KEYS_SHOWN])
    return shown + (f", … (+{len(keys) - _KEYS_SHOWN} more)" if len(keys) > _KEYS_SHOWN else "")


def _normal(name: str) -> str:
    """A key lowercased, with everything but letters and digits removed."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _type_name(value: Any) -> str:
    """A plain-words name of a scalar's type."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "text"


def _short(value: Any) -> str:
    """A scalar shown briefly."""
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"
