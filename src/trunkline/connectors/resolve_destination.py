"""From a destination file to a runnable destination: credential resolved, template expanded, service
rate limits and hooks wired. ``trunkline destination show`` prints :func:`effective_destination`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from trunkline.connectors import registry
from trunkline.connectors.resolve import base_url_of, origin_url, resolve_credential, token_format_of
from trunkline.connectors.templates import Template, check_template_keys, expand_destination_template
from trunkline.core.config import Credential, config_error_from
from trunkline.core.destination_config import DestinationConfig
from trunkline.core.errors import ConfigError
from trunkline.core.yamlfile import load_yaml_file
from trunkline.rest.auth import build_auth, masked_auth_headers, origin_of
from trunkline.rest.destination import RequestHook, RestDestination
from trunkline.rest.http import HttpClient, RetryPolicy
from trunkline.rest.macros import check_format
from trunkline.store.credentials import mask, mask_headers

#: Keys a template destination may still set next to ``template`` + ``params``.
_TEMPLATE_OVERRIDABLE = frozenset({
    "headers", "body", "exclude", "batch", "capture_responses", "capture_headers", "default_region",
    "rate_limits", "retry_non_idempotent", "mode", "date_format", "time_unit", "content_format", "concurrency",
})


@dataclass
class ResolvedDestination:
    """A destination ready to run: manual configuration, credential, service hooks, where it came from."""

    name: str
    config: DestinationConfig
    credential: Credential | None
    base_url: str | None
    template: Template | None = None
    base_dir: Path | None = None

    @property
    def token_format(self) -> str:
        """How the credential's token is sent."""
        return token_format_of(self.credential)

    def preview_headers(self, headers: Mapping[str, str], url: str | None = None) -> dict[str, str]:
        """``headers`` plus the credential's auth headers, as a user may see them: the credential's secrets
        and the values of secret-carrying headers (``Authorization``, ``X-Api-Key``…, see
        :func:`~trunkline.store.credentials.mask_headers`) masked. For a ``url`` on another host than the
        credential's, no auth header is shown: the run never sends the credential there."""
        shown = mask_headers(headers)
        if url is not None and self.base_url and origin_of(url) != origin_of(self.base_url):
            return shown
        return {**shown, **masked_auth_headers(self.credential, token_format=self.token_format)}


def load_destination(destination: Path | str | Mapping[str, Any], *, home: Path | None = None
                     ) -> ResolvedDestination:
    """Read a destination file (or take a mapping) and resolve it. Errors name the key and the fix."""
    if isinstance(destination, Mapping):
        return resolve_destination(destination, name="destination", home=home, base_dir=Path.cwd())
    path = Path(destination)
    raw = load_yaml_file(path, root="destination")
    return resolve_destination(raw, name=path.stem, home=home, base_dir=path.parent)


def resolve_destination(raw: Mapping[str, Any], *, name: str, home: Path | None = None,
                        base_dir: Path | None = None) -> ResolvedDestination:
    """Validate a destination mapping, resolve its credential, expand its template, add service limits."""
    raw = dict(raw)
    credential = resolve_credential(raw.pop("credential", None), home=home)
    if "template" in raw and "url" in raw:
        raise ConfigError("destination.url", "cannot be set together with template",
                          fix="use either template + params, or the manual keys (method, url, …)")
    base_url = base_url_of(credential)
    template = None
    if raw.get("template"):
        service = credential.service if credential and credential.service != "rest" else None
        template = registry.get_template(str(raw["template"]), service=service, kind="destination")
        check_template_keys(raw, _TEMPLATE_OVERRIDABLE, "destination")
        if base_url is None:
            base_url = registry.get_service(template.service).default_base_url
        expanded = expand_destination_template(template, dict(raw.pop("params", None) or {}), base_url)
        raw.pop("template")
        raw = {**expanded, **raw}
    config = _validate(raw)
    check_format(config.date_format, where="destination.date_format")
    if config.url.startswith("/"):
        if base_url is None:
            raise ConfigError("destination.url", "is a path but no base URL is known", value=config.url,
                              fix="write the full URL (https://…) or give the credential a base_url")
        config = config.model_copy(update={"url": base_url + config.url})
    if base_url is None and credential is not None:
        base_url = origin_url(config.url)
    config = _with_service_limits(config, credential, raw)
    config = _with_service_region(config, template, credential)
    _check_mode(config, template)
    return ResolvedDestination(name=name, config=config, credential=credential, base_url=base_url,
                               template=template, base_dir=base_dir)


def _validate(raw: Mapping[str, Any]) -> DestinationConfig:
    try:
        return DestinationConfig.model_validate(raw)
    except ValidationError as error:
        raise config_error_from(error, "destination") from None


def _with_service_limits(config: DestinationConfig, credential: Credential | None, raw: Mapping[str, Any]
                         ) -> DestinationConfig:
    """Add the service's account-wide limits unless the user set one of the same name."""
    if credential is None:
        return config
    own = {limit.name for limit in config.rate_limits}
    service_limits = [limit for limit in registry.get_service(credential.service).rate_limits if limit.name not in own]
    return config.model_copy(update={"rate_limits": [*service_limits, *config.rate_limits]}) if service_limits \
        else config


def _with_service_region(config: DestinationConfig, template: Template | None, credential: Credential | None
                         ) -> DestinationConfig:
    """Use the service's ``default_region`` (the template's service, else the credential's) unless the
    user set one."""
    if config.default_region is not None:
        return config
    service = template.service if template is not None else credential.service if credential is not None else None
    region = registry.get_service(service).default_region if service else None
    return config.model_copy(update={"default_region": region}) if region else config


def _check_mode(config: DestinationConfig, template: Template | None) -> None:
    if config.mode != "upsert":
        return
    if template is None or template.upsert is None:
        raise ConfigError("destination.mode", "upsert is offered by templates that can find an existing record",
                          value="upsert", fix="use mode: upsert with a template such as add_outbound_lead")
    if config.batch is not None:
        raise ConfigError("destination.batch", "cannot be used with mode: upsert (each record is matched on its own)",
                          fix="remove batch, or use mode: create")
    if config.concurrency > 1:
        raise ConfigError("destination.concurrency", "must be 1 with mode: upsert (the list is read once and each "
                          "record must see the leads created before it)", value=config.concurrency,
                          fix="remove concurrency (upserts are sent one at a time), or use mode: create")


def effective_destination(resolved: ResolvedDestination) -> dict[str, Any]:
    """The manual configuration the destination runs with, secrets masked: the credential's, and the values
    of secret-carrying ``headers`` (``Authorization: Token token="****"``, ``X-Api-Key: ****``…)."""
    shown: dict[str, Any] = {}
    if resolved.template is not None:
        shown["from_template"] = f"{resolved.template.service}.{resolved.template.id}"
    if resolved.credential is not None:
        credential = resolved.credential.model_dump(exclude_none=True, exclude_defaults=True, mode="json")
        shown["credential"] = mask({**credential, "base_url": resolved.base_url})
    shown.update(resolved.config.model_dump(mode="json", by_alias=True,
                                            exclude={"credential", "template", "params"}))
    shown["headers"] = mask_headers(shown["headers"])
    return shown


def _hook(resolved: ResolvedDestination) -> RequestHook | None:
    template = resolved.template
    if resolved.config.mode != "upsert" or template is None or template.upsert is None:
        return None
    factory = registry.get_service(template.service or "rest").hooks[template.upsert]
    return factory(resolved.config)


@asynccontextmanager
async def open_destination(resolved: ResolvedDestination, *, now: datetime | None = None,
                           retry: RetryPolicy | None = None) -> AsyncIterator[tuple[RestDestination, HttpClient]]:
    """A ready destination engine and the HTTP client holding its credential (both closed on exit)."""
    auth = build_auth(resolved.credential, resolved.base_url, token_format=resolved.token_format)
    policy = retry or RetryPolicy()
    if resolved.config.retry_non_idempotent:
        policy = replace(policy, retry_all_methods=True)
    with RestDestination(resolved.config, now=now, base_dir=resolved.base_dir, hook=_hook(resolved)) as engine:
        async with HttpClient(auth, retry=policy, in_flight=resolved.config.concurrency) as client:
            yield engine, client
