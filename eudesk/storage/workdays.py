"""The office's working days: Monday to Friday unless a Serbian public holiday or a day off in
its place (Orthodox Easter included); the `holidays` package knows them.

Here in storage, below the planner and the feeds, so that both count working days the same way
(eudesk.schedules.calendar.WorkingCalendar adds the time zone and allowed hours on top).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

import holidays

HolidaySource = Callable[[int], Iterable[date]]
"""Given a year, the dates that are public holidays (observed days included)."""

# A calendar with no working day in ten years is misconfigured; searches stop there.
SEARCH_DAYS = 3660


def serbian_holidays(year: int) -> frozenset[date]:
    """Serbia's public holidays in `year`, Orthodox Easter and substitute days included."""
    # `holidays` adds the "(observed)" day off when a holiday falls on a Sunday (the law says so),
    # e.g. Statehood Day 2026-02-17 and Labour Day 2027-05-04.
    return frozenset(holidays.country_holidays("RS", years=year, observed=True).keys())


class Workdays:
    """Working days (Monday–Friday, not a public holiday), holidays computed once per year."""

    def __init__(self, country_holidays: HolidaySource | None = None) -> None:
        self._source: HolidaySource = country_holidays or serbian_holidays
        self._years: dict[int, frozenset[date]] = {}

    def holidays(self, year: int) -> frozenset[date]:
        """The public holidays of `year`, computed once per year."""
        found = self._years.get(year)
        if found is None:
            found = self._years[year] = frozenset(self._source(year))
        return found

    def is_working_day(self, day: date) -> bool:
        """True on Monday–Friday unless it is a public holiday or a substitute day off."""
        return day.weekday() < 5 and day not in self.holidays(day.year)

    def add_working_days(self, day: date, n: int) -> date:
        """The `n`-th working day after `day` (before it when `n` < 0); `day` itself when 0."""
        step = timedelta(days=1 if n > 0 else -1)
        remaining = abs(n)
        for _ in range(remaining * 7 + SEARCH_DAYS):  # bounded even on a calendar of holidays
            if remaining == 0:
                return day
            day += step
            if self.is_working_day(day):
                remaining -= 1
        raise ValueError(f"no {n} working days from {day.isoformat()} within the search horizon")
