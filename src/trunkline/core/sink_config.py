"""Typed configuration of the table destinations: DuckDB and PostgreSQL (see docs/data-destinations.md).

```yaml
{type: duckdb, path: warehouse.duckdb, table: calls, mode: merge, key: id}
{type: postgres, url: postgresql://user@host:5432/db, schema: public, table: calls, mode: append}
```

``parse_sink_config`` turns such a mapping into a model; every problem is a :class:`ConfigError`
naming ``destination.<key>``, the value and the fix.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from trunkline.core.config import StrictModel, config_error_from
from trunkline.core.errors import ConfigError

WriteMode = Literal["append", "replace", "merge"]
PLAIN_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_RULE = "sink_rule"
_IDENTIFIER_FIX = "use 1 to 63 letters, digits and underscores, starting with a letter or an underscore"
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def _rule_error(key: str, message: str, value: Any, fix: str) -> PydanticCustomError:
    """A validation error that carries the config key, the value and the fix to the error conversion."""
    return PydanticCustomError(_RULE, message, {"key": key, "value": value, "fix": fix})


class _TableSinkConfig(StrictModel):
    """What every table destination shares: the table, how a run writes to it, and the merge key."""

    table: str
    schema_name: str | None = Field(default=None, alias="schema")
    mode: WriteMode = "append"
    key: list[str] | None = None

    @field_validator("table", "schema_name")
    @classmethod
    def _plain_identifier(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not PLAIN_IDENTIFIER.fullmatch(value):
            key = "schema" if info.field_name == "schema_name" else info.field_name
            raise _rule_error(key, "is not a plain identifier", value, _IDENTIFIER_FIX)
        return value

    @field_validator("key", mode="before")
    @classmethod
    def _key_as_list(cls, value: Any) -> Any:
        """Accept ``key: id`` as well as ``key: [account, id]``."""
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list) and (
            not all(isinstance(part, str) and part.strip() for part in value) or len(set(value)) != len(value)
        ):
            raise _rule_error("key", "must name distinct, non-empty fields", value,
                              "write key: FIELD or key: [FIELD, FIELD]")
        return value

    @model_validator(mode="after")
    def _merge_needs_key(self) -> _TableSinkConfig:
        if self.mode == "merge" and not self.key:
            raise _rule_error("key", "is required when mode is merge", None,
                              "add key: FIELD (or a list of fields) naming what identifies a record")
        return self

    @property
    def keys(self) -> list[str]:
        """The merge key's fields (empty outside merge mode, where the key is not used)."""
        return list(self.key or []) if self.mode == "merge" else []


class DuckDBSinkConfig(_TableSinkConfig):
    """Write records into a table of a DuckDB database file (created if missing). Schema default: main."""

    type: Literal["duckdb"] = "duckdb"
    path: str = Field(min_length=1)


class PostgresSinkConfig(_TableSinkConfig):
    """Write records into a PostgreSQL table. ``url`` is a ``postgresql://`` URL; schema default: public."""

    type: Literal["postgres"] = "postgres"
    url: SecretStr

    @field_validator("url")
    @classmethod
    def _postgres_url(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(_POSTGRES_SCHEMES):
            raise _rule_error("url", "must be a postgresql:// URL", None,
                              "write url: postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
        return value


SinkConfig = DuckDBSinkConfig | PostgresSinkConfig
_MODELS: dict[str, type[_TableSinkConfig]] = {"duckdb": DuckDBSinkConfig, "postgres": PostgresSinkConfig}


def parse_sink_config(data: dict[str, Any], root: str = "destination") -> SinkConfig:
    """Validate a table destination mapping (``type: duckdb`` or ``type: postgres``) into its model.

    Raises :class:`ConfigError` naming ``<root>.<key>``, the offending value and the fix.
    """
    kind = data.get("type")
    model = _MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise ConfigError(f"{root}.type", "is not a table destination type", value=kind,
                          fix="use one of: " + ", ".join(_MODELS))
    try:
        return model.model_validate(data)  # type: ignore[return-value]
    except ValidationError as error:
        first = error.errors()[0]
        if first["type"] == _RULE:
            ctx = first["ctx"]
            raise ConfigError(f"{root}.{ctx['key']}", first["msg"], value=ctx["value"], fix=ctx["fix"]) from None
        raise config_error_from(error, root) from None
