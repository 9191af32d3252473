"""The shapes demo rows are built in: reference ids, batches of rows, ids, local office time."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import accumulate
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from eudesk.storage.models import (
    BodyKind,
)
from eudesk.storage.types import CENT

BELGRADE = ZoneInfo("Europe/Belgrade")
Row = dict[str, Any]
T = TypeVar("T")


class Weighted(Generic[T]):
    """A population with integer weights, prepared once for `rng.choices`."""

    def __init__(self, weights: Mapping[T, int]) -> None:
        self.population = list(weights)
        self.cum_weights = list(accumulate(weights.values()))

    def pick(self, rng: random.Random) -> T:
        return rng.choices(self.population, cum_weights=self.cum_weights)[0]


@dataclass(frozen=True)
class Lsgu:
    id: int
    name: str
    kind: BodyKind
    district: str


@dataclass
class World:
    """What the generator needs from the database: reference ids and the fixed demo rows."""

    today: date
    lsgus: list[Lsgu]
    bodies: dict[str, int]  # code -> id
    programmes: dict[str, tuple[int, str]]  # code -> (id, name)
    chapters: dict[int, tuple[str, int | None]]  # number -> (Serbian title, cluster)
    clusters: dict[int, str]  # number -> Serbian name
    lsgu_contacts: list[int] = field(default_factory=list)
    provincial_contacts: list[int] = field(default_factory=list)
    officer_id: int | None = None

    @property
    def now(self) -> datetime:
        return at_local(self.today, 9)


@dataclass
class Batch:
    """Rows of every demo table, in insertion order (parents first)."""

    projects: list[Row] = field(default_factory=list)
    project_partners: list[Row] = field(default_factory=list)
    deadlines: list[Row] = field(default_factory=list)
    deadline_bodies: list[Row] = field(default_factory=list)
    meetings: list[Row] = field(default_factory=list)
    passport_records: list[Row] = field(default_factory=list)
    passport_status_events: list[Row] = field(default_factory=list)
    visa_records: list[Row] = field(default_factory=list)
    visa_status_events: list[Row] = field(default_factory=list)
    guidelines: list[Row] = field(default_factory=list)
    guideline_deliveries: list[Row] = field(default_factory=list)


class Ids:
    """Primary keys handed out in advance, so children can point at parents without a round trip."""

    def __init__(self, first: dict[str, int]) -> None:
        self._next = dict(first)

    def take(self, table: str) -> int:
        value = self._next[table]
        self._next[table] = value + 1
        return value


@lru_cache(maxsize=4096)
def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    """Office time in Novi Sad on a day, as the UTC moment it is stored as."""
    return datetime.combine(day, time(hour, minute), tzinfo=BELGRADE).astimezone(UTC)


def workday(day: date) -> date:
    """The day, or the Friday before it when it falls on a weekend."""
    return day - timedelta(days=max(0, day.weekday() - 4))


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT)
