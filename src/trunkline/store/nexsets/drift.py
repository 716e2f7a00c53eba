"""Compare the schema a run brought with the schema a nexset has kept, and merge the two.

The rule, field by field (types as :mod:`trunkline.core.schema` detects them):

- a field the stored schema lacks is **added** (it becomes nullable: earlier records do not have it);
- a field the stored schema has but no record of this run carried is **missing** (it becomes nullable);
- a field whose non-null values this run are of another type than the stored one has its **type
  changed**: the stored type becomes the two widened by the SchemaBuilder rule (integer + number →
  number, datetime + string → string, any other mix → string; a field that was only ever null takes the
  new type). Values the stored type already holds naturally are not a change: integers in a ``number``
  field, dates in a ``string`` field. A field that was only null this run keeps its type.

The first run of a nexset sets the schema: there is nothing to compare with, so it reports no change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from trunkline.core.schema import FieldSchema, widen

_NATURAL = {("number", "integer"), ("string", "datetime")}


@dataclass(frozen=True)
class TypeChange:
    """A field whose values this run are of another type: ``old`` → ``new``, with the type ``seen`` this run."""

    field: str
    old: str
    new: str
    seen: str

    def __str__(self) -> str:
        if self.old == self.new:  # the stored type holds the run's values as they are (integers as text)
            return f"{self.field} stays {self.old} (this run brought {self.seen} values)"
        seen = f" (this run: {self.seen})" if self.seen != self.new else ""
        return f"{self.field} {self.old} → {self.new}{seen}"


@dataclass(frozen=True)
class SchemaChanges:
    """What changed between a nexset's stored schema and one run's records. False when nothing did."""

    added: tuple[str, ...] = ()
    changed: tuple[TypeChange, ...] = ()
    missing: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.missing)

    def __str__(self) -> str:
        if not self:
            return "no schema change"
        parts = []
        if self.added:
            parts.append(f"new field(s): {', '.join(self.added)}")
        if self.changed:
            parts.append(f"type changed: {', '.join(str(change) for change in self.changed)}")
        if self.missing:
            parts.append(f"missing this run: {', '.join(self.missing)}")
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """The changes as plain data (``--json``, ``schema.json``)."""
        return {
            "added": list(self.added),
            "changed": [{"field": c.field, "old": c.old, "new": c.new, "seen": c.seen} for c in self.changed],
            "missing": list(self.missing),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SchemaChanges:
        """The inverse of :meth:`as_dict`."""
        return cls(
            added=tuple(data.get("added", ())),
            changed=tuple(TypeChange(**change) for change in data.get("changed", ())),
            missing=tuple(data.get("missing", ())),
        )


def merge(stored: list[FieldSchema], run: list[FieldSchema]) -> tuple[list[FieldSchema], SchemaChanges]:
    """The schema after a run (stored fields first, then new ones) and what the run changed."""
    if not stored:
        return list(run), SchemaChanges()
    seen = {field.name: field for field in run}
    merged: list[FieldSchema] = []
    changed: list[TypeChange] = []
    missing: list[str] = []
    for old in stored:
        new = seen.get(old.name)
        if new is None:
            missing.append(old.name)
            merged.append(replace(old, nullable=True))
            continue
        kind = _merged_type(old.type, new.type)
        if new.type not in ("null", old.type) and (old.type, new.type) not in _NATURAL:
            changed.append(TypeChange(old.name, old.type, kind, new.type))
        merged.append(FieldSchema(
            name=old.name,
            type=kind,
            example=old.example if old.example is not None else new.example,
            nullable=old.nullable or new.nullable,
            count=old.count + new.count,
        ))
    known = {old.name for old in stored}
    added = [field for field in run if field.name not in known]
    merged.extend(replace(field, nullable=True) for field in added)
    return merged, SchemaChanges(tuple(field.name for field in added), tuple(changed), tuple(missing))


def _merged_type(old: str, new: str) -> str:
    """The stored type once values of type ``new`` joined values of type ``old`` (``null`` counts for nothing)."""
    if new == "null" or new == old:
        return old
    if old == "null":
        return new
    return widen(old, new)
