"""Conversations: /calendar for staff and contacts; the .ics builder across daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import exists, insert, select, update

from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.ics import CalendarEvent, build_calendar, uid
from eudesk.storage.db import Database
from eudesk.storage.models import (
    Chapter,
    Deadline,
    DeadlineBody,
    DeadlineStatus,
    GroupMember,
    Meeting,
    MeetingStatus,
    NegotiatingGroup,
    Platform,
    Role,
    User,
)
from eudesk.storage.repositories import Repositories
from tests.handlers.conftest import NOW, Answer, FakeChat

BELGRADE = ZoneInfo("Europe/Belgrade")
HORIZON = NOW + timedelta(days=90)
OPEN_IN_WINDOW = (
    Deadline.status == DeadlineStatus.OPEN,
    Deadline.due_at >= NOW,
    Deadline.due_at < HORIZON,
)
MEETINGS_IN_WINDOW = (
    Meeting.status.in_([MeetingStatus.SCHEDULED, MeetingStatus.CANCELLED]),
    Meeting.starts_at >= NOW,
    Meeting.starts_at < HORIZON,
)


def events(answer: Answer) -> list[icalendar.Event]:
    (attachment,) = answer.reply.attachments
    assert attachment.media_type == "text/calendar"
    assert attachment.filename.endswith(".ics")
    return icalendar.Calendar.from_ical(attachment.content).events


def uids(answer: Answer) -> set[str]:
    return {e.uid for e in events(answer)}


def moment(value: date | datetime) -> datetime:
    assert isinstance(value, datetime)
    assert value.tzinfo is not None
    return value


async def contact_user(db: Database) -> User:
    async with db.transaction() as session:
        return await Repositories(session).users.get("demo-contact")


async def test_staff_get_every_open_deadline_and_meeting(
    staff_chat: FakeChat, demo_db: Database
) -> None:
    async with demo_db.transaction() as session:
        deadlines = list(await session.scalars(select(Deadline).where(*OPEN_IN_WINDOW)))
        meetings = list(await session.scalars(select(Meeting).where(*MEETINGS_IN_WINDOW)))
    answer = await staff_chat.send("/calendar")
    count = len(deadlines) + len(meetings)
    assert answer.reply.lines[0] == (
        f"Događaja u fajlu: {count} (rokova: {len(deadlines)}, sastanaka: {len(meetings)}), "
        "za narednih 90 dana."
    )
    assert uids(answer) == {f"deadline-{d.id}@eudesk.vojvodina" for d in deadlines} | {
        f"meeting-{m.id}@eudesk.vojvodina" for m in meetings
    }
    assert len(events(answer)) == count


async def test_deadline_events_start_at_the_due_moment(chat: FakeChat, demo_db: Database) -> None:
    async with demo_db.transaction() as session:
        deadline = await session.scalar(
            select(Deadline).where(*OPEN_IN_WINDOW).order_by(Deadline.due_at).limit(1)
        )
        assert deadline is not None
        await session.execute(update(Deadline).where(Deadline.id == deadline.id).values(version=4))
    answer = await chat.send("/calendar")
    event = next(e for e in events(answer) if e.uid == f"deadline-{deadline.id}@eudesk.vojvodina")
    assert moment(event.start) == deadline.due_at
    assert moment(event.start).tzinfo == BELGRADE
    assert moment(event.end) - moment(event.start) == timedelta(minutes=30)
    assert event.sequence == 3
    assert event.summary == f"Rok: {deadline.title}"
    assert event.description is not None
    assert deadline.ref in event.description
    assert event.DTSTAMP == NOW


async def test_the_same_rows_keep_their_uids(chat: FakeChat) -> None:
    first = await chat.send("/calendar")
    again = await chat.send("kalendar")
    assert uids(first) == uids(again)


async def test_a_contact_gets_only_the_deadlines_of_their_body(
    contact_chat: FakeChat, demo_db: Database
) -> None:
    user = await contact_user(demo_db)
    concerns = exists().where(
        DeadlineBody.deadline_id == Deadline.id, DeadlineBody.body_id == user.body_id
    )
    async with demo_db.transaction() as session:
        mine = set(await session.scalars(select(Deadline.id).where(*OPEN_IN_WINDOW, concerns)))
        others = set(await session.scalars(select(Deadline.id).where(*OPEN_IN_WINDOW, ~concerns)))
    assert mine, "the demo contact's body should have open deadlines"
    assert others, "other bodies should have open deadlines the contact must not see"
    answer = await contact_chat.send("/calendar")
    assert uids(answer) == {f"deadline-{i}@eudesk.vojvodina" for i in mine}
    assert f"rokova: {len(mine)}, sastanaka: 0" in answer.reply.lines[0]
    assert "vašeg organa" in answer.text


async def test_a_contact_in_a_negotiating_group_gets_its_meetings(
    contact_chat: FakeChat, demo_db: Database
) -> None:
    user = await contact_user(demo_db)
    async with demo_db.transaction() as session:
        meetings = list(await session.scalars(select(Meeting).where(*MEETINGS_IN_WINDOW)))
        clusters = dict(
            (await session.execute(select(Chapter.number, Chapter.cluster_number))).all()
        )
        number = next(m.chapter_number for m in meetings if m.chapter_number is not None)
        group = await session.scalar(
            select(NegotiatingGroup.id).where(NegotiatingGroup.chapter_number == number)
        )
        await session.execute(
            insert(GroupMember).values(group_id=group, contact_id=user.contact_id)
        )
    cluster = clusters[number]
    expected = {
        f"meeting-{m.id}@eudesk.vojvodina" for m in meetings
        if m.chapter_number == number
        or (m.chapter_number is None and cluster is not None and m.cluster_number == cluster)
    }  # fmt: skip
    answer = await contact_chat.send("/calendar")
    assert {u for u in uids(answer) if u.startswith("meeting-")} == expected
    assert f"sastanaka: {len(expected)})" in answer.reply.lines[0]


async def test_a_cancelled_meeting_is_listed_as_cancelled(
    chat: FakeChat, demo_db: Database
) -> None:
    async with demo_db.transaction() as session:
        meeting = await session.scalar(
            select(Meeting).where(*MEETINGS_IN_WINDOW).order_by(Meeting.starts_at).limit(1)
        )
        assert meeting is not None
        version = meeting.version + 1
        await session.execute(
            update(Meeting)
            .where(Meeting.id == meeting.id)
            .values(status=MeetingStatus.CANCELLED, version=version)
        )
    answer = await chat.send("/calendar")
    event = next(e for e in events(answer) if e.uid == f"meeting-{meeting.id}@eudesk.vojvodina")
    assert event.status == "CANCELLED"
    assert event.sequence == version - 1


@pytest.mark.parametrize(
    ("lang", "text", "start"),
    [
        ("sr-Latn", "kalendar", "Događaja u fajlu: "),
        ("sr-Cyrl", "календар", "Догађаја у фајлу: "),
        ("sr-Cyrl", "/kalendar", "Догађаја у фајлу: "),
        ("hu", "naptár", "Események a fájlban: "),
        ("hu", "/naptar", "Események a fájlban: "),
        ("en", "/calendar", "Events in the file: "),
    ],
)
async def test_calendar_aliases_in_each_language(
    contact_chat: FakeChat, lang: str, text: str, start: str
) -> None:
    await contact_chat.send(f"/lang {lang}")
    answer = await contact_chat.send(text)
    assert answer.reply.lines[0].startswith(start)
    assert events(answer)


async def test_someone_who_follows_nothing_gets_no_file(
    dispatcher: Dispatcher, demo_db: Database
) -> None:
    async with demo_db.transaction() as session:
        await Repositories(session).users.add(
            "lonely-contact", [Role.CONTACT], identities=[(Platform.CONSOLE, "lonely-contact")]
        )
    answer = await FakeChat(dispatcher, "lonely-contact").send("/calendar")
    assert answer.reply.lines[0] == "U narednih 90 dana nema rokova ni sastanaka koje pratite."
    assert "/ical/" in answer.reply.lines[1]
    assert answer.reply.attachments == []
    assert not answer.reply.attachments


@pytest.mark.parametrize("args", ["week", "x" * 500, "'; DROP TABLE deadlines;--", "<b>1</b>"])
async def test_calendar_takes_no_arguments(chat: FakeChat, args: str) -> None:
    answer = await chat.send(f"/calendar {args}")
    assert answer.text == "Komanda /calendar nema argumente."
    assert not answer.reply.attachments


@pytest.mark.parametrize("text", ["/calendar", "kalendar", "naptár"])
async def test_a_stranger_is_refused(stranger_chat: FakeChat, text: str) -> None:
    answer = await stranger_chat.send(text)
    assert "/start" in answer.text
    assert not answer.reply.attachments


def test_ics_keeps_belgrade_local_times_across_daylight_saving() -> None:
    summer = datetime(2027, 3, 29, 8, 0, tzinfo=UTC)  # 10:00 CEST, the day after the change
    winter = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 CET
    content = build_calendar(
        [
            CalendarEvent(uid("meeting", 7), "Summer", summer, summer + timedelta(hours=2), 2),
            CalendarEvent(uid("deadline", 9), "Winter", winter, winter + timedelta(minutes=30)),
        ],
        stamp=NOW,
        zone=BELGRADE,
        name="eudesk",
    )
    assert b"DTSTART;TZID=Europe/Belgrade:20270329T100000" in content
    assert b"DTSTART;TZID=Europe/Belgrade:20261201T100000" in content
    calendar = icalendar.Calendar.from_ical(content)
    (timezone,) = calendar.timezones
    assert timezone.tz_name == "Europe/Belgrade"
    assert {c.name for c in timezone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    first, second = calendar.events
    assert (first.uid, second.uid) == ("meeting-7@eudesk.vojvodina", "deadline-9@eudesk.vojvodina")
    assert (first.sequence, second.sequence) == (2, 0)
    assert moment(first.start).astimezone(UTC) == summer
    assert moment(first.start).hour == 10
    assert moment(second.start).astimezone(UTC) == winter
    assert moment(second.start).hour == 10
    assert (first.status, second.status) == ("CONFIRMED", "CONFIRMED")


def test_ics_marks_cancellations_and_escapes_text() -> None:
    start = datetime(2027, 1, 12, 9, 30, tzinfo=UTC)
    event = CalendarEvent(
        uid("meeting", 1), "Sastanak; grupa, 23", start, start + timedelta(hours=1), 1,
        location="Novi Sad, sala 1", description="1. Prvo\n2. Drugo", cancelled=True,
    )  # fmt: skip
    content = build_calendar([event], stamp=NOW, zone=BELGRADE)
    (parsed,) = icalendar.Calendar.from_ical(content).events
    assert parsed.status == "CANCELLED"
    assert parsed.summary == "Sastanak; grupa, 23"
    assert parsed.location == "Novi Sad, sala 1"
    assert parsed.description == "1. Prvo\n2. Drugo"
