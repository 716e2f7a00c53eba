"""The keys a config mapping may hold, found from the pydantic models, to suggest the one a typo meant.

A validation error names the root model (its ``title``) and the location of the unknown key; walking the
models' fields along that location gives the keys written next to it (``destination.validate.requird`` →
the keys of ``RecordRules`` → ``required``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any, get_args

from pydantic import BaseModel


def closest_key(root_model: str, location: list[str]) -> str | None:
    """The known key closest to the last part of ``location`` (an unknown key) in the mapping that holds it,
    or None when none is close or the mapping is not a model's."""
    *parents, unknown = location
    close = difflib.get_close_matches(unknown, sorted(_keys_at(root_model, parents)), n=1, cutoff=0.6)
    return close[0] if close else None


def _keys_at(root_model: str, parents: list[str]) -> set[str]:
    models = [model for model in _models() if model.__name__ == root_model]
    for part in parents:
        if part.isdigit():
            continue  # an item of a list
        named = [model for model in models if model.__name__ == part]
        if named:  # pydantic names the union member it tried
            models = named
            continue
        fields = [field for model in models if (field := _field(model, part)) is not None]
        if fields:
            models = [model for field in fields for model in _models_in(field.annotation)]
        # else: the tag pydantic puts after a tagged union (``pagination.page.size``): the models stay
    return {field.alias or name for model in models for name, field in model.model_fields.items()}


def _field(model: type[BaseModel], key: str) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field
    return None


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """The models a field's type holds: itself, or inside Optional, list, a union or Annotated."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for argument in get_args(annotation):
        yield from _models_in(argument)


def _models() -> Iterator[type[BaseModel]]:
    pending = list(BaseModel.__subclasses__())
    while pending:
        model = pending.pop()
        yield model
        pending.extend(model.__subclasses__())
