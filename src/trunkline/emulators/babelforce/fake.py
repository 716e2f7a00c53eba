"""Deterministic fake values (ids, phone numbers, names) drawn from one ``random.Random``."""

from __future__ import annotations

import random
import uuid
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")

FIRST_NAMES: tuple[str, ...] = (
    "Anna", "Lukas", "Sophie", "Jonas", "Marie", "Felix", "Lena", "Paul", "Hannah", "Leon",
    "Emma", "Noah", "Mia", "Elias", "Clara", "Ben", "Laura", "Finn", "Julia", "Max",
    "Olivia", "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Grace", "Charlie",
    "Emily", "James", "Chloe", "Thomas", "Lucy", "William", "Ella", "Daniel", "Zoe", "Samuel",
    "Aisha", "Mateo", "Priya", "Omar", "Sofia", "Ethan", "Nora", "Liam",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Smith", "Jones",
    "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Evans", "Thomas", "Roberts",
    "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes", "Edwards", "Green", "Hall",
    "Wood", "Harris", "Martin", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Lopez",
    "Anderson", "Clark", "Lewis",
)  # fmt: skip

_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})

_DE_MOBILE = ("151", "152", "157", "160", "162", "170", "171", "172", "175", "176", "177", "179")
_DE_AREA = ("30", "40", "89", "69", "221", "211", "711")
_UK_AREA = ("20", "161", "121", "131", "141", "113")
_US_AREA = ("212", "415", "312", "617", "646", "305", "206", "512")
_POWERS = [10**exponent for exponent in range(16)]


class Weighted(Generic[T]):
    """A fixed set of options with relative weights, picked in O(log n) from one uniform draw."""

    def __init__(self, options: Sequence[T], weights: Sequence[float]) -> None:
        self.options = tuple(options)
        self.cumulative = list(accumulate(weights))
        self.total = self.cumulative[-1]

    def pick(self, unit: float) -> T:
        """The option at ``unit`` (a number in ``[0, 1)``) of the cumulative weight."""
        return self.options[bisect_right(self.cumulative, unit * self.total)]


class Fake:
    """Draws realistic values from a seeded ``random.Random``; equal seeds give equal values.

    The primitives (``randint``, ``choice``, ``chance``) are built on ``random()`` alone: several times
    faster than the ``random.Random`` methods, which matters for the ``large`` dataset.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.random = rng.random

    def randint(self, low: int, high: int) -> int:
        """An integer in ``[low, high]``."""
        return low + int(self.random() * (high - low + 1))

    def choice(self, options: Sequence[T]) -> T:
        """One element of ``options``."""
        return options[int(self.random() * len(options))]

    def chance(self, probability: float) -> bool:
        """True with the given probability."""
        return self.random() < probability

    def weighted(self, table: Weighted[T]) -> T:
        """One option of ``table``, drawn by weight."""
        return table.pick(self.random())

    def hex_id(self) -> str:
        """A 32-char lowercase hex id (the v2 wire format of a uuid, without hyphens)."""
        return f"{self.rng.getrandbits(128):032x}"

    def uuid(self) -> str:
        """A hyphenated version-4 UUID string (v3 tasks use these)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def digits(self, count: int) -> str:
        """``count`` random decimal digits (leading zeros allowed; ``count`` <= 15)."""
        return str(int(self.random() * _POWERS[count])).zfill(count)

    def phone(self) -> str:
        """An E.164 number: about 55% German, 30% British, 15% North American."""
        roll = self.random()
        if roll < 0.55:
            if self.random() < 0.6:
                return "+49" + self.choice(_DE_MOBILE) + self.digits(8)
            area = self.choice(_DE_AREA)
            return "+49" + area + self.digits(10 - len(area))
        if roll < 0.85:
            if self.random() < 0.6:
                return "+447" + self.digits(9)
            area = self.choice(_UK_AREA)
            return "+44" + area + self.digits(10 - len(area))
        return "+1" + self.choice(_US_AREA) + str(self.randint(2, 9)) + self.digits(6)

    def person(self) -> tuple[str, str]:
        """A (first name, last name) pair."""
        return self.choice(FIRST_NAMES), self.choice(LAST_NAMES)

    def people(self, count: int) -> list[tuple[str, str]]:
        """``count`` distinct (first, last) pairs; suffixes a number once the name space runs out."""
        pairs = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
        self.rng.shuffle(pairs)
        chosen = pairs[:count]
        for index in range(len(pairs), count):
            first, last = pairs[index % len(pairs)]
            chosen.append((first, f"{last} {index // len(pairs) + 1}"))
        return chosen

    def sample(self, options: Sequence[T], low: int, high: int) -> list[T]:
        """Between ``low`` and ``high`` distinct elements of ``options``, in their original order."""
        count = min(len(options), self.randint(low, high))
        picked: set[int] = set()
        while len(picked) < count:
            picked.add(int(self.random() * len(options)))
        return [options[index] for index in sorted(picked)]


def email_local(first: str, last: str) -> str:
    """The ASCII e-mail local part ``first.last`` for a name."""
    return f"{first}.{last}".translate(_ASCII).lower().replace(" ", "")
