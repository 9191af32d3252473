"""Working days, Serbian public holidays and allowed hours: when a reminder may fire.

Lead arithmetic (`WorkingCalendar.before`): an hour or minute lead is an exact duration before
the item; a day lead is the same local wall-clock time N calendar days earlier (RFC 5545's
nominal days: 12:45 stays 12:45 across a change of summer time); a working-day lead counts back
N working days (weekends and public holidays skipped) from the item's local date, then the same
wall-clock time. One rule for wall times that a change of summer time makes odd, zoneinfo's
fold=0: a time that does not exist (02:30 on the last Sunday of March) moves forward by the gap
(03:30 summer time), a time that exists twice (02:30 on the last Sunday of October) is its first
occurrence (summer time).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from eudesk.storage.leads import Lead, lead_before, wall_moment
from eudesk.storage.workdays import HolidaySource, Workdays, serbian_holidays

BELGRADE = ZoneInfo("Europe/Belgrade")
_TICK = timedelta(microseconds=1)  # datetimes are discrete: the instant just before another
# A calendar with no working day in ten years is misconfigured; searches stop there.
_SEARCH_DAYS = 3660
__all__ = ["BELGRADE", "HolidaySource", "Slot", "Window", "WorkingCalendar", "serbian_holidays"]


@dataclass(frozen=True, slots=True)
class Window:
    """The ALLOWED local hours of a day, both ends included: 08:00–18:00 allows 18:00 itself."""

    start: time = time(8, 0)
    end: time = time(18, 0)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("window times are local wall-clock times and carry no tzinfo")
        if self.end == time(0):
            raise ValueError("a window cannot end at 00:00; use 23:59 for the end of the day")
        if not self.start < self.end:
            raise ValueError(f"window start {self.start} must be before its end {self.end}")

    def __contains__(self, moment: time) -> bool:
        return self.start <= moment <= self.end


@dataclass(frozen=True, slots=True)
class Slot:
    """A run of allowed instants, aware UTC, both ends included."""

    start: datetime
    end: datetime


class WorkingCalendar(Workdays):
    """Working days (Monday–Friday, not a public holiday) and allowed moments in a time zone.

    All inputs and outputs are aware datetimes (returned in UTC); the reasoning happens in local
    wall-clock time. A local time that does not exist (the spring DST gap) is never "inside" a
    window; one that exists twice (the autumn fold) is inside each time it occurs. Assumes what
    holds for Europe/Belgrade and every EU zone: at most one UTC-offset change within a day's
    window, and none that makes local dates run backwards across midnight.
    """

    def __init__(
        self,
        zone: ZoneInfo = BELGRADE,
        country_holidays: HolidaySource | None = None,
    ) -> None:
        super().__init__(country_holidays)
        self.zone = zone
        # Per instance (not a decorated method) so that the cache dies with the calendar.
        self._day_slots = functools.lru_cache(maxsize=8192)(self._compute_day_slots)

    # --- moments ----------------------------------------------------------------------------

    def wall_moment(self, day: date, at: time) -> datetime:
        """The instant (UTC) of local wall-clock `at` on `day`, by the fold=0 rule: a time in
        the spring gap moves forward by the gap, a repeated autumn time is its first occurrence."""
        return wall_moment(day, at, self.zone)

    def before(self, moment: datetime, lead: Lead) -> datetime:
        """The instant `lead` before `moment` (see the module docstring), in UTC."""
        return lead_before(_utc(moment), lead, self.zone, self)

    def local_date(self, moment: datetime) -> date:
        """The calendar date of `moment` in this calendar's zone."""
        return _utc(moment).astimezone(self.zone).date()

    def is_allowed(self, moment: datetime, window: Window) -> bool:
        """True when `moment` falls on a working day, inside `window`, in local time."""
        local = _utc(moment).astimezone(self.zone)
        return self.is_working_day(local.date()) and local.time() in window

    def slots(self, day: date, window: Window) -> tuple[Slot, ...]:
        """The allowed instants of local `day`: none on a non-working day, two on an autumn fold."""
        if not self.is_working_day(day):
            return ()
        return self._day_slots(day, window.start, window.end)

    def place(
        self, fire_at: datetime, window: Window, *, now: datetime, not_after: datetime
    ) -> datetime | None:
        """When to fire a reminder planned for `fire_at`, or None if it cannot fire at all.

        An allowed `fire_at` in [now, not_after] stays as it is. Otherwise the reminder moves back
        to the latest allowed instant before it, which is the end of the previous allowed slot
        (18:00 of the previous working day for 08:00–18:00), and when that would be before `now`,
        forward to the earliest allowed instant from `now` on (`now` itself if allowed, else the
        next slot's start). It never fires after `not_after`, the item's own moment: a `fire_at`
        beyond it is treated as `not_after`; None when nothing in [now, not_after] is allowed.
        """
        fire_at, now, not_after = _utc(fire_at), _utc(now), _utc(not_after)
        if now > not_after:
            return None
        target = min(fire_at, not_after)
        if target >= now:
            previous = self._latest_at_or_before(target, window, floor=now)
            if previous is not None:
                return previous
        return self._earliest_at_or_after(now, window, ceiling=not_after)

    def next_working_moment(self, at_local_time: time, after: datetime) -> datetime:
        """The first instant strictly after `after` at `at_local_time` on a working day (UTC).

        On a day where that local time does not exist (a DST gap) it is the first instant after
        the gap; where it exists twice, the first occurrence.
        """
        after = _utc(after)
        day = self.local_date(after)
        for _ in range(_SEARCH_DAYS):
            if self.is_working_day(day):
                slots = self._day_slots(day, at_local_time, time.max)
                if slots and slots[0].start > after:
                    return slots[0].start
            day += timedelta(days=1)
        raise ValueError(f"no working day within {_SEARCH_DAYS} days after {after.isoformat()}")

    # --- internals --------------------------------------------------------------------------

    def _latest_at_or_before(
        self, target: datetime, window: Window, *, floor: datetime
    ) -> datetime | None:
        """The latest allowed instant in [floor, target], or None."""
        day, first_day = self.local_date(target), self.local_date(floor)
        while day >= first_day:
            best = max(
                (min(s.end, target) for s in self.slots(day, window) if s.start <= target),
                default=None,
            )
            if best is not None:
                return best if best >= floor else None
            day -= timedelta(days=1)
        return None

    def _earliest_at_or_after(
        self, floor: datetime, window: Window, *, ceiling: datetime
    ) -> datetime | None:
        """The earliest allowed instant in [floor, ceiling], or None."""
        day, last_day = self.local_date(floor), self.local_date(ceiling)
        while day <= last_day:
            best = min(
                (max(s.start, floor) for s in self.slots(day, window) if s.end >= floor),
                default=None,
            )
            if best is not None:
                return best if best <= ceiling else None
            day += timedelta(days=1)
        return None

    def _compute_day_slots(self, day: date, start: time, end: time) -> tuple[Slot, ...]:
        """The instants whose local wall-clock time lies in [day start, day end], as slots."""
        low, high = datetime.combine(day, start), datetime.combine(day, end)
        # Every UTC offset in force during the window shows up at one of its ends, under one fold
        # or the other (zoneinfo gives the offset before a transition for fold=0, after for 1).
        offsets = {
            self.zone.utcoffset(wall.replace(fold=fold)) for wall in (low, high) for fold in (0, 1)
        }
        found: list[Slot] = []
        for offset in offsets:
            if offset is None:  # pragma: no cover - a ZoneInfo always has an offset
                continue
            first = (low - offset).replace(tzinfo=UTC)
            last = (high - offset).replace(tzinfo=UTC)
            first_ok, last_ok = self._offset(first) == offset, self._offset(last) == offset
            if first_ok and last_ok:
                found.append(Slot(first, last))
            elif first_ok:  # the offset ends inside the window: keep the part before the change
                found.append(Slot(first, self._transition(first, last) - _TICK))
            elif last_ok:  # the offset begins inside the window: keep the part after the change
                found.append(Slot(self._transition(first, last), last))
        found.sort(key=lambda slot: slot.start)
        merged: list[Slot] = []
        for slot in found:
            if merged and slot.start <= merged[-1].end + _TICK:  # the two sides of a spring gap
                merged[-1] = Slot(merged[-1].start, max(merged[-1].end, slot.end))
            else:
                merged.append(slot)
        return tuple(merged)

    def _offset(self, moment: datetime) -> timedelta | None:
        return moment.astimezone(self.zone).utcoffset()

    def _transition(self, before: datetime, after: datetime) -> datetime:
        """The first instant in (before, after] whose UTC offset differs from `before`'s."""
        # zoneinfo keeps its transition table private, so find the change by bisection.
        offset = self._offset(before)
        low, high = before, after
        while high - low > _TICK:
            middle = low + (high - low) // 2
            if self._offset(middle) == offset:
                low = middle
            else:
                high = middle
        return high


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)
