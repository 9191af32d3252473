"""Calendar feeds: what a chat follows, as the .ics a calendar app fetches from /ical/TOKEN.ics."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from eudesk.handlers import i18n
from eudesk.handlers.calendar import DEADLINE_LENGTH
from eudesk.handlers.ics import CalendarEvent, build_calendar, uid
from eudesk.handlers.notices import BELGRADE
from eudesk.storage.leads import lead_before
from eudesk.storage.repositories import Repositories
from eudesk.storage.repositories.feeds import FollowedItem
from eudesk.storage.repositories.planning import MEETING
from eudesk.storage.workdays import Workdays

PAST = timedelta(days=30)  # recently passed and cancelled items stay, so calendars update
AHEAD = timedelta(days=365)
MAX_EVENTS = 2000


WORKDAYS = Workdays()  # Serbian public holidays, as the planner's calendar counts them


async def feed_calendar(
    repos: Repositories, token: str, now: datetime, zone: ZoneInfo
) -> bytes | None:
    """The .ics of the feed with this token, or None when no feed has it (404, nothing said)."""
    feed = await repos.feeds.by_token(token)
    if feed is None:
        return None
    followed = await repos.feeds.followed(feed.platform, feed.chat_id, now - PAST, now + AHEAD)
    locale = feed.locale.value
    events = [item_event(item, locale, zone) for item in followed[:MAX_EVENTS]]
    return build_calendar(
        events, stamp=now, zone=zone, name=i18n.translate(locale, "calendar.name"),
        years=(now.astimezone(zone).year, (now + AHEAD).astimezone(zone).year),
    )  # fmt: skip


def alarms(followed: FollowedItem, zone: ZoneInfo) -> tuple[timedelta | datetime, ...]:
    """The VALARM triggers of the leads: a day lead as nominal days (-P14D: the same wall time),
    an hour or minute lead as the exact duration (-PT2H), a working-day lead as the absolute
    moment the planner reckons for it (no RFC 5545 duration skips weekends and holidays)."""
    found: list[timedelta | datetime] = []
    for lead in followed.leads:
        if lead.is_working:
            found.append(lead_before(followed.item.moment, lead, zone, WORKDAYS))
        else:
            found.append(lead.nominal)
    return tuple(found)


def item_event(followed: FollowedItem, locale: str, zone: ZoneInfo = BELGRADE) -> CalendarEvent:
    """A followed deadline or meeting as a VEVENT: a stable UID, SEQUENCE from its version,
    CANCELLED when it is off, alarms at the subscription's lead times."""
    item = followed.item
    if item.item_type == MEETING:
        return CalendarEvent(
            uid=uid("meeting", item.id),
            summary=item.title,
            start=item.moment,
            end=item.ends_at or item.moment + timedelta(hours=1),
            sequence=item.version - 1,
            location=item.place,
            description=item.agenda,
            cancelled=followed.cancelled,
            alarms=alarms(followed, zone),
        )
    kind = i18n.translate(locale, f"calendar.kind.{item.kind or 'other'}")
    details = [kind, item.ref, *([item.project_code] if item.project_code else [])]
    return CalendarEvent(
        uid=uid("deadline", item.id),
        summary=i18n.translate(locale, "calendar.deadline", title=item.title),
        start=item.moment,
        end=item.moment + DEADLINE_LENGTH,
        sequence=item.version - 1,
        description=" · ".join(details),
        cancelled=followed.cancelled,
        alarms=alarms(followed, zone),
    )
