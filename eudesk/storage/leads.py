"""Lead times as people mean them: N calendar days, N working days, or an exact duration.

A subscription keeps its leads as canonical tokens in one text column, largest first:
"14d,3wd,2h,30m" (d = calendar days, wd = working days, h = hours, m = minutes). Text rather
than JSON: it reads the same in SQL on SQLite and PostgreSQL, it is the form the CLI accepts,
and a row shows what the person asked for. The localized parser and formatter (chat, CLI, in
four languages) are in eudesk.handlers.leads.

Which instant a lead means (`lead_before`, shared by the planner and the calendar feeds): an
hour or minute lead is an exact duration before the item; a day lead is the same local
wall-clock time N calendar days earlier (RFC 5545's nominal days: 12:45 stays 12:45 across a
change of summer time); a working-day lead counts back N working days (weekends and public
holidays skipped) from the item's local date, then the same wall-clock time. One rule for wall
times that a change of summer time makes odd, zoneinfo's fold=0: a time that does not exist
(02:30 on the last Sunday of March) moves forward by the gap (to 03:30 summer time), a time that
exists twice (02:30 on the last Sunday of October) is its first occurrence (summer time).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from eudesk.storage.workdays import Workdays

MAX_LEAD_DAYS = 90  # the longest lead, in (calendar or working) days, or the same in hours


class LeadUnit(enum.StrEnum):
    DAYS = "d"
    WORKING_DAYS = "wd"
    HOURS = "h"
    MINUTES = "m"


_MINUTES = {LeadUnit.DAYS: 1440, LeadUnit.HOURS: 60, LeadUnit.MINUTES: 1}
_TOKEN = re.compile(r"^(\d{1,6})(wd|d|h|m)$")


@dataclass(frozen=True, slots=True)
class Lead:
    """How long before an item its reminder fires; `count` ≥ 1."""

    count: int
    unit: LeadUnit

    def __post_init__(self) -> None:
        if not (self.count >= 1 and self.nominal <= timedelta(days=MAX_LEAD_DAYS)):
            raise ValueError(f"lead {self.token} is not between 1 minute and {MAX_LEAD_DAYS} days")

    @property
    def token(self) -> str:
        """The canonical form: "14d", "3wd", "2h", "30m"."""
        return f"{self.count}{self.unit.value}"

    @property
    def is_working(self) -> bool:
        return self.unit is LeadUnit.WORKING_DAYS

    @property
    def nominal(self) -> timedelta:
        """The lead as a duration: days as 24 hours, working days as calendar days. For
        ordering and for formats that only know durations, never for planning."""
        if self.is_working:
            return timedelta(days=self.count)
        return timedelta(minutes=self.count * _MINUTES[self.unit])

    @property
    def reach(self) -> timedelta:
        """At most how long before its item the lead fires (a day lead across a change of
        summer time is an hour longer; N working days span at most 2N + 10 calendar days
        in Serbia: weekends, the New Year and Orthodox Christmas, Easter and 1-2 May)."""
        if self.is_working:
            return timedelta(days=2 * self.count + 10)
        if self.unit is LeadUnit.DAYS:
            return self.nominal + timedelta(hours=1)
        return self.nominal

    @property
    def key(self) -> str:
        """The lead's part of a reminder's dedupe key. Minutes for day, hour and minute leads,
        as before leads were typed (a "1440" row already sent is the same reminder as a "1d"
        one after migration 0008, so nothing is sent twice); the token for working days."""
        if self.is_working:
            return self.token
        return str(self.count * _MINUTES[self.unit])


def parse_token(text: str) -> Lead:
    """One canonical token ("14d", "3wd", "2h", "30m"); ValueError otherwise."""
    match = _TOKEN.match(text.strip().lower())
    if match is None:
        raise ValueError(f"not a lead token: {text!r}")
    return Lead(int(match[1]), LeadUnit(match[2]))


def ordered(leads: Iterable[Lead]) -> tuple[Lead, ...]:
    """Without repeats, largest first (by nominal length; a working-day lead before a day lead
    of the same count)."""
    return tuple(sorted(set(leads), key=lambda lead: (lead.nominal, lead.is_working), reverse=True))


def parse_tokens(text: str) -> tuple[Lead, ...]:
    """A stored list ("14d,3wd,2h"), largest first; ValueError on any bad token."""
    parts = [part for part in (p.strip() for p in text.split(",")) if part]
    return ordered(parse_token(part) for part in parts)


def format_tokens(leads: Iterable[Lead]) -> str:
    """The stored form of leads: canonical tokens, largest first, comma-separated."""
    return ",".join(lead.token for lead in ordered(leads))


def from_minutes(minutes: int) -> Lead:
    """An old minute lead as a typed one: multiples of 1440 are days, of 60 hours, else
    minutes (migration 0008)."""
    if minutes % 1440 == 0:
        return Lead(minutes // 1440, LeadUnit.DAYS)
    if minutes % 60 == 0:
        return Lead(minutes // 60, LeadUnit.HOURS)
    return Lead(minutes, LeadUnit.MINUTES)


def to_minutes(lead: Lead) -> int:
    """A typed lead as minutes (the downgrade of migration 0008: a working day as a day)."""
    return int(lead.nominal.total_seconds()) // 60


def wall_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant (UTC) of local wall-clock `at` on `day` in `zone`, by the fold=0 rule."""
    return datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=zone).astimezone(UTC)


def lead_before(moment: datetime, lead: Lead, zone: ZoneInfo, workdays: Workdays) -> datetime:
    """The instant (UTC) `lead` before the aware `moment`, reckoned in `zone` (module docstring)."""
    if lead.unit in (LeadUnit.HOURS, LeadUnit.MINUTES):
        return moment.astimezone(UTC) - lead.nominal
    local = moment.astimezone(zone)
    if lead.is_working:
        day = workdays.add_working_days(local.date(), -lead.count)
    else:
        day = local.date() - timedelta(days=lead.count)
    return wall_moment(day, local.time(), zone)
