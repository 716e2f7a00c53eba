"""Parse response bodies and extract records and metadata from them.

JSON bodies are searched with RFC 9535 JSONPath (``$.calls[*]``); XML bodies with XPath
(``/response/data/item``). Namespaces are dropped from XML when it is parsed, so XPaths and the
keys of extracted records use plain names. An empty body parses to no data and yields no records.

Records are always dicts: a JSONPath match that is a list contributes its items (so ``$.items``
and ``$.items[*]`` give the same records), and any record that is not a dict is wrapped as
``{"value": x}``. A JSON ``null`` is no record (``{"item": null}`` means "nothing here", as
Babelforce answers when there is no current conference). Without a path to data, a top-level
JSON list gives its items, any other JSON value gives one record, and an XML document
gives one record per child of its root.

XML elements become dicts: child elements by tag (a repeated tag gives a list; a leaf element
without attributes gives its text, or ``None`` when empty), attributes as ``@name``, and any other
text of the element, stripped, under ``#text``.

Metadata merge rule: the metadata found at the path to metadata is added to every record. A dict
is merged key by key, any other value is stored under the last name in the path
(``$.pagination.total`` gives ``{"total": 123}``). Keys are added flat, next to the record's own
fields, and the record's own field wins when both have the same key.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import orjson
from lxml import etree

from trunkline.core.errors import ConfigError, ResponseFormatError

if TYPE_CHECKING:
    import jsonpath

ResponseFormat = Literal["auto", "json", "xml"]

_EXCERPT_CHARS = 200
_BOM = b"\xef\xbb\xbf"
_JSON_FIX = "write an RFC 9535 JSONPath such as $.items[*] or $.data.calls[*]"
_XPATH_FIX = "write an XPath such as /response/data/item"
_FORMAT_FIX = (
    "check that the URL and credential return data (not an error or login page), "
    "or set response_format to 'json' or 'xml'"
)
_LAST_NAME = re.compile(r"[A-Za-z_][\w-]*(?![\w-]*\()")
_DIGIT_MASK = bytes(ord("0") if ord("0") <= byte <= ord("9") else ord(".") for byte in range(256))
"""``bytes.translate`` table: every ASCII digit becomes ``0``, every other byte ``.``."""
_LONG_RUN = b"0" * 19
_BEFORE_NUMBER = frozenset(b" \t\r\n:,[")
"""The bytes a JSON number can follow: whitespace, a key's colon, a comma, an array's bracket."""
_PLAIN_PATH = re.compile(r"\$(?P<names>(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(?P<all>\[\*\])?")


@dataclass
class ParsedBody:
    """A parsed response: ``kind`` says how ``data`` was read.

    ``data`` is the JSON value, or the root element for XML, or ``None`` for an empty body.
    """

    kind: Literal["json", "xml"]
    data: Any


def parse_body(content: bytes, content_type: str | None, response_format: ResponseFormat = "auto") -> ParsedBody:
    """Parse ``content`` as JSON or XML.

    With ``auto`` the content type decides (``application/json``, ``*+json``, ``text/xml``,
    ``*+xml``...); otherwise a body starting with ``<`` is XML and anything else JSON. An HTML page
    (``text/html``) is refused: it is what a sign-in page or a wrong URL answers, never the data.
    Raises ``ResponseFormatError`` (with an excerpt of the body) when the body cannot be parsed.
    """
    stripped = content.removeprefix(_BOM).lstrip()
    if response_format == "auto" and _media_type(content_type) == "text/html":
        raise _format_error("response is a web page (text/html), not data: often a sign-in page or a wrong URL",
                            content, content_type)
    kind = _kind(stripped, content_type, response_format)
    if not stripped:
        return ParsedBody(kind, None)
    if kind == "xml":
        return ParsedBody("xml", _parse_xml(content, content_type))
    try:
        return ParsedBody("json", _loads(content))
    except RecursionError:
        raise _format_error("response nests JSON deeper than can be read safely", content, content_type) from None
    except (ValueError, UnicodeDecodeError) as error:
        declared = response_format == "json" or _declared_kind(content_type) == "json"
        problem = "not valid JSON" if declared else "neither JSON nor XML"
        raise _format_error(f"response is {problem} ({_reason(error)})", content, content_type) from None


def _loads(content: bytes) -> Any:
    """``json.loads`` at orjson's speed: orjson reads UTF-8 JSON; what it refuses (UTF-16/32, ``NaN``,
    nesting past its limit) goes to the standard library, which either reads it as before or raises
    the error the caller reports. orjson would read an integer beyond 64 bits as a float, losing
    digits, so a body that may hold one (:func:`_may_hold_big_integer`) is left to the standard
    library too."""
    if not _may_hold_big_integer(content):
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass
    return json.loads(content)


def _may_hold_big_integer(content: bytes) -> bool:
    """Whether ``content`` may hold a JSON integer of 19 digits or more, where 64 bits end (orjson
    reads -9223372036854775809 and 18446744073709551616 as floats): a run of 19 digits that starts
    where a number can start, after whitespace, ``:``, ``,``, ``[`` or the body's start, with or
    without a minus. A run inside a string (a hexadecimal id, a long reference) mostly follows a letter
    or a quote and does not count; one that follows a space inside a string counts, which only costs
    the slower parser. The runs are found at C speed in a copy of the body with its digits masked."""
    masked = content.translate(_DIGIT_MASK)
    start = masked.find(_LONG_RUN)
    while start != -1:
        before = start - 1
        if before >= 0 and content[before] == ord("-"):
            before -= 1
        if before < 0 or content[before] in _BEFORE_NUMBER:
            return True
        end = masked.find(b".", start)
        if end == -1:
            return False
        start = masked.find(_LONG_RUN, end)
    return False


def extract_records(body: ParsedBody, path_to_data: str | None) -> list[dict[str, Any]]:
    """The records at ``path_to_data`` in ``body`` (see the module docstring for the rules).

    A path that matches nothing gives ``[]``. Raises ``ConfigError`` naming ``path_to_data``
    when the path is not valid JSONPath/XPath, or is of the wrong kind for the body.
    """
    path = (path_to_data or "").strip()
    if body.data is None:
        return []
    if not path:
        found = _children(body.data) if body.kind == "xml" else _flatten([body.data])
    else:
        found = _flatten(_find(body, path, "path_to_data"))
    return [item if type(item) is dict else _as_record(item) for item in found if item is not None]


def extract_metadata(body: ParsedBody, path_to_metadata: str | None) -> dict[str, Any]:
    """The metadata at ``path_to_metadata`` as a dict, ready for ``merge_metadata``.

    A dict is returned as is; any other value is stored under the last name in the path; several
    matches are stored as a list under that name. No path, no data or no match gives ``{}``.
    """
    path = (path_to_metadata or "").strip()
    if not path or body.data is None:
        return {}
    if body.kind == "json":
        found = _json_matches(body.data, path, "path_to_metadata")
        matches = [(match.value, _last_key(match.parts)) for match in found]
    else:
        matches = [_xml_value(item) for item in _find(body, path, "path_to_metadata")]
    if not matches:
        return {}
    if len(matches) == 1 and isinstance(matches[0][0], dict):
        return matches[0][0]
    name = matches[0][1] or _last_name(path)
    values = [value for value, _ in matches]
    return {name: values[0] if len(values) == 1 else values}


def value_at(body: ParsedBody, path: str, *, where: str = "path") -> Any:
    """The first value ``path`` selects in ``body``, or ``None`` when it selects nothing.

    For XML a leaf element gives its text, an attribute its value, and any other element its dict.
    Used for single values such as a next-page URL, a token or a total.
    """
    found = _find(body, path.strip(), where) if body.data is not None else []
    if not found:
        return None
    return found[0] if body.kind == "json" else _xml_value(found[0])[0]


def path_matches(body: ParsedBody, path: str, *, where: str = "path_to_data") -> bool:
    """Whether ``path`` selects anything at all in ``body`` (even an empty list).

    A JSONPath ending in ``[*]`` over an empty array selects nothing, yet names the right place: the
    array itself is looked for too, so an empty page is not mistaken for a wrong path.
    """
    if body.data is None:
        return False
    path = path.strip()
    if _find(body, path, where):
        return True
    return body.kind == "json" and path.endswith("[*]") and bool(_find(body, path[:-3], where))


def merge_metadata(record: Any, metadata: dict[str, Any]) -> dict[str, Any]:
    """A new dict: ``record``'s fields plus the metadata keys it does not already have.

    A record that is not a dict is wrapped as ``{"value": record}`` first.
    """
    merged = _as_record(record).copy()
    for key, value in metadata.items():
        merged.setdefault(key, value)
    return merged


def element_to_dict(element: etree._Element) -> dict[str, Any]:
    """An XML element as a dict (see the module docstring for the rules)."""
    result: dict[str, Any] = {f"@{_local(name)}": value for name, value in element.attrib.items()}
    texts = [element.text or ""]
    for child in element:
        texts.append(child.tail or "")
        if not isinstance(child.tag, str):
            continue
        key = _local(child.tag)
        value = _element_value(child)
        if key not in result:
            result[key] = value
        elif isinstance(result[key], list):
            result[key].append(value)
        else:
            result[key] = [result[key], value]
    text = "".join(texts).strip()
    if text:
        result["#text"] = text
    return result


def _local(name: str) -> str:
    """A tag or attribute name without its ``{namespace}``."""
    return name.rpartition("}")[2]


def _element_value(element: etree._Element) -> str | dict[str, Any] | None:
    """An element's value inside its parent: its text when it is a plain leaf, else its dict.

    Child elements are never lists, so a list in a parent's dict always means a repeated tag.
    """
    has_children = any(isinstance(child.tag, str) for child in element)
    if not has_children and not element.attrib:
        return element.text
    return element_to_dict(element)


def _kind(stripped: bytes, content_type: str | None, response_format: ResponseFormat) -> Literal["json", "xml"]:
    """Which parser reads the body."""
    if response_format != "auto":
        return response_format
    declared = _declared_kind(content_type)
    if declared:
        return declared
    return "xml" if stripped.startswith(b"<") else "json"


def _declared_kind(content_type: str | None) -> Literal["json", "xml"] | None:
    """The format a Content-Type header declares, if it declares JSON or XML."""
    media = _media_type(content_type)
    if media.endswith(("/json", "+json")):
        return "json"
    if media.endswith(("/xml", "+xml")):
        return "xml"
    return None


def _media_type(content_type: str | None) -> str:
    """The media type of a Content-Type header, lower case, without parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _parse_xml(content: bytes, content_type: str | None) -> etree._Element:
    """Parse XML safely (no network, no entity expansion) and drop namespaces."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as error:
        raise _format_error(f"response is not valid XML ({error.msg})", content, content_type) from None
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = _local(element.tag)
    etree.cleanup_namespaces(root)
    return root


def _format_error(message: str, content: bytes, content_type: str | None) -> ResponseFormatError:
    """A ``ResponseFormatError`` showing the content type and the start of the body."""
    excerpt = " ".join(content.decode("utf-8", errors="replace").split())
    if len(excerpt) > _EXCERPT_CHARS:
        excerpt = excerpt[: _EXCERPT_CHARS - 1] + "…"
    return ResponseFormatError(
        f"{message}; content type {content_type or 'not given'}; body starts: {excerpt!r}", fix=_FORMAT_FIX
    )


def _reason(error: Exception) -> str:
    """A one-line reason from a JSON decoding error."""
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at line {error.lineno} column {error.colno}"
    return str(error)


def _find(body: ParsedBody, path: str, where: str) -> list[Any]:
    """Every node ``path`` selects in ``body``."""
    if body.kind == "json":
        plain = _plain_path(path)
        if plain is not None:
            return _plain_matches(body.data, *plain)
        return [match.value for match in _json_matches(body.data, path, where)]
    if path.startswith("$"):
        raise ConfigError(where, "the path is a JSONPath, but the response is XML", value=path, fix=_XPATH_FIX)
    try:
        found = _compile_xpath(path, where)(body.data)
    except etree.XPathEvalError as error:
        fix = _XPATH_FIX + " (namespaces are dropped when XML is read, so write no prefixes)"
        raise ConfigError(where, f"XPath cannot be evaluated: {error}", value=path, fix=fix) from None
    return found if isinstance(found, list) else [found]


def _json_matches(data: Any, path: str, where: str) -> list[jsonpath.JSONPathMatch]:
    """Every JSONPath match of ``path`` in ``data``."""
    if path.startswith("/"):
        raise ConfigError(where, "the path is an XPath, but the response is JSON", value=path, fix=_JSON_FIX)
    compiled = _compile_jsonpath(path, where)
    try:
        return list(compiled.finditer(data))
    except _jsonpath().JSONPathError as error:
        raise ConfigError(where, f"JSONPath cannot be evaluated: {_first_line(error)}", value=path) from None


@lru_cache(maxsize=256)
def _plain_path(path: str) -> tuple[tuple[str, ...], bool] | None:
    """The member names of a plain JSONPath such as ``$.data.items[*]`` and whether it ends in ``[*]``;
    ``None`` for any other path (those go to the JSONPath library)."""
    match = _PLAIN_PATH.fullmatch(path)
    if match is None:
        return None
    return tuple(match.group("names").split(".")[1:]), match.group("all") is not None


def _plain_matches(data: Any, names: tuple[str, ...], every: bool) -> list[Any]:
    """What a plain JSONPath selects, by walking the parsed JSON directly (RFC 9535 semantics: a name
    selects an object member, ``[*]`` every element of an array or every member value of an object)."""
    node = data
    for name in names:
        if not isinstance(node, dict) or name not in node:
            return []
        node = node[name]
    if not every:
        return [node]
    if isinstance(node, list):
        return node
    return list(node.values()) if isinstance(node, dict) else []


def _jsonpath() -> Any:
    """The JSONPath library, imported on first use: plain paths never need it, and every command
    would otherwise pay for its import (about 90 ms)."""
    import jsonpath

    return jsonpath


@lru_cache(maxsize=256)
def _compile_jsonpath(path: str, where: str) -> jsonpath.JSONPath | jsonpath.CompoundJSONPath:
    """``path`` compiled as an RFC 9535 JSONPath (cached)."""
    if not path.startswith("$"):
        rooted = "$" + path if path.startswith((".", "[")) else "$." + path
        raise ConfigError(where, "a JSONPath starts with $", value=path, fix=f"write {rooted}")
    library = _jsonpath()
    try:
        return library.JSONPathEnvironment(strict=True).compile(path)
    except library.JSONPathError as error:
        message = f"invalid JSONPath: {_first_line(error)}"
        raise ConfigError(where, message, value=path, fix=_JSON_FIX) from None


@lru_cache(maxsize=256)
def _compile_xpath(path: str, where: str) -> etree.XPath:
    """``path`` compiled as an XPath (cached)."""
    try:
        return etree.XPath(path)
    except etree.XPathSyntaxError as error:
        raise ConfigError(where, f"invalid XPath: {error}", value=path, fix=_XPATH_FIX) from None


def _first_line(error: Exception) -> str:
    """The first line of an error message (python-jsonpath adds a multi-line caret diagram)."""
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _flatten(found: list[Any]) -> list[Any]:
    """Matches with list matches replaced by their items (one level)."""
    items: list[Any] = []
    for item in found:
        if isinstance(item, list):
            items.extend(item)
        else:
            items.append(item)
    return items


def _children(root: etree._Element) -> list[etree._Element]:
    """The child elements of ``root`` (comments and processing instructions skipped)."""
    return [child for child in root if isinstance(child.tag, str)]


def _as_record(item: Any) -> dict[str, Any]:
    """``item`` as a record dict."""
    if isinstance(item, dict):
        return item
    if isinstance(item, etree._Element):
        return element_to_dict(item)
    return {"value": str(item) if isinstance(item, etree._ElementUnicodeResult) else item}


def _xml_value(item: Any) -> tuple[Any, str | None]:
    """An XPath result as a metadata value and the name it would be stored under."""
    if isinstance(item, etree._Element):
        return _element_value(item), _local(item.tag)
    if isinstance(item, etree._ElementUnicodeResult):
        if item.is_attribute:
            return str(item), item.attrname
        parent = item.getparent()
        return str(item), parent.tag if parent is not None else None
    return item, None


def _last_key(parts: tuple[Any, ...]) -> str | None:
    """The last object key on a JSONPath match's location."""
    return next((part for part in reversed(parts) if isinstance(part, str)), None)


def _last_name(path: str) -> str:
    """The last name written in ``path`` (skipping function calls such as ``text()``)."""
    names = _LAST_NAME.findall(path)
    return names[-1] if names else "value"


def page_records(body: ParsedBody, path_to_data: str | None, path_to_metadata: str | None) -> list[dict[str, Any]]:
    """The records of one parsed page: those at ``path_to_data``, each with the page's metadata (the
    fields at ``path_to_metadata``) merged in."""
    records = extract_records(body, path_to_data)
    metadata = extract_metadata(body, path_to_metadata)
    if metadata:
        records = [merge_metadata(record, metadata) for record in records]
    return records
