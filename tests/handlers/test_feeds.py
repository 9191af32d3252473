"""Calendar feeds: /calendar gives the link; the .ics passes RFC 5545, follows moves and cancels."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import icalendar
from sqlalchemy import select, update

from eudesk.handlers.feeds import feed_calendar
from eudesk.storage.db import Database
from eudesk.storage.models import (
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    Meeting,
    MeetingStatus,
    Platform,
)
from eudesk.storage.repositories import Repositories
from tests.handlers.conftest import NOW, FakeChat
from tests.handlers.rfc5545 import problems

BELGRADE = ZoneInfo("Europe/Belgrade")
LINK = re.compile(r"http://127\.0\.0\.1:8080/ical/([A-Za-z0-9_-]{43})\.ics")


async def _feed(db: Database, token: str) -> bytes | None:
    async with db.transaction() as session:
        return await feed_calendar(Repositories(session), token, NOW, BELGRADE)


def _events(data: bytes) -> dict[str, icalendar.Component]:
    calendar = icalendar.Calendar.from_ical(data)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


async def _token(chat: FakeChat) -> str:
    answer = await chat.send("/calendar")
    found = LINK.search(answer.text)
    assert found is not None, answer.text
    return found.group(1)


async def _first_call(db: Database) -> Deadline:
    """The first open call for proposals due within a year."""
    async with db.transaction() as session:
        call = await session.scalar(
            select(Deadline)
            .where(
                Deadline.kind == DeadlineKind.CALL,
                Deadline.status == DeadlineStatus.OPEN,
                Deadline.due_at > NOW + timedelta(days=20),
                Deadline.due_at < NOW + timedelta(days=300),
            )
            .order_by(Deadline.due_at, Deadline.id)
            .limit(1)
        )
    assert call is not None
    return call


async def test_the_feed_holds_what_the_chat_follows_with_alarms(
    chat: FakeChat, demo_db: Database
) -> None:
    async with demo_db.transaction() as session:
        chapter = await session.scalar(
            select(Meeting.chapter_number)
            .where(
                Meeting.status == MeetingStatus.SCHEDULED,
                Meeting.chapter_number.is_not(None),
                Meeting.starts_at > NOW,
                Meeting.starts_at < NOW + timedelta(days=300),
            )
            .order_by(Meeting.starts_at)
            .limit(1)
        )
    assert chapter is not None
    await chat.send("/subscribe calls")
    await chat.send(f"/subscribe chapter {chapter}")
    token = await _token(chat)
    assert await _token(chat) == token  # the same address every time
    data = await _feed(demo_db, token)
    assert data is not None
    assert problems(data) == []
    calendar = icalendar.Calendar.from_ical(data)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Belgrade"]
    events = _events(data)
    call = await _first_call(demo_db)
    event = events[f"deadline-{call.id}@eudesk.vojvodina"]
    assert event.decoded("DTSTART") == call.due_at.astimezone(BELGRADE)
    assert str(event["DTSTART"].params["TZID"]) == "Europe/Belgrade"
    assert str(event["STATUS"]) == "CONFIRMED"
    triggers = sorted(alarm.decoded("TRIGGER") for alarm in event.walk("VALARM"))
    assert triggers == [-timedelta(days=14), -timedelta(days=3), -timedelta(days=1)]
    meetings = [uid for uid in events if uid.startswith("meeting-")]
    assert meetings, f"chapter {chapter} meetings are followed"
    meeting = events[meetings[0]]
    assert [a.decoded("TRIGGER") for a in meeting.walk("VALARM")] == [-timedelta(hours=2)]
    # Nothing it does not follow: no report deadlines (only calls were subscribed).
    assert all("Rok:" not in str(e["SUMMARY"]) or "poziv" in str(e["DESCRIPTION"])
               for e in events.values())  # fmt: skip


def _ical_text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _working_days_back(day: date, count: int) -> date:
    """The reference: `count` working days before `day` (weekends, Serbian holidays off)."""
    off = holidays.country_holidays("RS", years=range(day.year - 1, day.year + 1), observed=True)
    while count:
        day -= timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            count -= 1
    return day


async def test_alarms_say_what_the_leads_mean_days_working_days_hours(
    chat: FakeChat, demo_db: Database
) -> None:
    """14 days is -P14D (the same wall time, summer time or not), 2 hours -PT2H, and 3 working
    days the absolute moment the planner reckons (no duration skips weekends and holidays)."""
    answer = await chat.send("/subscribe calls 14 dana, 3 radna dana, 2h")
    assert "14 dana, 3 radna dana, 2 sata" in answer.text, answer.text
    data = await _feed(demo_db, await _token(chat))
    assert data is not None
    assert problems(data) == []
    call = await _first_call(demo_db)
    event = icalendar.Calendar.from_ical(data)
    [vevent] = [
        e for e in event.walk("VEVENT") if str(e["UID"]) == f"deadline-{call.id}@eudesk.vojvodina"
    ]
    raw = sorted(_ical_text(alarm["TRIGGER"].to_ical()) for alarm in vevent.walk("VALARM"))
    local = call.due_at.astimezone(BELGRADE)
    wall = datetime.combine(_working_days_back(local.date(), 3), local.time(), BELGRADE)
    absolute = wall.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert raw == sorted(["-P14D", "-PT2H", absolute])
    [dated] = [a for a in vevent.walk("VALARM") if a["TRIGGER"].params.get("VALUE") == "DATE-TIME"]
    assert dated.decoded("TRIGGER") == wall


async def test_a_moved_deadline_shows_its_new_time_with_a_higher_sequence(
    chat: FakeChat, demo_db: Database
) -> None:
    await chat.send("/subscribe calls")
    token = await _token(chat)
    call = await _first_call(demo_db)
    uid = f"deadline-{call.id}@eudesk.vojvodina"
    before = _events(await _feed(demo_db, token) or b"")[uid]
    new_due = call.due_at + timedelta(days=7)
    async with demo_db.transaction() as session:
        await Repositories(session).deadlines.move(call.id, new_due)
    data = await _feed(demo_db, token)
    assert data is not None
    assert problems(data) == []
    after = _events(data)[uid]
    assert after.decoded("DTSTART") == new_due.astimezone(BELGRADE)
    assert int(after.decoded("SEQUENCE")) > int(before.decoded("SEQUENCE"))


async def test_a_cancelled_deadline_shows_cancelled_without_alarms(
    chat: FakeChat, demo_db: Database
) -> None:
    await chat.send("/subscribe calls")
    token = await _token(chat)
    call = await _first_call(demo_db)
    async with demo_db.transaction() as session:
        await session.execute(
            update(Deadline)
            .where(Deadline.id == call.id)
            .values(status=DeadlineStatus.CANCELLED, version=Deadline.version + 1)
        )
    data = await _feed(demo_db, token)
    assert data is not None
    assert problems(data) == []
    event = _events(data)[f"deadline-{call.id}@eudesk.vojvodina"]
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.walk("VALARM") == []


async def test_a_chat_that_follows_nothing_gets_a_valid_empty_feed(
    stranger_chat: FakeChat, chat: FakeChat, demo_db: Database
) -> None:
    token = await _token(chat)
    data = await _feed(demo_db, token)
    assert data is not None
    assert problems(data) == []
    assert _events(data) == {}


async def test_unknown_and_rotated_tokens_find_nothing(chat: FakeChat, demo_db: Database) -> None:
    token = await _token(chat)
    assert await _feed(demo_db, "x" * 43) is None
    assert await _feed(demo_db, "") is None
    assert await _feed(demo_db, "y" * 500) is None
    async with demo_db.transaction() as session:
        repos = Repositories(session)
        [feed] = await repos.feeds.chat_feeds(Platform.CONSOLE, "chat-demo", None)
        new = await repos.feeds.rotate(feed, NOW)
    assert new != token
    assert await _feed(demo_db, token) is None
    assert await _feed(demo_db, new) is not None
    assert (await _token(chat)) == new
