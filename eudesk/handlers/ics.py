"""iCalendar (.ics) files from plain event data: VEVENTs in a local zone with its VTIMEZONE."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

UID_DOMAIN = "eudesk.vojvodina"
MEDIA_TYPE = "text/calendar"
PRODID = "-//AP Vojvodina//eudesk//EN"


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One VEVENT; start and end are aware moments, shown in the calendar's zone."""

    uid: str
    summary: str
    start: datetime
    end: datetime
    sequence: int = 0
    location: str | None = None
    description: str | None = None
    cancelled: bool = False
    # Each alarm either a duration before the start (a RELATED=START trigger: a whole number of
    # days is written as nominal days, -P14D, which a calendar app rings at the same wall time
    # across a change of summer time) or an absolute moment (TRIGGER;VALUE=DATE-TIME, in UTC).
    # A cancelled event rings none.
    alarms: tuple[timedelta | datetime, ...] = ()


def uid(kind: str, ident: int) -> str:
    """A UID that never changes for the same row, so re-importing updates instead of duplicating."""
    return f"{kind}-{ident}@{UID_DOMAIN}"


def build_calendar(
    events: Sequence[CalendarEvent],
    *,
    stamp: datetime,
    zone: ZoneInfo,
    name: str | None = None,
    years: tuple[int, int] | None = None,
) -> bytes:
    """The .ics bytes: one VEVENT per event, times as local times with the zone's VTIMEZONE.

    `years` (first, last) adds the VTIMEZONE even when there are no events: a feed that is
    empty for now is still a valid calendar (RFC 5545 wants at least one component)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", zone.key)
    spans = [years] if years else []
    if events:
        first = min(e.start for e in events).astimezone(zone).year
        last = max(e.end for e in events).astimezone(zone).year
        spans.append((first, last))
    if spans:
        first, last = min(s[0] for s in spans), max(s[1] for s in spans)
        calendar.add_component(_timezone(zone.key, first, last))
    for event in events:
        calendar.add_component(_vevent(event, stamp=stamp, zone=zone))
    data: bytes = calendar.to_ical()
    return data


def _vevent(event: CalendarEvent, *, stamp: datetime, zone: ZoneInfo) -> icalendar.Event:
    vevent = icalendar.Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", stamp.astimezone(UTC))
    vevent.add("dtstart", event.start.astimezone(zone))
    vevent.add("dtend", event.end.astimezone(zone))
    vevent.add("sequence", max(0, event.sequence))
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    vevent.add("summary", event.summary)
    if event.location:
        vevent.add("location", event.location)
    if event.description:
        vevent.add("description", event.description)
    if not event.cancelled:
        for trigger in _ordered(event.alarms, event.start):
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            if isinstance(trigger, datetime):
                alarm.add("trigger", trigger.astimezone(UTC), parameters={"VALUE": "DATE-TIME"})
            else:
                alarm.add("trigger", -trigger)
            alarm.add("description", event.summary)
            vevent.add_component(alarm)
    return vevent


def _ordered(alarms: Sequence[timedelta | datetime], start: datetime) -> list[timedelta | datetime]:
    """Without repeats, the earliest alarm first."""

    def when(trigger: timedelta | datetime) -> datetime:
        return trigger if isinstance(trigger, datetime) else start - trigger

    return sorted(set(alarms), key=lambda trigger: (when(trigger), str(trigger)))


def _timezone(tzid: str, first_year: int, last_year: int) -> icalendar.Timezone:
    """The zone's rules for just the years the events fall in, not all of 1970-2038."""
    return icalendar.Timezone.from_tzid(
        tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )
