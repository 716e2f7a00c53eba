"""Deterministic fake values (ids, names, phone numbers) drawn from one seeded ``random.Random``."""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

FIRST_NAMES: tuple[str, ...] = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Karen",
    "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra", "Mark", "Ashley", "Andrew", "Emily",
    "Kevin", "Michelle", "Brian", "Amanda", "Luis", "Melissa", "Jose", "Stephanie", "Ryan", "Rebecca",
    "Tyler", "Aaliyah", "Wei", "Priya", "Andre", "Keisha", "Sofia", "Mateo",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Tremblay", "Gagnon",
)  # fmt: skip
_ALPHANUMERIC = string.ascii_letters + string.digits


class Fake:
    """Realistic values from a seeded ``random.Random``; equal seeds give equal values."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def randint(self, low: int, high: int) -> int:
        """An integer in ``[low, high]``."""
        return self.rng.randint(low, high)

    def uniform(self, low: float, high: float) -> float:
        """A float in ``[low, high]``."""
        return self.rng.uniform(low, high)

    def choice(self, options: Sequence[T]) -> T:
        """One element of ``options``."""
        return self.rng.choice(options)

    def chance(self, probability: float) -> bool:
        """True with the given probability."""
        return self.rng.random() < probability

    def sample(self, options: Sequence[T], count: int) -> list[T]:
        """``count`` distinct elements of ``options`` (all of them when there are fewer)."""
        return self.rng.sample(list(options), min(count, len(options)))

    def hex32(self) -> str:
        """32 lowercase hex digits."""
        return f"{self.rng.getrandbits(128):032x}"

    def prefixed_id(self, prefix: str) -> str:
        """A CallRail id: a 3-letter prefix (``CAL``, ``COM``, …) and 32 lowercase hex digits."""
        return prefix + self.hex32()

    def short_id(self) -> str:
        """A 5-character alphanumeric id, as text conversations have (``KZaGR``)."""
        return "".join(self.rng.choice(_ALPHANUMERIC) for _ in range(5))

    def digits(self, count: int) -> str:
        """``count`` random decimal digits."""
        return f"{self.rng.randrange(10**count):0{count}d}"

    def phone(self, area: str) -> str:
        """An E.164 number in ``area`` (exchange 200-999, avoiding 555)."""
        exchange = str(self.randint(200, 999))
        if exchange == "555":
            exchange = "556"
        return f"+1{area}{exchange}{self.digits(4)}"

    def person(self) -> tuple[str, str]:
        """A (first name, last name) pair."""
        return self.choice(FIRST_NAMES), self.choice(LAST_NAMES)
