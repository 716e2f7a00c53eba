"""A random fault profile: what share of requests fail, in which ways, drawn from which seed.

The profile is plain configuration: ``trunkline emulator … --faults rate=0.1,kinds=429,500 --fault-seed 1``,
``create_app(faults=FaultProfile(rate=0.1, kinds=("429", "500"), seed=1))`` or
``PUT /_emulator/fault-profile``. ``RandomFaults`` draws from it; ``fault_serving`` carries a drawn fault out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Each kind, and whether the emulator carries the request out before failing it (docs/emulators.md).
KIND_ACTS: dict[str, bool] = {
    "429": False,  # refused before acting, with Retry-After
    "500": True,  # carried out, then answered 500: the answer is lost, the change is not
    "503": False,  # refused before acting
    "timeout": True,  # carried out, the answer held back, then the connection closed without one
    "reset": False,  # the connection dropped (TCP reset) before acting
    "slow": True,  # delayed, then carried out and answered normally
    "truncated": True,  # carried out, answered with only the first half of the body, then closed
}
FAULT_KINDS: tuple[str, ...] = tuple(KIND_ACTS)
#: Seconds the ``timeout`` kind holds a request: longer than trunkline's default client timeout (30 s).
DEFAULT_HOLD = 35.0
_SPEC_KEYS = ("rate", "kinds", "methods", "seed", "retry_after", "slow", "hold")
_LIST_KEYS = ("kinds", "methods")


@dataclass(frozen=True)
class FaultProfile:
    """Fail about ``rate`` of the requests (0–1), each with a kind drawn evenly from ``kinds``; with
    ``methods``, only requests of those HTTP methods (``("POST",)``: only creates fail).

    ``seed`` makes the draws repeatable for the same order of requests. ``retry_after`` (seconds, at
    most 1) is the ``Retry-After`` of a 429; ``slow`` the delay of a slow answer; ``hold`` how long a
    ``timeout`` keeps the request before closing the connection without an answer.
    """

    rate: float = 0.1
    kinds: tuple[str, ...] = FAULT_KINDS
    methods: tuple[str, ...] = ()
    seed: int = 0
    retry_after: float = 1.0
    slow: float = 2.0
    hold: float = DEFAULT_HOLD

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1:
            raise ValueError(f"rate must be between 0 and 1, got {self.rate}")
        if not self.kinds:
            raise ValueError(f"give at least one kind: {', '.join(FAULT_KINDS)}")
        unknown = [kind for kind in self.kinds if kind not in KIND_ACTS]
        if unknown:
            raise ValueError(f"unknown fault kind {unknown[0]!r}; choose from {', '.join(FAULT_KINDS)}")
        if any(not method.isalpha() or not method.isupper() for method in self.methods):
            raise ValueError(f"methods must be HTTP methods in capitals (GET, POST, …), got {', '.join(self.methods)}")
        if not 0 <= self.retry_after <= 1:
            raise ValueError(f"retry_after must be between 0 and 1 second, got {self.retry_after}")
        if self.slow < 0 or self.hold < 0:
            raise ValueError("slow and hold must not be negative")

    def applies_to(self, method: str) -> bool:
        """Whether requests of ``method`` may get a fault."""
        return not self.methods or method in self.methods

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the control endpoint."""
        return {"rate": self.rate, "kinds": list(self.kinds), "methods": list(self.methods), "seed": self.seed,
                "retry_after": self.retry_after, "slow": self.slow, "hold": self.hold}


def profile_from_mapping(spec: Mapping[str, Any]) -> FaultProfile:
    """A profile from a JSON object (``kinds`` and ``methods`` lists or comma-separated strings).
    Raises ``ValueError``."""
    unknown = sorted(set(spec) - set(_SPEC_KEYS))
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}; use {', '.join(_SPEC_KEYS)}")
    options: dict[str, Any] = {}
    for key, value in spec.items():
        if key in _LIST_KEYS:
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, list | tuple) or not all(isinstance(item, str | int) for item in items):
                raise ValueError(f"{key} must be a list of names or a comma-separated string")
            names = (str(item).strip() for item in items)
            options[key] = tuple(name.upper() if key == "methods" else name for name in names if name)
        elif key == "seed":
            options["seed"] = _number(key, value, int)
        else:
            options[key] = _number(key, value, float)
    return FaultProfile(**options)


def parse_fault_spec(text: str, seed: int | None = None) -> FaultProfile:
    """A profile from the CLI form ``rate=0.1,kinds=429,500,timeout[,methods=POST,retry_after=0.5,slow=2,hold=35]``.

    A comma-separated item without ``=`` continues the list of the key before it (``kinds``, ``methods``). ``seed``
    (``--fault-seed``) overrides a ``seed=`` in the text. Raises ``ValueError`` naming the bad part.
    """
    spec: dict[str, Any] = {}
    key: str | None = None
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        if "=" in item:
            key, _, value = (piece.strip() for piece in item.partition("="))
            if key not in _SPEC_KEYS:
                raise ValueError(f"unknown key {key!r} in {text!r}; use {', '.join(_SPEC_KEYS)}")
            spec[key] = [value] if key in _LIST_KEYS else value
        elif key in _LIST_KEYS:
            spec[key].append(item)
        else:
            raise ValueError(f"{item!r} in {text!r} has no key: write key=value (kinds=429,500 lists kinds)")
    if seed is not None:
        spec["seed"] = seed
    return profile_from_mapping(spec)


def _number(key: str, value: Any, kind: type[int] | type[float]) -> int | float:
    if isinstance(value, bool):
        raise ValueError(f"{key} must be a number, got {value!r}")
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number, got {value!r}") from None
