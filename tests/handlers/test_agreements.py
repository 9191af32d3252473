"""Conversations: /agreements by partner region or country, in every language and role."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eudesk.storage.db import Database
from eudesk.storage.models import Agreement, AgreementStatus
from tests.handlers.conftest import FakeChat


async def agreements(db: Database) -> list[Agreement]:
    async with db.transaction() as session:
        return list(await session.scalars(select(Agreement)))


async def test_all_agreements_with_region_country_date_status_and_areas(
    chat: FakeChat, demo_db: Database
) -> None:
    stored = await agreements(demo_db)
    answer = await chat.send("/agreements")
    assert answer.reply.title == f"Sporazumi o međuregionalnoj saradnji: {len(stored)}"
    assert len(answer.reply.items) == len(stored)
    for agreement in stored:
        item = next(i for i in answer.reply.items if i.startswith(agreement.partner_region))
        if agreement.signed_on is not None:
            assert f"datum potpisivanja {agreement.signed_on:%d.%m.%Y}." in item
        status = {
            AgreementStatus.SIGNED: "potpisan",
            AgreementStatus.ACTIVE: "na snazi",
            AgreementStatus.IN_PREPARATION: "u pripremi",
            AgreementStatus.EXPIRED: "istekao",
        }[agreement.status]
        assert f" · {status}" in item
        assert agreement.areas is None or agreement.areas in item


@pytest.mark.parametrize(
    "country", ["Hungary", "Mađarska", "madjarska", "Мађарска", "Magyarország", "magyar"]
)
async def test_a_country_in_any_language_or_script(
    chat: FakeChat, demo_db: Database, country: str
) -> None:
    expected = {a.partner_region for a in await agreements(demo_db) if a.country == "Hungary"}
    assert expected, "the demo data has Hungarian partner regions"
    answer = await chat.send(f"/agreements {country}")
    shown = {item.split(" (")[0] for item in answer.reply.items}
    assert shown == expected
    assert all("(Mađarska)" in item for item in answer.reply.items)


@pytest.mark.parametrize("region", ["Timiș", "timis", "Тимиш", "TIMIS"])
async def test_a_region_with_or_without_diacritics(chat: FakeChat, region: str) -> None:
    answer = await chat.send(f"sporazumi {region}")
    assert len(answer.reply.items) == 1
    assert answer.reply.items[0].startswith("Județul Timiș (Rumunija)")


async def test_aliases_in_every_language(chat: FakeChat, demo_db: Database) -> None:
    count = len(await agreements(demo_db))
    assert f"saradnji: {count}" in (await chat.send("sporazumi")).text
    await chat.send("/lang sr-Cyrl")
    cyrillic = await chat.send("споразуми")
    assert cyrillic.text.startswith(f"Споразуми о међурегионалној сарадњи: {count}")
    assert "(Мађарска)" in cyrillic.text
    await chat.send("/lang hu")
    for alias in ("/megállapodások", "megallapodasok"):
        hungarian = await chat.send(alias)
        assert hungarian.text.startswith(f"Régióközi együttműködési megállapodások: {count}")
        assert "(Magyarország)" in hungarian.text
    await chat.send("/lang en")
    english = await chat.send("/agreements romania")
    assert "(Romania) · in force" in english.text or "(Romania) · signed" in english.text


async def test_dates_follow_the_language(chat: FakeChat, demo_db: Database) -> None:
    signed = next(a for a in await agreements(demo_db) if a.signed_on is not None)
    day = signed.signed_on
    assert day is not None
    assert f"{day:%d.%m.%Y}." in (await chat.send(f"/agreements {signed.partner_region}")).text
    await chat.send("/lang hu")
    hungarian = (await chat.send(f"/agreements {signed.partner_region}")).text
    assert f"aláírás: {day:%Y. %m. %d.}" in hungarian


@pytest.mark.parametrize(
    "text", ["Atlantis", "'; DROP TABLE agreements;--", "<b>x</b>", "%", "_", "\x00x"]
)
async def test_no_match_is_said_clearly_and_nothing_is_written(
    chat: FakeChat, demo_db: Database, text: str
) -> None:
    async with demo_db.transaction() as session:
        before = await session.scalar(select(func.count()).select_from(Agreement))
    answer = await chat.send(f"/agreements {text}")
    assert "Nijedan sporazum ne odgovara upitu" in answer.text
    async with demo_db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Agreement)) == before


async def test_an_over_long_filter_is_refused(chat: FakeChat) -> None:
    answer = await chat.send("/agreements " + "Vojvodina " * 30)
    assert "predugačak" in answer.text


async def test_staff_may_look_and_contacts_and_strangers_may_not(
    staff_chat: FakeChat, officer_chat: FakeChat, admin_chat: FakeChat,
    contact_chat: FakeChat, stranger_chat: FakeChat,
) -> None:  # fmt: skip
    for allowed in (staff_chat, officer_chat, admin_chat):
        assert (await allowed.send("/agreements")).text.startswith("Sporazumi")
    for text in ("/agreements", "sporazumi Mađarska"):
        assert "Nemate pravo" in (await contact_chat.send(text)).text
        assert "/start KOD" in (await stranger_chat.send(text)).text
