"""Which services trunkline knows and which endpoint templates each offers.

Templates live in ``connectors/<service>/templates/<kind>s.yaml`` (``sources.yaml``, ``destinations.yaml``).
The files are found by globbing, loaded on first use and cached. Each service's hooks (today: how its base
URL follows from a credential) are a :class:`ServiceSpec`, registered here.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from trunkline.connectors.templates import Template, load_template_file
from trunkline.core.config import Credential
from trunkline.core.destination_config import RateLimit
from trunkline.core.errors import ConfigError

CONNECTORS_DIR = Path(__file__).resolve().parent
KINDS = ("source", "destination")


@dataclass(frozen=True)
class ServiceSpec:
    """One service: its name, a human title, its default base URL and how a credential picks the URL.

    ``resolve_base_url`` is the service's hook for credentials without an explicit ``base_url`` (for
    example, Babelforce builds the URL from ``environment``). Without a hook the default is used.
    ``token_format`` is how a ``token`` credential is sent in ``Authorization``; ``rate_limits`` are the
    service's account-wide limits, respected client-side by destinations; ``hooks`` are the
    destination hooks templates name (``upsert: outbound_leads``), each a factory of a request hook.
    ``default_region`` is the ``default_region`` its destinations read national phone numbers with
    when the destination sets none (CallRail: ``US``, as it only serves US and Canadian numbers).
    """

    name: str
    title: str
    default_base_url: str
    resolve_base_url: Callable[[Credential], str] | None = field(default=None, compare=False, repr=False)
    token_format: str = "Bearer {token}"
    rate_limits: tuple[RateLimit, ...] = ()
    hooks: Mapping[str, Callable[..., Any]] = field(default_factory=dict, compare=False, repr=False)
    default_region: str | None = None

    def base_url_for(self, credential: Credential) -> str:
        """The base URL requests for this credential go to (no trailing slash)."""
        if credential.base_url:
            return credential.base_url.rstrip("/")
        if self.resolve_base_url is not None:
            return self.resolve_base_url(credential)
        if self.default_base_url:
            return self.default_base_url
        raise ConfigError("credential.base_url", f"is required for a {self.name} credential",
                          fix="set base_url to the API's root URL, such as https://api.example.com")


REST = ServiceSpec(name="rest", title="Any REST API", default_base_url="")


@cache
def _registered() -> dict[str, ServiceSpec]:
    """The registered services by name. Imported here, not at the top: service modules import ServiceSpec."""
    from trunkline.connectors.babelforce.service import BABELFORCE
    from trunkline.connectors.callrail.service import CALLRAIL

    return {spec.name: spec for spec in (REST, BABELFORCE, CALLRAIL)}


def services() -> list[ServiceSpec]:
    """Every registered service, the generic ``rest`` service first."""
    return list(_registered().values())


def get_service(name: str, *, where: str = "credential.service") -> ServiceSpec:
    """The service called ``name``; an unknown name is a ConfigError at ``where`` listing the known ones."""
    known = _registered()
    if name not in known:
        raise ConfigError(where, "is not a known service", value=name,
                          fix=f"use one of: {', '.join(known)}")
    return known[name]


@cache
def _template_files() -> dict[tuple[str, str], Path]:
    """Every template file by (service, kind), from the directory layout."""
    found: dict[tuple[str, str], Path] = {}
    for path in sorted(CONNECTORS_DIR.glob("*/templates/*s.yaml")):
        kind = path.stem.removesuffix("s")
        if kind in KINDS:
            found[(path.parent.parent.name, kind)] = path
    return found


@cache
def _load(service: str, kind: str) -> tuple[Template, ...]:
    """The templates of one file, checked against the service and kind its location implies."""
    path = _template_files()[(service, kind)]
    loaded = load_template_file(path)
    if (loaded.service, loaded.kind) != (service, kind):
        raise ConfigError(f"{path}: service/kind", "does not match the file's location",
                          value=f"{loaded.service}/{loaded.kind}",
                          fix=f"set service: {service} and kind: {kind}, or move the file")
    return tuple(loaded.templates)


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise ConfigError("kind", "is not a kind of template", value=kind,
                          fix=f"use one of: {', '.join(KINDS)}")


def templates(service: str | None = None, kind: str | None = None) -> list[Template]:
    """The templates of one service and/or kind (all when not given), in the order of their YAML files."""
    _check_kind(kind)
    if service is not None:
        get_service(service, where="service")
    return [template for _, template in _catalogue(service, kind)]


def _catalogue(service: str | None, kind: str | None) -> list[tuple[str, Template]]:
    """``(service.id, template)`` pairs matching the filters, in file order."""
    return [
        (f"{file_service}.{template.id}", template)
        for (file_service, file_kind) in _template_files()
        if service in (None, file_service) and kind in (None, file_kind)
        for template in _load(file_service, file_kind)
    ]


def get_template(ref: str, *, service: str | None = None, kind: str | None = None) -> Template:
    """The template named by ``ref``: ``"babelforce.list_call_records"``, or a bare id.

    A bare id is looked up in ``service`` when given, else across all services (it must be unambiguous).
    An unknown ref is a ConfigError suggesting the closest template names.
    """
    _check_kind(kind)
    ref_service, dot, template_id = ref.partition(".")
    if dot:
        service = ref_service
    else:
        template_id = ref
    where = f"{kind}.template" if kind else "template"
    if service is not None:
        get_service(service, where=where)
    catalogue = _catalogue(service, kind)
    matches = [template for qualified, template in catalogue if qualified.endswith(f".{template_id}")]
    if len(matches) == 1:
        return matches[0]
    if matches:
        found = [qualified for qualified, _ in catalogue if qualified.endswith(f".{template_id}")]
        raise ConfigError(where, "names templates of several services", value=ref,
                          fix=f"qualify it with its service: {', '.join(found)}")
    by_id = {qualified.partition(".")[2]: qualified for qualified, _ in catalogue}
    close = [by_id[name] for name in difflib.get_close_matches(template_id, list(by_id), n=3, cutoff=0.5)]
    if close:
        hint = f"did you mean {' or '.join(close)}?"
    elif by_id:
        hint = f"use one of: {', '.join(by_id.values())}"
    else:
        hint = "this service has no templates of that kind: configure the source manually (method, url, ...)"
    scope = f" of {service}" if service else ""
    raise ConfigError(where, f"is not a known template{scope}", value=ref, fix=hint)
