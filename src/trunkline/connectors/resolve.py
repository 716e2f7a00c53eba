"""From a source file to a runnable source: credential resolved, template expanded, lookups wired.

This is the one place where a source's YAML meets the service registry, the credential store and
the REST engine. ``trunkline source show`` prints :func:`effective_config`, the manual form every
template source expands to.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from trunkline.connectors import registry
from trunkline.connectors.templates import Template, check_template_keys, expand_template
from trunkline.core.collector import collector_set_for_runs
from trunkline.core.config import Credential, SourceConfig, config_error_from
from trunkline.core.errors import ConfigError
from trunkline.core.yamlfile import load_yaml_file
from trunkline.readers.files import read_records
from trunkline.rest.auth import build_auth, origin_of
from trunkline.rest.http import HttpClient, RetryPolicy
from trunkline.rest.macros import check_format
from trunkline.rest.source import LookupValues, RestSource
from trunkline.store.credentials import CredentialStore, mask, mask_headers
from trunkline.store.home import resolve_home

MAX_LOOKUP_DEPTH = 5


@dataclass
class ResolvedSource:
    """A source ready to run: manual configuration, credential and where it came from."""

    name: str
    config: SourceConfig
    credential: Credential | None
    base_url: str | None
    template: Template | None = None
    base_dir: Path | None = None


def load_source(source: Path | str | Mapping[str, Any], *, home: Path | None = None) -> ResolvedSource:
    """Read a source file (or take a mapping) and resolve it. Errors name the config key and the fix."""
    if isinstance(source, Mapping):
        return resolve_source(source, name="source", home=home, base_dir=Path.cwd())
    path = Path(source)
    raw = load_yaml_file(path, root="source")
    return resolve_source(raw, name=path.stem, home=home, base_dir=path.parent)


def resolve_source(
    raw: Mapping[str, Any], *, name: str, home: Path | None = None, base_dir: Path | None = None,
) -> ResolvedSource:
    """Validate a source mapping, resolve its credential and expand its template."""
    raw = dict(raw)
    credential = resolve_credential(raw.pop("credential", None), home=home)
    if "template" in raw and "url" in raw:
        raise ConfigError("source.url", "cannot be set together with template",
                          fix="use either template + params, or the manual keys (method, url, …)")
    template = None
    base_url = base_url_of(credential)
    if raw.get("template"):
        service = credential.service if credential and credential.service != "rest" else None
        template = registry.get_template(str(raw["template"]), service=service, kind="source")
        check_template_keys(raw, _TEMPLATE_OVERRIDABLE, "source")
        if base_url is None:
            base_url = registry.get_service(template.service).default_base_url
        expanded = expand_template(template, dict(raw.pop("params", None) or {}), base_url, where="source")
        raw.pop("template")
        raw = {**expanded, **raw}
    config = _validate(raw)
    check_format(config.date_format, where="source.date_format")  # not first at a macro, named by its query key
    if config.url.startswith("/"):
        if base_url is None:
            raise ConfigError("source.url", "is a path but no base URL is known", value=config.url,
                              fix="write the full URL (https://…) or give the credential a base_url")
        config = config.model_copy(update={"url": base_url + config.url})
    if base_url is None and credential is not None:
        base_url = origin_url(config.url)
    return ResolvedSource(name=name, config=config, credential=credential, base_url=base_url,
                          template=template, base_dir=base_dir)


#: Keys a template source may still set next to ``template`` + ``params``.
_TEMPLATE_OVERRIDABLE = frozenset({"date_format", "time_unit", "headers", "lookup", "path_to_metadata"})


def _validate(raw: Mapping[str, Any]) -> SourceConfig:
    try:
        return SourceConfig.model_validate(raw)
    except ValidationError as error:
        raise config_error_from(error, "source") from None


def resolve_credential(value: Any, *, home: Path | None = None) -> Credential | None:
    """An inline credential mapping, or the name of a stored one."""
    if value is None:
        return None
    if isinstance(value, str):
        value = CredentialStore(resolve_home(home)).get(value)
    if not isinstance(value, Mapping):
        raise ConfigError("source.credential", "must be a mapping or the name of a stored credential",
                          fix="write credential: {service: babelforce, username: …} or credential: NAME")
    try:
        credential = Credential.model_validate(value)
    except ValidationError as error:
        raise config_error_from(error, "credential") from None
    registry.get_service(credential.service)  # a misspelt service is named here, before any template is looked up
    return credential


def token_format_of(credential: Credential | None) -> str:
    """How the credential's service sends a ``token`` (``Bearer {token}`` unless the service says otherwise)."""
    return registry.get_service(credential.service).token_format if credential else "Bearer {token}"


def base_url_of(credential: Credential | None) -> str | None:
    if credential is None:
        return None
    if credential.base_url:
        return credential.base_url
    service = registry.get_service(credential.service)
    return service.base_url_for(credential) if service.default_base_url or credential.environment else None


def origin_url(url: str) -> str:
    scheme_host_port = origin_of(url)
    scheme, rest = scheme_host_port.split("://", 1)
    host, port = rest.rsplit(":", 1)
    default = "443" if scheme == "https" else "80"
    return f"{scheme}://{host}" if port == default else f"{scheme}://{host}:{port}"


def effective_config(resolved: ResolvedSource) -> dict[str, Any]:
    """The manual configuration the source runs with, secrets masked (``trunkline source show``): the
    credential's, and the values of secret-carrying ``headers`` (``Authorization: Bearer ****``…)."""
    shown: dict[str, Any] = {}
    if resolved.template is not None:
        shown["from_template"] = f"{resolved.template.service}.{resolved.template.id}"
    if resolved.credential is not None:
        credential = resolved.credential.model_dump(exclude_none=True, exclude_defaults=True, mode="json")
        shown["credential"] = mask({**credential, "base_url": resolved.base_url})
    config = resolved.config.model_dump(mode="json", exclude={"credential", "template", "params"})
    config["headers"] = mask_headers(config["headers"])
    shown.update(config)
    return shown


@asynccontextmanager
async def open_source(
    resolved: ResolvedSource,
    *,
    home: Path | None = None,
    now: datetime | None = None,
    retry: RetryPolicy | None = None,
    _depth: int = 0,
) -> AsyncIterator[RestSource]:
    """A ready :class:`RestSource` with its HTTP client (closed on exit) and its lookup values; Python's
    garbage collector is set for moving records meanwhile (:mod:`trunkline.core.collector`)."""
    auth = build_auth(resolved.credential, resolved.base_url, token_format=token_format_of(resolved.credential))
    with collector_set_for_runs():
        async with HttpClient(auth, retry=retry) as client:
            lookup = _lookup_values(resolved, home=home, now=now, retry=retry, depth=_depth)
            try:
                yield RestSource(resolved.config, client, now=now, lookup_values=lookup)
            finally:
                if isinstance(lookup, AsyncGenerator):  # a lookup source: close it here, not in the garbage collector
                    await lookup.aclose()


def _lookup_values(
    resolved: ResolvedSource, *, home: Path | None, now: datetime | None, retry: RetryPolicy | None, depth: int,
) -> LookupValues | None:
    lookup = resolved.config.lookup
    if lookup is None:
        return None
    path = Path(lookup.source)
    if not path.is_absolute() and resolved.base_dir is not None:
        path = resolved.base_dir / path
    if path.suffix.lower() not in {".yaml", ".yml"}:
        return read_records(path)
    if depth >= MAX_LOOKUP_DEPTH:
        raise ConfigError("source.lookup.source", f"lookups nest deeper than {MAX_LOOKUP_DEPTH} sources",
                          value=str(lookup.source), fix="check for a source that looks itself up")
    inner = load_source(path, home=home)

    async def rows() -> AsyncIterator[Mapping[str, Any]]:
        async with open_source(inner, home=home, now=now, retry=retry, _depth=depth + 1) as source:
            async for record in source.records():
                yield record

    return rows()
