"""Conversations: /projects with filters and paging, /project CODE, in every language and role."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from eudesk.handlers.dispatch import Dispatcher
from eudesk.storage.db import Database
from eudesk.storage.models import (
    Body,
    BodyKind,
    Deadline,
    DeadlineStatus,
    Programme,
    Project,
    ProjectPartner,
    ProjectStatus,
)
from eudesk.storage.text import fold
from tests.handlers.conftest import NOW, Answer, FakeChat

BELGRADE = ZoneInfo("Europe/Belgrade")
CODE = re.compile(r"DEMO-[A-Z0-9]+-\d{4}")


def total_of(answer: Answer) -> int:
    """The count in the listing's title: "Projekti: 33 (strana 1 od 4)"."""
    assert answer.reply.title is not None, answer.text
    return int(re.findall(r"\d+", answer.reply.title)[0])


def codes_of(answer: Answer) -> list[str]:
    return [CODE.findall(item)[0] for item in answer.reply.items]


async def all_codes(chat: FakeChat, first: str) -> set[str]:
    """Every code of a listing, following its Next buttons."""
    answer = await chat.send(first)
    codes = set(codes_of(answer))
    while nxt := [b for b in answer.reply.buttons if "›" in b.label]:
        answer = await chat.press(nxt[0].callback)
        codes |= set(codes_of(answer))
    return codes


async def count_projects(db: Database, *conditions: object) -> int:
    async with db.transaction() as session:
        query = select(func.count(Project.id)).where(*conditions)  # type: ignore[arg-type]
        return int(await session.scalar(query) or 0)


async def a_project(db: Database, code: str | None = None) -> Project:
    """A project with several partners (the first by code, unless one is named)."""
    async with db.transaction() as session:
        query = select(Project).order_by(Project.code)
        if code is not None:
            query = query.where(Project.code == code)
        return (await session.scalars(query)).first()  # type: ignore[return-value]


def parse_money(text: str) -> Decimal:
    """Back from "1.234,56 €", "1 234,56 €" or "€1,234.56" to a Decimal."""
    if text.startswith("€"):
        return Decimal(text[1:].replace(",", ""))
    return Decimal(
        text.removesuffix("\u00a0€").replace(".", "").replace("\u00a0", "").replace(",", ".")
    )


async def test_projects_lists_the_first_page_with_a_next_button(
    chat: FakeChat, demo_db: Database, dispatcher: Dispatcher
) -> None:
    total = await count_projects(demo_db)
    pages = math.ceil(total / dispatcher.config.page_size)
    answer = await chat.send("/projects")
    assert f"Projekti: {total} (strana 1 od {pages})" in answer.text
    assert len(answer.reply.items) == dispatcher.config.page_size
    assert [b.callback for b in answer.reply.buttons] == ["/projects p2"]


async def test_paging_forward_and_back_through_the_buttons(
    chat: FakeChat, demo_db: Database, dispatcher: Dispatcher
) -> None:
    async with demo_db.transaction() as session:
        husrb = await session.scalar(select(Programme.id).where(Programme.code == "HUSRB"))
    total = await count_projects(demo_db, Project.programme_id == husrb)
    pages = math.ceil(total / dispatcher.config.page_size)
    assert pages >= 3, "the demo data should give HUSRB several pages"
    first = await chat.send("/projects husrb")
    nxt = first.reply.buttons[-1]
    assert nxt.callback == "/projects p2 husrb"
    second = await chat.press(nxt.callback)
    assert f"strana 2 od {pages}" in second.text
    assert not set(codes_of(first)) & set(codes_of(second))
    assert [b.callback for b in second.reply.buttons] == [
        "/projects p1 husrb",
        "/projects p3 husrb",
    ]
    back = await chat.press(second.reply.buttons[0].callback)
    assert codes_of(back) == codes_of(first)
    seen = await all_codes(chat, "/projects husrb")
    assert len(seen) == total
    assert all("-HUSRB-" in code for code in seen)


@pytest.mark.parametrize("typed", ["/projects p 2", "/projects p2", "/projects page 2",
                                   "/projects strana 2", "/projects husrb p 2"])  # fmt: skip
async def test_a_page_written_with_a_space_is_a_page(chat: FakeChat, typed: str) -> None:
    answer = await chat.send(typed)
    assert "strana 2 od" in answer.text
    assert "tekst" not in answer.text  # "p 2" is not searched for as text


async def test_the_last_page_has_no_next_and_past_it_is_explained(
    chat: FakeChat, demo_db: Database, dispatcher: Dispatcher
) -> None:
    pages = math.ceil(await count_projects(demo_db) / dispatcher.config.page_size)
    last = await chat.send(f"/projects strana {pages}")
    assert [b.label for b in last.reply.buttons] == ["‹ Prethodna"]
    beyond = await chat.send(f"/projects p{pages + 1}")
    assert f"samo {pages} strana" in beyond.text


async def test_aliases_in_every_language(chat: FakeChat) -> None:
    latin = await chat.send("projekti husrb")
    assert latin.text.startswith("Projekti:")
    assert "program HUSRB" in latin.text
    await chat.send("/lang sr-Cyrl")
    cyrillic = await chat.send("пројекти husrb")
    assert cyrillic.text.startswith("Пројекти:")
    assert "страна 1 од" in cyrillic.text
    assert codes_of(cyrillic) == codes_of(latin)
    await chat.send("/lang hu")
    hungarian = await chat.send("/projektek husrb")
    assert hungarian.text.startswith("Projektek:")
    assert "1/" in hungarian.text
    await chat.send("/lang en")
    english = await chat.send("/projects husrb")
    assert "page 1 of" in english.text
    assert codes_of(english) == codes_of(latin)


async def test_a_municipality_in_any_script_finds_its_projects(
    chat: FakeChat, demo_db: Database
) -> None:
    async with demo_db.transaction() as session:
        topola = await session.scalar(select(Body).where(Body.name_sr_latn == "Bačka Topola"))
        assert topola is not None
        expected = set(
            await session.scalars(
                select(Project.code).join(ProjectPartner).where(ProjectPartner.body_id == topola.id)
            )
        )
    assert expected, "the demo data should have a project with Bačka Topola"
    for name in ("Бачка Топола", "Backa Topola", "bačka topola", "Topolya", "opština Bačka Topola"):
        assert await all_codes(chat, f"/projects {name}") == expected, name


async def test_the_busiest_municipality_matches_in_all_its_names(
    chat: FakeChat, demo_db: Database
) -> None:
    async with demo_db.transaction() as session:
        body_id, count = (
            await session.execute(
                select(ProjectPartner.body_id, func.count(func.distinct(ProjectPartner.project_id)))
                .join(Body, Body.id == ProjectPartner.body_id)
                .where(Body.kind.in_((BodyKind.CITY, BodyKind.MUNICIPALITY)))
                .group_by(ProjectPartner.body_id)
                .order_by(func.count(func.distinct(ProjectPartner.project_id)).desc())
            )
        ).first()  # type: ignore[misc]
        body = await session.get(Body, body_id)
    assert body is not None
    names = [body.name_sr_cyrl, fold(body.name_sr_latn), body.name_sr_latn.upper()]
    names += [body.name_hu] if body.name_hu else []
    answers = [await chat.send(f"/projects {name}") for name in names]
    assert {total_of(a) for a in answers} == {count}
    assert all(codes_of(a) == codes_of(answers[0]) for a in answers)


@pytest.mark.parametrize(
    ("words", "status"),
    [
        ("u toku", ProjectStatus.ONGOING), ("у току", ProjectStatus.ONGOING),
        ("folyamatban", ProjectStatus.ONGOING), ("ongoing", ProjectStatus.ONGOING),
        ("odobren", ProjectStatus.APPROVED), ("одобрени", ProjectStatus.APPROVED),
        ("jóváhagyott", ProjectStatus.APPROVED), ("approved", ProjectStatus.APPROVED),
        ("završen", ProjectStatus.COMPLETED), ("zavrseni", ProjectStatus.COMPLETED),
        ("befejezett", ProjectStatus.COMPLETED), ("completed", ProjectStatus.COMPLETED),
        ("planiran", ProjectStatus.PLANNED), ("tervezett", ProjectStatus.PLANNED),
        ("planned", ProjectStatus.PLANNED), ("podnet", ProjectStatus.SUBMITTED),
        ("benyújtott", ProjectStatus.SUBMITTED), ("submitted", ProjectStatus.SUBMITTED),
        ("odbijen", ProjectStatus.REJECTED), ("elutasított", ProjectStatus.REJECTED),
        ("rejected", ProjectStatus.REJECTED), ("povučen", ProjectStatus.WITHDRAWN),
        ("повучен", ProjectStatus.WITHDRAWN), ("visszavont", ProjectStatus.WITHDRAWN),
        ("withdrawn", ProjectStatus.WITHDRAWN),
    ],
)  # fmt: skip
async def test_status_words_in_every_language(
    chat: FakeChat, demo_db: Database, words: str, status: ProjectStatus
) -> None:
    expected = await count_projects(demo_db, Project.status == status)
    answer = await chat.send(f"/projects {words}")
    if expected == 0:
        assert "Nijedan projekat" in answer.text
        return
    assert total_of(answer) == expected
    assert all(
        f"· {answer.reply.items[0].split(' · ')[1]} ·" in item for item in answer.reply.items
    )


async def test_programme_by_code_or_name_and_filters_combine(
    chat: FakeChat, demo_db: Database
) -> None:
    async with demo_db.transaction() as session:
        husrb = await session.scalar(select(Programme.id).where(Programme.code == "HUSRB"))
    everything = await count_projects(demo_db, Project.programme_id == husrb)
    for words in ("HUSRB", "hu-srb", "Hungary-Serbia", "hungary", "interreg hungary"):
        assert total_of(await chat.send(f"/projects {words}")) == everything, words
    ongoing = await count_projects(
        demo_db, Project.programme_id == husrb, Project.status == ProjectStatus.ONGOING
    )
    answer = await chat.send("/projects husrb u toku")
    assert total_of(answer) == ongoing
    assert "program HUSRB; status u toku" in answer.text


async def test_free_text_finds_a_project_by_code_or_acronym(
    chat: FakeChat, demo_db: Database
) -> None:
    project = await a_project(demo_db)
    answer = await chat.send(f"/projects {project.code.lower()}")
    assert codes_of(answer) == [project.code]
    by_acronym = await all_codes(chat, f'/projects "{project.acronym}"')
    assert project.code in by_acronym


async def test_a_long_filter_says_how_to_get_the_next_page(chat: FakeChat) -> None:
    words = "interreg hungary serbia ongoing approved completed submitted"
    first = await chat.send(f"/projects {words}")
    assert total_of(first) > len(first.reply.items)
    assert not first.reply.buttons
    assert first.reply.footer is not None
    assert "p2" in first.reply.footer
    second = await chat.send(f"/projects {words} p2")
    assert "strana 2 od" in second.text
    assert not set(codes_of(first)) & set(codes_of(second))


@pytest.mark.parametrize(
    "words",
    [
        "zzzqqq", "'; DROP TABLE projects;--", "' OR 1=1 --", "<b>x</b><script>", "%", "_",
        '"\\"', "husrb zzzqqq", "romania hungary", "\x00abc",
    ],
)  # fmt: skip
async def test_garbage_filters_match_nothing_and_write_nothing(
    chat: FakeChat, demo_db: Database, words: str
) -> None:
    before = await count_projects(demo_db)
    answer = await chat.send(f"/projects {words}")
    assert "Nijedan projekat ne odgovara" in answer.text
    assert await count_projects(demo_db) == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/projects " + "x" * 300, "predugačak"),
        ("/projects " + "a " * 20, "predugačak"),
        ("/projects page x", "Broj strane"),
        ("/projects p0", "Broj strane"),
        ("/projects strana", "Broj strane"),
        ("/projects p12345678901", "Broj strane"),
    ],
)
async def test_bad_arguments_are_explained(chat: FakeChat, text: str, expected: str) -> None:
    assert expected in (await chat.send(text)).text


async def test_project_shows_programme_partners_budget_and_deadlines(
    chat: FakeChat, demo_db: Database
) -> None:
    async with demo_db.transaction() as session:
        # A running project with three or more partners and open deadlines ahead.
        code = await session.scalar(
            select(Project.code)
            .join(ProjectPartner)
            .join(Deadline, Deadline.project_id == Project.id)
            .where(Project.status == ProjectStatus.ONGOING, Deadline.status == DeadlineStatus.OPEN)
            .group_by(Project.code)
            .having(func.count(func.distinct(ProjectPartner.id)) >= 3)
            .order_by(Project.code)
        )
        project = await session.scalar(select(Project).where(Project.code == code))
        assert project is not None
        programme = await session.get(Programme, project.programme_id)
        assert programme is not None
        partners = list(
            await session.scalars(
                select(ProjectPartner).where(ProjectPartner.project_id == project.id)
            )
        )
        deadlines = list(
            await session.scalars(
                select(Deadline)
                .where(Deadline.project_id == project.id, Deadline.status == DeadlineStatus.OPEN,
                       Deadline.due_at >= NOW)
                .order_by(Deadline.due_at)
                .limit(3)
            )
        )  # fmt: skip
    answer = await chat.send(f"/project {project.code.lower()}")
    fields = dict(answer.reply.fields)
    assert answer.reply.title == f"{project.code} {project.acronym}"
    assert fields["Program"] == f"{programme.name} ({programme.code})"
    assert fields["Status"] == "u toku"
    lead = next(p for p in partners if p.is_lead)
    assert fields["Nosilac"].startswith(lead.name)
    assert all(p.name in fields["Partneri"] for p in partners if not p.is_lead)
    assert "Srbija" in answer.text
    money = {name: parse_money(value) for name, value in answer.reply.fields if "€" in value}
    assert money["Ukupan budžet"] == project.total_budget
    assert money["Doprinos EU"] == project.eu_contribution
    assert money["Pokrajinsko sufinansiranje"] == project.provincial_cofinancing
    assert money["Predfinansiranje (avans na doprinos EU)"] == project.prefinancing
    parts = ("Doprinos EU", "Pokrajinsko sufinansiranje", "Ostali izvori (partneri)")
    assert sum(money[p] for p in parts) == money["Ukupan budžet"]
    shown = [value for name, value in answer.reply.fields if name == "Naredni rok"]
    assert len(shown) == len(deadlines) > 0
    for line, deadline in zip(shown, deadlines, strict=True):
        local = deadline.due_at.astimezone(BELGRADE)
        assert line == f"{local:%d.%m.%Y}. {local:%H:%M} {deadline.title}"


async def test_money_is_formatted_per_language(chat: FakeChat, demo_db: Database) -> None:
    project = await a_project(demo_db)
    serbian = dict((await chat.send(f"/project {project.code}")).reply.fields)["Ukupan budžet"]
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*,\d{2}\u00a0€", serbian)
    await chat.send("/lang en")
    english = dict((await chat.send(f"/project {project.code}")).reply.fields)["Total budget"]
    assert re.fullmatch(r"€\d{1,3}(,\d{3})*\.\d{2}", english)
    assert parse_money(serbian) == parse_money(english) == project.total_budget


async def test_project_aliases_in_every_language(chat: FakeChat, demo_db: Database) -> None:
    code = (await a_project(demo_db)).code
    assert "Ukupan budžet" in (await chat.send(f"projekat {code}")).text
    await chat.send("/lang sr-Cyrl")
    cyrillic = await chat.send(f"пројекат {code}")
    assert "Укупан буџет" in cyrillic.text
    assert "Програм" in cyrillic.text
    await chat.send("/lang hu")
    assert "Teljes költségvetés" in (await chat.send(f"/projekt {code}")).text
    await chat.send("/lang en")
    assert "Total budget" in (await chat.send(f"/project {code}")).text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/project NOPE-404", "Nema projekta sa šifrom „NOPE-404”"),
        ("/project ';DROP_TABLE--", "Nema projekta sa šifrom „';DROP_TABLE--”"),
        ("/project '; DROP TABLE projects;--", "Navedite šifru projekta"),
        ("/project", "Navedite šifru projekta"),
        ("/project A B", "Navedite šifru projekta"),
        ("/project " + "X" * 41, "Navedite šifru projekta"),
    ],
)
async def test_unknown_or_missing_codes_are_explained(
    chat: FakeChat, demo_db: Database, text: str, expected: str
) -> None:
    before = await count_projects(demo_db)
    assert expected in (await chat.send(text)).text
    assert await count_projects(demo_db) == before


async def test_staff_may_look_and_contacts_and_strangers_may_not(
    staff_chat: FakeChat, officer_chat: FakeChat, admin_chat: FakeChat,
    contact_chat: FakeChat, stranger_chat: FakeChat, demo_db: Database,
) -> None:  # fmt: skip
    code = (await a_project(demo_db)).code
    for allowed in (staff_chat, officer_chat, admin_chat):
        assert (await allowed.send("/projects")).text.startswith("Projekti:")
        assert "Ukupan budžet" in (await allowed.send(f"/project {code}")).text
    for text in ("/projects", f"/project {code}", "projekti u toku"):
        assert "Nemate pravo" in (await contact_chat.send(text)).text
        assert "/start KOD" in (await stranger_chat.send(text)).text
