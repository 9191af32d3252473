"""Conversations: /meetings with chapter and cluster filters, /meeting ID and its .ics."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from sqlalchemy import func, select, update

from eudesk.handlers.i18n import to_cyrillic
from eudesk.storage.db import Database
from eudesk.storage.models import (
    Chapter,
    GroupMember,
    Meeting,
    MeetingStatus,
    NegotiatingGroup,
    User,
)
from tests.handlers.conftest import NOW, Answer, FakeChat

HORIZON = NOW + timedelta(days=90)


async def upcoming(db: Database) -> list[Meeting]:
    """Scheduled meetings of the next 90 days, soonest first, straight from the table."""
    async with db.transaction() as session:
        query = (
            select(Meeting)
            .where(Meeting.status == MeetingStatus.SCHEDULED)
            .where(Meeting.starts_at >= NOW, Meeting.starts_at < HORIZON)
            .order_by(Meeting.starts_at, Meeting.id)
        )
        return list(await session.scalars(query))


async def chapter_of(db: Database, number: int) -> Chapter:
    async with db.transaction() as session:
        chapter = await session.get(Chapter, number)
    assert chapter is not None
    return chapter


async def meeting_count(db: Database) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Meeting)) or 0)


def listed_ids(answer: Answer) -> list[int]:
    """The meeting number each listed item starts with."""
    return [int(item.split(" · ", 1)[0]) for item in answer.reply.items]


def only_event(answer: Answer) -> icalendar.Event:
    (attachment,) = answer.reply.attachments
    (event,) = icalendar.Calendar.from_ical(attachment.content).events
    return event


def moment(value: date | datetime) -> datetime:
    """A DTSTART as the aware datetime it must be (not an all-day date)."""
    assert isinstance(value, datetime)
    assert value.tzinfo is not None
    return value


async def test_meetings_lists_the_next_90_days_soonest_first(
    chat: FakeChat, demo_db: Database
) -> None:
    expected = await upcoming(demo_db)
    assert expected, "the demo data should have meetings in the next 90 days"
    answer = await chat.send("/meetings")
    assert answer.reply.title == "Zakazani sastanci u narednih 90 dana"
    assert listed_ids(answer) == [m.id for m in expected][:20]
    first = expected[0]
    local = first.starts_at.astimezone(chat.dispatcher.config.zone)
    assert f"{local:%d.%m.%Y.} {local:%H:%M}–" in answer.reply.items[0]
    assert first.place in answer.reply.items[0]
    assert "/meeting" in answer.text


async def test_meetings_lists_at_most_20(chat: FakeChat, demo_db: Database) -> None:
    async with demo_db.transaction() as session:
        session.add_all(
            Meeting(
                ref=f"TEST-MTG-{n}",
                title=f"Test {n}",
                chapter_number=23,
                place="Novi Sad",
                starts_at=NOW + timedelta(hours=n + 1),
                ends_at=NOW + timedelta(hours=n + 2),
            )
            for n in range(25)
        )
    expected = await upcoming(demo_db)
    answer = await chat.send("sastanci poglavlje 23")
    assert len(answer.reply.items) == 20
    assert listed_ids(answer) == [m.id for m in expected if m.chapter_number == 23][:20]


@pytest.mark.parametrize(
    ("lang", "text", "title"),
    [
        ("sr-Latn", "sastanci", "Zakazani sastanci u narednih 90 dana"),
        ("sr-Latn", "Sastanci", "Zakazani sastanci u narednih 90 dana"),
        ("sr-Cyrl", "састанци", "Заказани састанци у наредних 90 дана"),
        ("sr-Cyrl", "/sastanci", "Заказани састанци у наредних 90 дана"),
        ("hu", "ülések", "Ütemezett ülések a következő 90 napban"),
        ("hu", "/ulesek", "Ütemezett ülések a következő 90 napban"),
        ("en", "/meetings", "Meetings scheduled in the next 90 days"),
    ],
)
async def test_meetings_aliases_answer_in_the_chosen_language(
    chat: FakeChat, demo_db: Database, lang: str, text: str, title: str
) -> None:
    first = next(m for m in await upcoming(demo_db) if m.chapter_number is not None)
    chapter = await chapter_of(demo_db, first.chapter_number or 0)
    chapter_title = {
        "sr-Latn": chapter.title_sr_latn,
        "sr-Cyrl": to_cyrillic(chapter.title_sr_latn),
        "hu": chapter.title_en,
        "en": chapter.title_en,
    }[lang]
    await chat.send(f"/lang {lang}")
    answer = await chat.send(text)
    assert answer.reply.title == title
    item = next(i for i in answer.reply.items if i.startswith(f"{first.id} · "))
    assert chapter_title in item
    if lang == "sr-Cyrl":
        assert re.search("[а-я]", chapter_title)
        assert chapter.title_sr_latn not in answer.text


async def test_a_contact_sees_only_the_meetings_of_their_groups(
    contact_chat: FakeChat, demo_db: Database
) -> None:
    meetings = [m for m in await upcoming(demo_db) if m.chapter_number is not None]
    mine, other = (
        meetings[0],
        next(m for m in meetings if m.chapter_number != meetings[0].chapter_number),
    )
    assert listed_ids(await contact_chat.send("/meetings")) == []
    hidden = await contact_chat.send(f"/meeting {other.id}")
    assert other.place not in hidden.text
    assert not hidden.reply.attachments
    async with demo_db.transaction() as session:
        contact_id = await session.scalar(
            select(User.contact_id).where(User.name == "demo-contact")
        )
        group_id = await session.scalar(
            select(NegotiatingGroup.id).where(
                NegotiatingGroup.chapter_number == mine.chapter_number
            )
        )
        assert contact_id is not None
        assert group_id is not None
        session.add(GroupMember(group_id=group_id, contact_id=contact_id))
    listed = listed_ids(await contact_chat.send("/meetings"))
    assert mine.id in listed
    assert other.id not in listed
    shown = await contact_chat.send(f"/meeting {mine.id}")
    assert shown.reply.attachments
    assert hidden.text == (await contact_chat.send("/meeting 999999")).text.replace(
        "999999", str(other.id)
    )


@pytest.mark.parametrize(
    ("lang", "template"),
    [
        ("sr-Latn", "sastanci poglavlje {n}"),
        ("sr-Latn", "/meetings {n}"),
        ("sr-Cyrl", "састанци поглавље {n}"),
        ("hu", "ülések {n}. fejezet"),
        ("hu", "/ulesek fejezet {n}"),
        ("en", "/meetings chapter {n}"),
        ("en", "meetings Chapter {n}"),
    ],
)
async def test_chapter_filter_in_each_language(
    chat: FakeChat, demo_db: Database, lang: str, template: str
) -> None:
    meetings = await upcoming(demo_db)
    number = next(m.chapter_number for m in meetings if m.chapter_number is not None)
    expected = [m.id for m in meetings if m.chapter_number == number]
    await chat.send(f"/lang {lang}")
    answer = await chat.send(template.format(n=number))
    assert listed_ids(answer) == expected
    assert answer.reply.title is not None
    assert str(number) in answer.reply.title


@pytest.mark.parametrize(
    ("lang", "template"),
    [
        ("sr-Latn", "sastanci klaster {n}"),
        ("sr-Cyrl", "састанци кластер {n}"),
        ("hu", "ülések klaszter {n}"),
        ("hu", "ülések {n}. klaszter"),
        ("en", "/meetings cluster {n}"),
    ],
)
async def test_cluster_filter_covers_its_chapters_and_its_own_meetings(
    chat: FakeChat, demo_db: Database, lang: str, template: str
) -> None:
    meetings = await upcoming(demo_db)
    async with demo_db.transaction() as session:
        clusters = dict(
            (await session.execute(select(Chapter.number, Chapter.cluster_number))).all()
        )
    number = next(m.cluster_number for m in meetings if m.cluster_number is not None)
    expected = [
        m.id for m in meetings
        if m.cluster_number == number or clusters.get(m.chapter_number or 0) == number
    ]  # fmt: skip
    await chat.send(f"/lang {lang}")
    answer = await chat.send(template.format(n=number))
    assert listed_ids(answer) == expected


async def test_a_chapter_without_meetings_says_so(chat: FakeChat, demo_db: Database) -> None:
    scheduled = {m.chapter_number for m in await upcoming(demo_db)}
    number = next(n for n in range(1, 36) if n not in scheduled)
    chapter = await chapter_of(demo_db, number)
    answer = await chat.send(f"sastanci poglavlje {number}")
    assert answer.text == (
        f"Nema zakazanih sastanaka u narednih 90 dana: poglavlje {number} – "
        f"{chapter.title_sr_latn}."
    )
    await chat.send("/lang sr-Cyrl")
    answer = await chat.send(f"састанци поглавље {number}")
    assert answer.text.startswith("Нема заказаних састанака")
    assert to_cyrillic(chapter.title_sr_latn) in answer.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/meetings chapter 0", "Poglavlje mora biti broj od 1 do 35."),
        ("/meetings 36", "Poglavlje mora biti broj od 1 do 35."),
        ("sastanci poglavlje 99", "Poglavlje mora biti broj od 1 do 35."),
        ("/meetings fejezet -1", "Poglavlje mora biti broj od 1 do 35."),
        ("/meetings cluster 7", "Klaster mora biti broj od 1 do 6."),
        ("sastanci klaster 0", "Klaster mora biti broj od 1 do 6."),
    ],
)
async def test_numbers_out_of_range_name_the_valid_range(
    chat: FakeChat, text: str, expected: str
) -> None:
    assert (await chat.send(text)).text == expected


async def test_out_of_range_in_hungarian_and_english(chat: FakeChat) -> None:
    await chat.send("/lang hu")
    assert (await chat.send("ülések 40. fejezet")).text == "A fejezet száma 1 és 35 között lehet."
    await chat.send("/lang en")
    assert (await chat.send("/meetings cluster 9")).text == "A cluster is a number from 1 to 6."


@pytest.mark.parametrize(
    "args",
    [
        "foo",
        "chapter",
        "chapter x",
        "poglavlje 2 3",
        "1 2 3",
        "x" * 500,
        "chapter " + "9" * 40,
        "'; DROP TABLE meetings;--",
        "<b>23</b>",
        "chapter 23; cluster 2",
    ],
)
async def test_garbage_arguments_get_the_usage(
    chat: FakeChat, demo_db: Database, args: str
) -> None:
    before = await meeting_count(demo_db)
    answer = await chat.send(f"/meetings {args}")
    assert answer.text.startswith("Upotreba: /meetings")
    assert await meeting_count(demo_db) == before


async def test_meeting_shows_the_fields_and_attaches_an_ics(
    chat: FakeChat, demo_db: Database
) -> None:
    meeting = next(m for m in await upcoming(demo_db) if m.chapter_number is not None)
    chapter = await chapter_of(demo_db, meeting.chapter_number or 0)
    answer = await chat.send(f"/meeting {meeting.id}")
    fields = dict(answer.reply.fields)
    assert answer.reply.title == f"Sastanak {meeting.id}"
    assert fields["Naziv"] == meeting.title
    assert fields["Poglavlje / klaster"] == f"poglavlje {chapter.number} – {chapter.title_sr_latn}"
    assert fields["Mesto"] == meeting.place
    assert fields["Dnevni red"] == meeting.agenda
    assert fields["Status"] == "zakazan"
    local = meeting.starts_at.astimezone(chat.dispatcher.config.zone)
    assert fields["Vreme"].startswith(f"{local:%d.%m.%Y.} {local:%H:%M}–")
    (attachment,) = answer.reply.attachments
    assert attachment.filename == f"meeting-{meeting.id}.ics"
    assert attachment.media_type == "text/calendar"
    calendar = icalendar.Calendar.from_ical(attachment.content)
    (timezone,) = calendar.timezones
    assert timezone.tz_name == "Europe/Belgrade"
    event = only_event(answer)
    assert event.uid == f"meeting-{meeting.id}@eudesk.vojvodina"
    assert event["DTSTART"].params["TZID"] == "Europe/Belgrade"
    assert event.start == meeting.starts_at
    assert event.end == meeting.ends_at
    assert moment(event.start).utcoffset() == local.utcoffset()
    assert event.sequence == meeting.version - 1 == 0
    assert event.status == "CONFIRMED"
    assert event.summary == meeting.title
    assert event.location == meeting.place
    assert event.description == meeting.agenda
    assert event.DTSTAMP == NOW


@pytest.mark.parametrize(
    ("lang", "command", "title"),
    [
        ("sr-Latn", "sastanak", "Sastanak {id}"),
        ("sr-Cyrl", "састанак", "Састанак {id}"),
        ("sr-Cyrl", "sastanak", "Састанак {id}"),
        ("hu", "ülés", "{id}. ülés"),
        ("hu", "/ules", "{id}. ülés"),
        ("en", "/meeting", "Meeting {id}"),
    ],
)
async def test_meeting_aliases_in_each_language(
    chat: FakeChat, demo_db: Database, lang: str, command: str, title: str
) -> None:
    meeting = (await upcoming(demo_db))[0]
    await chat.send(f"/lang {lang}")
    answer = await chat.send(f"{command} {meeting.id}")
    assert answer.reply.title == title.format(id=meeting.id)
    status = {"sr-Latn": "zakazan", "sr-Cyrl": "заказан", "hu": "ütemezett", "en": "scheduled"}
    assert status[lang] in dict(answer.reply.fields).values()
    assert only_event(answer).uid == f"meeting-{meeting.id}@eudesk.vojvodina"


async def test_meeting_by_reference_in_any_case(chat: FakeChat, demo_db: Database) -> None:
    meeting = (await upcoming(demo_db))[0]
    answer = await chat.send(f"/meeting {meeting.ref.lower()}")
    assert answer.reply.title == f"Sastanak {meeting.id}"


async def test_a_moved_and_cancelled_meeting_keeps_its_uid(
    chat: FakeChat, demo_db: Database
) -> None:
    meeting = (await upcoming(demo_db))[0]
    before = only_event(await chat.send(f"/meeting {meeting.id}"))
    async with demo_db.transaction() as session:
        await session.execute(
            update(Meeting)
            .where(Meeting.id == meeting.id)
            .values(status=MeetingStatus.CANCELLED, version=3)
        )
    answer = await chat.send(f"/meeting {meeting.id}")
    after = only_event(answer)
    assert after.uid == before.uid
    assert after.sequence == 2
    assert after.status == "CANCELLED"
    assert dict(answer.reply.fields)["Status"] == "otkazan"


async def test_local_times_are_right_across_daylight_saving(
    chat: FakeChat, demo_db: Database
) -> None:
    summer, winter = (await upcoming(demo_db))[:2]
    async with demo_db.transaction() as session:
        for meeting, start in (
            (summer, datetime(2027, 3, 29, 8, 0, tzinfo=UTC)),  # 10:00 CEST, the day after DST
            (winter, datetime(2027, 3, 27, 9, 0, tzinfo=UTC)),  # 10:00 CET, the day before
        ):
            await session.execute(
                update(Meeting)
                .where(Meeting.id == meeting.id)
                .values(starts_at=start, ends_at=start + timedelta(hours=2))
            )
    answer = await chat.send(f"/meeting {summer.id}")
    assert dict(answer.reply.fields)["Vreme"] == "29.03.2027. 10:00–12:00"
    assert b"DTSTART;TZID=Europe/Belgrade:20270329T100000" in answer.reply.attachments[0].content
    assert moment(only_event(answer).start).astimezone(UTC) == datetime(
        2027, 3, 29, 8, 0, tzinfo=UTC
    )
    answer = await chat.send(f"/meeting {winter.id}")
    assert dict(answer.reply.fields)["Vreme"] == "27.03.2027. 10:00–12:00"
    assert b"DTSTART;TZID=Europe/Belgrade:20270327T100000" in answer.reply.attachments[0].content
    assert moment(only_event(answer).start).astimezone(UTC) == datetime(
        2027, 3, 27, 9, 0, tzinfo=UTC
    )


@pytest.mark.parametrize("key", ["999999", "DEMO-MTG-99999", "99999999999999999999", "0"])
async def test_unknown_meeting_is_said_clearly(chat: FakeChat, key: str) -> None:
    answer = await chat.send(f"/meeting {key}")
    assert answer.text == f"Nema sastanka sa brojem ili oznakom {key}. Spisak: /meetings"
    assert not answer.reply.attachments


@pytest.mark.parametrize(
    "text",
    ["/meeting", "/meeting 1 2", "/meeting <script>", "/meeting " + "x" * 500, "sastanak ' OR 1=1"],
)
async def test_meeting_without_a_sensible_id_gets_the_usage(chat: FakeChat, text: str) -> None:
    answer = await chat.send(text)
    assert answer.text == "Navedite broj ili oznaku sastanka, npr. /meeting 12."


async def test_unknown_meeting_in_english(chat: FakeChat) -> None:
    await chat.send("/lang en")
    answer = await chat.send("/meeting 424242")
    assert answer.text.startswith("There is no meeting numbered or referenced 424242.")


@pytest.mark.parametrize("text", ["/meetings", "sastanci poglavlje 23", "/meeting 1", "ülés 1"])
async def test_a_stranger_is_refused(stranger_chat: FakeChat, text: str) -> None:
    answer = await stranger_chat.send(text)
    assert "/start" in answer.text
    assert not answer.reply.items
    assert not answer.reply.attachments


async def test_help_lists_the_meeting_commands(contact_chat: FakeChat) -> None:
    answer = await contact_chat.send("/help")
    assert (
        "/meetings [chapter N|cluster N] — predstojeći sastanci pregovaračkih grupa" in answer.text
    )
    assert "/meeting ID — jedan sastanak sa mestom i dnevnim redom, i .ics" in answer.text


async def test_meetings_of_a_cluster_show_the_cluster(chat: FakeChat, demo_db: Database) -> None:
    async with demo_db.transaction() as session:
        cluster_only = await session.scalar(
            select(Meeting).where(
                Meeting.chapter_number.is_(None), Meeting.cluster_number.is_not(None)
            )
        )
    assert cluster_only is not None
    answer = await chat.send(f"/meeting {cluster_only.id}")
    assert dict(answer.reply.fields)["Poglavlje / klaster"].startswith(
        f"klaster {cluster_only.cluster_number} – "
    )


async def test_nothing_soon_for_a_chapter_shows_the_nearest_before_and_after(
    chat: FakeChat, demo_db: Database
) -> None:
    async with demo_db.transaction() as session:
        session.add_all(
            Meeting(ref=f"TEST-NEAR-{n}", title=f"Test {n}", chapter_number=3, place=place,
                    starts_at=NOW + offset, ends_at=NOW + offset + timedelta(hours=2),
                    status=status)
            for n, (offset, place, status) in enumerate([
                (timedelta(days=200), "Beograd", MeetingStatus.SCHEDULED),
                (timedelta(days=-30), "Novi Sad", MeetingStatus.HELD),
                (timedelta(days=-300), "Subotica", MeetingStatus.HELD),
                (timedelta(days=10), "Sombor", MeetingStatus.CANCELLED),
            ])
        )  # fmt: skip
    answer = await chat.send("sastanci poglavlje 3")
    assert answer.text.startswith("Nema zakazanih sastanaka u narednih 90 dana: poglavlje 3")
    assert "Najbliži sastanci van tog perioda:" in answer.text
    places = [item.split(" · ")[3] for item in answer.reply.items]
    assert places == ["Beograd", "Novi Sad", "Subotica"]  # later first, then the latest held
    assert answer.reply.items[1].endswith("održan")
    english = await chat.send("/lang en")
    assert english.text
    assert "The nearest meetings outside that period:" in (await chat.send("/meetings ch 3")).text
    # a chapter with no meetings at all still says so in one line
    assert (await chat.send("/meetings chapter 4")).reply.items == []
