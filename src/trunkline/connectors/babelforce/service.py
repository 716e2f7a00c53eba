"""The Babelforce service: where a credential's requests go.

Babelforce serves every API version from one host per environment: ``https://services.babelforce.com``
by default (EU), regional or dedicated environments at ``https://{environment}.babelforce.com``
(``us-east``, ``ap-southeast``, ``my-company``). See shared/api/babelforce.md §1.1.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from trunkline.connectors.babelforce.lead_upsert import LeadUpsert
from trunkline.connectors.registry import ServiceSpec
from trunkline.core.config import Credential
from trunkline.core.errors import ConfigError

DEFAULT_BASE_URL = "https://services.babelforce.com"
_DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def babelforce_base_url(credential: Credential) -> str:
    """The base URL for a Babelforce credential without ``base_url``, from its ``environment``.

    A DNS label (``us-east``) becomes ``https://us-east.babelforce.com``; a full URL is used as is; no
    environment means the default host. Anything else is a ConfigError naming ``credential.environment``.
    """
    environment = (credential.environment or "").strip()
    if not environment:
        return DEFAULT_BASE_URL
    if _DNS_LABEL.match(environment.lower()):
        return f"https://{environment.lower()}.babelforce.com"
    parts = urlsplit(environment)
    if parts.scheme in {"http", "https"} and parts.hostname:
        return environment.rstrip("/")
    raise ConfigError(
        "credential.environment", "is neither an environment name nor a URL", value=environment,
        fix="use the environment's name (services, us-east, ap-southeast, your-company) "
        "or its full URL such as https://your-company.babelforce.com",
    )


BABELFORCE = ServiceSpec(
    name="babelforce",
    title="Babelforce",
    default_base_url=DEFAULT_BASE_URL,
    resolve_base_url=babelforce_base_url,
    hooks={"outbound_leads": LeadUpsert},
)
