"""Conversations: /deadlines in four languages with windows and filters, and /deadline_move."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from eudesk.storage.db import Database
from eudesk.storage.models import (
    AuditEntry,
    Body,
    Deadline,
    DeadlineBody,
    DeadlineKind,
    DeadlineStatus,
    Programme,
    Project,
    User,
)
from tests.handlers.conftest import NOW, FakeChat

ZONE = ZoneInfo("Europe/Belgrade")
FOURTEEN_DAYS_END = datetime(2026, 12, 11, 23, tzinfo=ZONE)  # generous: any end after NOW works


def ids(text: str) -> list[int]:
    """The deadline ids a listing shows (each item ends with #ID)."""
    return [int(n) for n in re.findall(r"· #(\d+)$", text, flags=re.MULTILINE)]


def local_midnight_after(days: int) -> datetime:
    """The end of the local day `days` after NOW's local day (how N-day windows end)."""
    today = NOW.astimezone(ZONE).date()
    return datetime.combine(today + timedelta(days=days + 1), datetime.min.time(), tzinfo=ZONE)


async def open_ids(db: Database, end: datetime, *, body: int | None = None,
                   kind: DeadlineKind | None = None, project: int | None = None,
                   programme: int | None = None) -> list[int]:  # fmt: skip
    """What a listing should show, straight from SQL, soonest first."""
    query = select(Deadline.id).where(
        Deadline.status == DeadlineStatus.OPEN, Deadline.due_at >= NOW, Deadline.due_at < end
    )
    if body is not None:
        query = query.join(DeadlineBody, DeadlineBody.deadline_id == Deadline.id).where(
            DeadlineBody.body_id == body
        )
    if kind is not None:
        query = query.where(Deadline.kind == kind)
    if project is not None:
        query = query.where(Deadline.project_id == project)
    if programme is not None:
        query = query.where(Deadline.programme_id == programme)
    async with db.transaction() as session:
        return list((await session.scalars(query.order_by(Deadline.due_at, Deadline.id))).all())


async def body_id(db: Database, name: str) -> int:
    async with db.transaction() as session:
        found = await session.scalar(select(Body.id).where(Body.name_sr_latn == name))
    assert found is not None
    return found


async def state(db: Database, deadline_id: int) -> tuple[datetime, int, int]:
    """(due_at, version, audit rows): what a refused move must leave alone."""
    async with db.transaction() as session:
        row = await session.get(Deadline, deadline_id)
        assert row is not None
        audits = await session.scalar(select(func.count()).select_from(AuditEntry))
        return row.due_at, row.version, int(audits or 0)


async def first_open(db: Database, *, of_a_project: bool = False) -> Deadline:
    query = select(Deadline).where(Deadline.status == DeadlineStatus.OPEN, Deadline.due_at >= NOW)
    if of_a_project:
        query = query.where(Deadline.project_id.is_not(None))
    async with db.transaction() as session:
        row = await session.scalar(query.order_by(Deadline.due_at, Deadline.id))
    assert row is not None
    return row


# --- listing: aliases and languages -----------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "text", "title"),
    [
        ("sr-Latn", "/deadlines", "Rokovi u narednih 14 dana (do 11.12.2026.)"),
        ("sr-Latn", "rokovi ove nedelje", "Rokovi ove nedelje (do 29.11.2026.)"),
        ("sr-Latn", "/rok danas", "Rokovi danas (27.11.2026.)"),
        ("sr-Latn", "deadline 14", "Rokovi u narednih 14 dana (do 11.12.2026.)"),
        ("sr-Cyrl", "рокови ове недеље", "Рокови ове недеље (до 29.11.2026.)"),
        ("sr-Cyrl", "/рокови", "Рокови у наредних 14 дана (до 11.12.2026.)"),
        ("sr-Cyrl", "рок данас", "Рокови данас (27.11.2026.)"),
        ("hu", "határidők", "Határidők a következő 14 napban (2026. 11. 27. – 2026. 12. 11.)"),
        ("hu", "/hataridok ezen a héten", "Határidők ezen a héten (2026. 11. 27. – 2026. 11. 29.)"),
        ("hu", "határidők jövő hét", "Határidők a jövő héten (2026. 11. 30. – 2026. 12. 06.)"),
        ("en", "deadlines next week", "Deadlines next week (30 Nov 2026 – 6 Dec 2026)"),
        ("en", "/deadlines month", "Deadlines in the next month (30 days, until 27 Dec 2026)"),
    ],
)
async def test_aliases_in_each_language(chat: FakeChat, demo_db: Database, locale: str,
                                        text: str, title: str) -> None:  # fmt: skip
    await chat.send(f"/lang {locale}")
    answer = await chat.send(text)
    assert answer.reply.title == title
    assert answer.reply.items, answer.text
    assert len(answer.reply.items) <= 30


async def test_cyrillic_month_lists_the_dates_of_the_demo_deadlines(
    chat: FakeChat, demo_db: Database
) -> None:
    await chat.send("/lang sr-Cyrl")
    answer = await chat.send("рокови месец Бачка Топола")
    expected = await open_ids(demo_db, local_midnight_after(30),
                              body=await body_id(demo_db, "Bačka Topola"))  # fmt: skip
    assert expected
    assert ids(answer.text) == expected[:30]
    assert answer.reply.title is not None
    assert answer.reply.title.startswith("Рокови у наредних")
    assert "Бачка Топола" in answer.reply.title
    async with demo_db.transaction() as session:
        due = await session.scalar(select(Deadline.due_at).where(Deadline.id == expected[0]))
    assert due is not None
    assert due.astimezone(ZONE).strftime("%d.%m.%Y.") in answer.text  # e.g. 30.11.2026.
    assert re.search(r"\d{2}\.\d{2}\.2026\. \d{2}:\d{2} · [А-Ша-ш]", answer.text)


async def test_cyrillic_free_text_this_week_shows_reports(chat: FakeChat) -> None:
    await chat.send("/lang sr-Cyrl")
    answer = await chat.send("рокови ове недеље")
    assert "Извештај" in answer.text
    assert "27.11.2026." in answer.text


async def test_window_words_in_each_language_agree(chat: FakeChat) -> None:
    groups = [
        ["/deadlines today", "/deadlines danas", "/deadlines данас", "/deadlines ma"],
        ["/deadlines week", "rokovi ove nedelje", "рокови ова недеља", "határidők e heti"],
        ["deadlines next week", "rokovi sledeće nedelje", "рокови следеће недеље",
         "hataridok jovo heten"],
        ["/deadlines month", "rokovi ovog meseca", "рокови месец", "határidők ebben a hónapban"],
        ["/deadlines next month", "rokovi sledećeg meseca", "határidők jövő hónapban"],
        ["/deadlines 10", "rokovi narednih 10 dana", "határidők 10 nap", "deadlines 10 days"],
    ]  # fmt: skip
    for group in groups:
        listings = {tuple(ids((await chat.send(text)).text)) for text in group}
        assert len(listings) == 1, group


async def test_tomorrow_is_a_saturday_without_deadlines(chat: FakeChat, demo_db: Database) -> None:
    # Demo deadlines fall on working days; Saturday 28 November has none.
    assert await open_ids(demo_db, local_midnight_after(1)) == await open_ids(
        demo_db, local_midnight_after(0)
    )
    answer = await chat.send("rokovi sutra")
    assert answer.text == "Nema rokova sutra (28.11.2026.)."
    await chat.send("/lang en")
    assert (await chat.send("deadlines tomorrow")).text == "No deadlines tomorrow (28 Nov 2026)."


async def test_default_window_lists_the_first_thirty_and_counts_the_rest(
    chat: FakeChat, demo_db: Database
) -> None:
    expected = await open_ids(demo_db, local_midnight_after(14))
    assert len(expected) > 30
    answer = await chat.send("/deadlines")
    assert ids(answer.text) == expected[:30]
    assert f"i još {len(expected) - 30}." in answer.text
    assert "/deadline_move" in answer.text  # the coordinator is told how to move one


# --- filters ----------------------------------------------------------------------------------


async def test_project_filter_by_code_and_acronym(chat: FakeChat, demo_db: Database) -> None:
    first = await first_open(demo_db, of_a_project=True)
    assert first.project_id is not None
    async with demo_db.transaction() as session:
        project = await session.get(Project, first.project_id)
        assert project is not None
        code, acronym = project.code, project.acronym
    expected = await open_ids(demo_db, local_midnight_after(366), project=first.project_id)
    answer = await chat.send(f"/deadlines 366 {code}")
    assert ids(answer.text) == expected[:30]
    assert code in (answer.reply.title or "")
    by_acronym = await chat.send(f"/deadlines 60 {acronym.lower()}")
    assert first.id in ids(by_acronym.text)
    assert all(f" · {acronym}: " in item for item in by_acronym.reply.items)


async def test_programme_filter(chat: FakeChat, demo_db: Database) -> None:
    async with demo_db.transaction() as session:
        programme = await session.scalar(select(Programme).where(Programme.code == "HUSRB"))
    assert programme is not None
    answer = await chat.send("/deadlines HUSRB")
    assert answer.reply.items
    assert all("Hungary-Serbia" in item for item in answer.reply.items)
    assert ids(answer.text) == (await open_ids(demo_db, local_midnight_after(14),
                                               programme=programme.id))[:30]  # fmt: skip


@pytest.mark.parametrize("name", ["Бачка Топола", "Backa Topola", "bačka topola", "Topolya"])
async def test_body_filter_in_any_script(chat: FakeChat, demo_db: Database, name: str) -> None:
    expected = await open_ids(demo_db, local_midnight_after(60),
                              body=await body_id(demo_db, "Bačka Topola"))  # fmt: skip
    assert expected
    answer = await chat.send(f"/deadlines 60 {name}")
    assert ids(answer.text) == expected[:30]
    assert "Bačka Topola" in (answer.reply.title or "")


async def test_body_filter_after_the_window_and_with_a_kind(
    chat: FakeChat, demo_db: Database
) -> None:
    subotica = await body_id(demo_db, "Subotica")
    reports = await open_ids(demo_db, local_midnight_after(366), body=subotica,
                             kind=DeadlineKind.REPORT)  # fmt: skip
    assert reports
    answer = await chat.send("rokovi izveštaji Суботица 366 dana")
    assert ids(answer.text) == reports[:30]
    assert all(" · Izveštaj · " in item for item in answer.reply.items)


@pytest.mark.parametrize(
    ("text", "kind", "label"),
    [
        ("/deadlines 60 poziv", DeadlineKind.CALL, "Poziv"),
        ("/deadlines 60 позиви", DeadlineKind.CALL, "Poziv"),
        ("/deadlines 60 calls", DeadlineKind.CALL, "Poziv"),
        ("/deadlines 60 pályázat", DeadlineKind.CALL, "Poziv"),
        ("/deadlines 60 izveštaj", DeadlineKind.REPORT, "Izveštaj"),
        ("/deadlines 60 jelentés", DeadlineKind.REPORT, "Izveštaj"),
        ("/deadlines 60 sufinansiranje", DeadlineKind.COFINANCING, "Zahtev za sufinansiranje"),
        ("/deadlines 60 társfinanszírozás", DeadlineKind.COFINANCING, "Zahtev za sufinansiranje"),
        ("/deadlines 60 zahtev za plaćanje", DeadlineKind.PAYMENT_CLAIM, "Zahtev za plaćanje"),
        ("/deadlines 60 kifizetés", DeadlineKind.PAYMENT_CLAIM, "Zahtev za plaćanje"),
        ("/deadlines 60 payment", DeadlineKind.PAYMENT_CLAIM, "Zahtev za plaćanje"),
        ("/deadlines 60 ostalo", DeadlineKind.OTHER, "Ostalo"),
    ],
)
async def test_kind_filter(chat: FakeChat, demo_db: Database, text: str, kind: DeadlineKind,
                           label: str) -> None:  # fmt: skip
    answer = await chat.send(text)
    assert ids(answer.text) == (await open_ids(demo_db, local_midnight_after(60), kind=kind))[:30]
    assert answer.reply.items
    assert all(f" · {label} · " in i for i in answer.reply.items)


async def test_ambiguous_body_names_are_asked_about(chat: FakeChat) -> None:
    # "Kanizsa" is in the Hungarian names of Kanjiža and Novi Kneževac, and in no project.
    answer = await chat.send("/deadlines 366 kanizsa")
    assert "više institucija" in answer.text
    assert "Kanjiža" in answer.text
    assert "Novi Kneževac" in answer.text
    await chat.send("/lang hu")
    answer = await chat.send("határidők kanizsa")
    assert "Magyarkanizsa" in answer.text
    assert "Törökkanizsa" in answer.text


# --- who sees what ----------------------------------------------------------------------------


async def test_contact_sees_only_their_body(contact_chat: FakeChat, chat: FakeChat,
                                            demo_db: Database) -> None:  # fmt: skip
    async with demo_db.transaction() as session:
        contact_body = await session.scalar(select(User.body_id).where(User.name == "demo-contact"))
    assert contact_body is not None
    expected = await open_ids(demo_db, local_midnight_after(60), body=contact_body)
    everything = await open_ids(demo_db, local_midnight_after(60))
    assert expected
    assert len(everything) > len(expected)
    answer = await contact_chat.send("/deadlines 60")
    assert ids(answer.text) == expected[:30]
    assert "Novi Sad" in answer.text  # the footer says whose deadlines these are
    assert "/deadline_move" not in answer.text
    # Another body's deadlines stay hidden, though staff see them.
    assert ids((await chat.send("/deadlines 60 Subotica")).text)
    hidden = await contact_chat.send("/deadlines 60 Subotica")
    assert ids(hidden.text) == []
    assert "Nema rokova" in hidden.text


async def test_help_lists_deadlines_for_everyone_and_move_for_coordinators(
    chat: FakeChat, staff_chat: FakeChat, contact_chat: FakeChat
) -> None:
    assert "/deadline_move" in (await chat.send("/help")).text
    for other in (staff_chat, contact_chat):
        text = (await other.send("/help")).text
        assert "/deadlines" in text
        assert "predstojeći rokovi" in text
        assert "/deadline_move" not in text


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/deadlines 0", "od 1 do 366"),
        ("/deadlines -5", "od 1 do 366"),
        ("/deadlines 367", "od 1 do 366"),
        ("/deadlines 99999999999999999999999", "od 1 do 366"),
        ("/deadlines week month", "samo jedan period"),
        ("/deadlines izveštaj poziv", "samo jednu vrstu"),
        ("/deadlines " + "x" * 300, "Predugačak upit"),
        ("/deadlines " + " ".join(["a"] * 30), "Predugačak upit"),
        (
            "/deadlines qwertzuiop",
            "Nema rokova u narednih 14 dana (do 11.12.2026.) za: qwertzuiop.",
        ),
        ("/deadlines '; DROP TABLE deadlines;--", "Nema rokova"),
        ("/deadlines <b>x</b>", "za: <b>x</b>."),
        ("/deadlines 100%", "Nema rokova"),
        ("/deadlines _", "Nema rokova"),
    ],
)
async def test_garbage_arguments_are_answered_clearly(
    chat: FakeChat, text: str, expected: str
) -> None:
    answer = await chat.send(text)
    assert expected in answer.text
    assert "greške" not in answer.text  # never the generic internal error


async def test_strangers_may_not_list_deadlines(stranger_chat: FakeChat) -> None:
    assert "/start" in (await stranger_chat.send("/deadlines")).text


# --- /deadline_move -----------------------------------------------------------------------------


async def test_coordinator_moves_a_deadline_keeping_its_local_time(
    chat: FakeChat, demo_db: Database
) -> None:
    deadline = await first_open(demo_db, of_a_project=True)
    before = await state(demo_db, deadline.id)
    answer = await chat.send(f"/deadline_move {deadline.id} 15.01.2027")
    old_time = deadline.due_at.astimezone(ZONE).strftime("%H:%M")
    assert answer.reply.title == f"Rok #{deadline.id} je pomeren"
    assert f"15.01.2027. {old_time}" in answer.text
    assert deadline.due_at.astimezone(ZONE).strftime("%d.%m.%Y.") in answer.text  # the old date
    due, version, audits = await state(demo_db, deadline.id)
    assert version == before[1] + 1
    assert due.astimezone(ZONE).strftime("%d.%m.%Y %H:%M") == f"15.01.2027 {old_time}"
    assert audits == before[2] + 1
    async with demo_db.transaction() as session:
        entry = await session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()))
    assert entry is not None
    assert (entry.action, entry.allowed, entry.target_ref) == ("deadline.move", True, deadline.ref)
    # Listings show it at its new place.
    async with demo_db.transaction() as session:
        code = await session.scalar(select(Project.code).where(Project.id == deadline.project_id))
    listing = await chat.send(f"/deadlines 60 {code}")
    assert f"15.01.2027. {old_time} · " in next(i for i in listing.reply.items
                                                 if i.endswith(f"#{deadline.id}"))  # fmt: skip
    assert deadline.id not in ids((await chat.send("rokovi danas")).text)


@pytest.mark.parametrize(
    ("locale", "command", "title"),
    [
        ("sr-Latn", "pomeri_rok", "Rok #{id} je pomeren"),
        ("sr-Cyrl", "помери_рок", "Рок #{id} је померен"),
        ("hu", "hatarido_modositas", "A(z) #{id} határidő módosítva"),
        ("en", "/deadline_move", "Deadline #{id} moved"),
    ],
)
async def test_move_aliases_in_each_language(chat: FakeChat, demo_db: Database, locale: str,
                                             command: str, title: str) -> None:  # fmt: skip
    deadline = await first_open(demo_db)
    await chat.send(f"/lang {locale}")
    answer = await chat.send(f"{command} #{deadline.id} 2027-02-01 10:30")
    assert answer.reply.title == title.format(id=deadline.id)
    due, version, _ = await state(demo_db, deadline.id)
    assert due.astimezone(ZONE).strftime("%Y-%m-%d %H:%M") == "2027-02-01 10:30"
    assert version == deadline.version + 1
    if locale == "sr-Cyrl":
        assert "01.02.2027. 10:30" in answer.text
        assert "Верзија" in answer.text


async def test_admin_may_move_and_others_may_not(
    admin_chat: FakeChat, staff_chat: FakeChat, officer_chat: FakeChat,
    contact_chat: FakeChat, stranger_chat: FakeChat, demo_db: Database,
) -> None:  # fmt: skip
    deadline = await first_open(demo_db)
    before = await state(demo_db, deadline.id)
    for refused in (staff_chat, officer_chat, contact_chat):
        answer = await refused.send(f"/deadline_move {deadline.id} 15.01.2027")
        assert "Nemate pravo" in answer.text
        assert "/deadline_move" in answer.text
    assert "/start" in (await stranger_chat.send(f"pomeri_rok {deadline.id} 15.01.2027")).text
    assert await state(demo_db, deadline.id) == before
    assert "pomeren" in (await admin_chat.send(f"/deadline_move {deadline.id} 15.01.2027")).text


async def test_bad_moves_write_nothing(chat: FakeChat, demo_db: Database) -> None:
    deadline = await first_open(demo_db)
    async with demo_db.transaction() as session:
        closed = await session.scalar(
            select(Deadline.id).where(Deadline.status == DeadlineStatus.DONE).limit(1)
        )
        missing = int(await session.scalar(select(func.max(Deadline.id))) or 0) + 1000
    cases = [
        ("/deadline_move", "Upotreba"),
        (f"/deadline_move {deadline.id}", "Upotreba"),
        ("/deadline_move abc 15.12.2026", "Upotreba"),
        ("/deadline_move 1234567890123 15.12.2026", "Upotreba"),
        (f"/deadline_move {missing} 15.12.2026", f"Nema roka #{missing}."),
        (f"/deadline_move {closed} 15.12.2026", "zatvoren"),
        (f"/deadline_move {deadline.id} 01.01.2020", "već prošao"),
        (f"/deadline_move {deadline.id} 27.11.2026 08:59", "već prošao"),
        (f"/deadline_move {deadline.id} 31.02.2027", "Ne razumem datum „31.02.2027”"),
        (f"/deadline_move {deadline.id} sutra", "Ne razumem datum"),
        (f"/deadline_move {deadline.id} 15.12.2026 25:00", "Ne razumem datum"),
        (f"/deadline_move {deadline.id} 28.03.2027 02:30", "ne postoji"),
        (f"/deadline_move {deadline.id} 01.01.2099", "predaleko"),
        (f"/deadline_move {deadline.id} '; DROP TABLE deadlines;--", "Ne razumem datum"),
        (f"/deadline_move {deadline.id} <b>15.12.2026</b>", "Ne razumem datum"),
        (f"/deadline_move {deadline.id} " + "9" * 200, "Upotreba"),
        (f"/deadline_move {deadline.id} "
         + deadline.due_at.astimezone(ZONE).strftime("%d.%m.%Y %H:%M"), "već"),
    ]  # fmt: skip
    before = await state(demo_db, deadline.id)
    for text, expected in cases:
        answer = await chat.send(text)
        assert expected in answer.text, (text, answer.text)
        assert await state(demo_db, deadline.id) == before, text
