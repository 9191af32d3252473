"""Conversations: /guidelines and /ack (with the Acknowledge button) in every language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.messages import MAX_CALLBACK_BYTES
from eudesk.storage.db import Database
from eudesk.storage.models import (
    AuditEntry,
    Body,
    BodyKind,
    Contact,
    Guideline,
    GuidelineAudience,
    GuidelineDelivery,
    Platform,
    User,
)
from eudesk.storage.repositories import Repositories
from tests.handlers.conftest import NOW, FakeChat


async def _user(db: Database, name: str) -> User:
    async with db.transaction() as session:
        user = await session.scalar(select(User).where(User.name == name))
    assert user is not None
    return user


async def _refs(db: Database, audience: GuidelineAudience) -> list[str]:
    async with db.transaction() as session:
        refs = await session.scalars(
            select(Guideline.ref).where(Guideline.audience == audience).order_by(Guideline.ref)
        )
        return list(refs)


async def _delivery(db: Database, ref: str, contact_id: int) -> GuidelineDelivery | None:
    async with db.transaction() as session:
        return await session.scalar(
            select(GuidelineDelivery)
            .join(Guideline, Guideline.id == GuidelineDelivery.guideline_id)
            .where(Guideline.ref == ref, GuidelineDelivery.contact_id == contact_id)
        )


async def _unacknowledge(db: Database, ref: str, contact_id: int) -> None:
    """Demo acknowledgements are random: make this one pending so the test is deterministic."""
    async with db.transaction() as session:
        guideline_id = await session.scalar(select(Guideline.id).where(Guideline.ref == ref))
        await session.execute(
            update(GuidelineDelivery)
            .where(
                GuidelineDelivery.guideline_id == guideline_id,
                GuidelineDelivery.contact_id == contact_id,
            )
            .values(acknowledged_at=None, acknowledged_by=None)
        )


async def _acknowledged_count(db: Database) -> int:
    async with db.transaction() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(GuidelineDelivery)
            .where(GuidelineDelivery.acknowledged_at.is_not(None))
        )
        return int(count or 0)


async def test_contact_sees_what_concerns_their_lsgu_with_buttons(
    contact_chat: FakeChat, demo_db: Database
) -> None:
    contact = await _user(demo_db, "demo-contact")
    assert contact.contact_id is not None
    mine = await _refs(demo_db, GuidelineAudience.ALL_LSGU)
    mine += await _refs(demo_db, GuidelineAudience.ALL)
    provincial = await _refs(demo_db, GuidelineAudience.PROVINCIAL)
    assert mine
    assert provincial
    await _unacknowledge(demo_db, mine[0], contact.contact_id)

    answer = await contact_chat.send("/guidelines")

    assert answer.text.startswith("Najnovije smernice")
    assert all(ref in answer.text for ref in mine)
    assert not any(ref in answer.text for ref in provincial)
    callbacks = {b.callback for b in answer.reply.buttons}
    assert f"/ack {mine[0]}" in callbacks
    assert all(len(c.encode()) <= MAX_CALLBACK_BYTES for c in callbacks)
    assert all(b.label.startswith("Potvrdi prijem") for b in answer.reply.buttons)
    assert "https://" in answer.text
    assert "objavljeno" in answer.text


async def test_pressing_acknowledge_records_it_once(
    contact_chat: FakeChat, demo_db: Database
) -> None:
    contact = await _user(demo_db, "demo-contact")
    assert contact.contact_id is not None
    ref = (await _refs(demo_db, GuidelineAudience.ALL_LSGU))[0]
    await _unacknowledge(demo_db, ref, contact.contact_id)
    listing = await contact_chat.send("/guidelines")
    button = next(b for b in listing.reply.buttons if b.callback == f"/ack {ref}")

    first = await contact_chat.press(button.callback)

    assert "potvrđen je 27.11.2026." in first.text
    delivery = await _delivery(demo_db, ref, contact.contact_id)
    assert delivery is not None
    assert delivery.acknowledged_at == NOW
    assert delivery.acknowledged_by == contact.id
    second = await contact_chat.press(button.callback)
    assert "već potvrđen 27.11.2026." in second.text
    after = await contact_chat.send("/guidelines")
    assert f"/ack {ref}" not in {b.callback for b in after.reply.buttons}
    assert "prijem potvrđen 27.11.2026." in after.text
    async with demo_db.transaction() as session:
        audited = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "guideline.ack", AuditEntry.target_ref == ref)
        )
    assert audited == 2


async def test_acknowledging_again_keeps_the_first_time(
    contact_chat: FakeChat, demo_db: Database
) -> None:
    contact = await _user(demo_db, "demo-contact")
    assert contact.contact_id is not None
    ref = (await _refs(demo_db, GuidelineAudience.ALL))[0]
    earlier = NOW - timedelta(days=10)
    async with demo_db.transaction() as session:
        guideline_id = await session.scalar(select(Guideline.id).where(Guideline.ref == ref))
        await session.execute(
            update(GuidelineDelivery)
            .where(
                GuidelineDelivery.guideline_id == guideline_id,
                GuidelineDelivery.contact_id == contact.contact_id,
            )
            .values(acknowledged_at=earlier)
        )

    answer = await contact_chat.send(f"/ack {ref.lower()}")

    assert "već potvrđen 17.11.2026." in answer.text
    delivery = await _delivery(demo_db, ref, contact.contact_id)
    assert delivery is not None
    assert delivery.acknowledged_at == earlier


async def test_ack_of_an_undelivered_guideline_for_their_audience_creates_the_delivery(
    contact_chat: FakeChat, demo_db: Database
) -> None:
    contact = await _user(demo_db, "demo-contact")
    assert contact.contact_id is not None
    ref = (await _refs(demo_db, GuidelineAudience.ALL))[0]
    async with demo_db.transaction() as session:
        guideline_id = await session.scalar(select(Guideline.id).where(Guideline.ref == ref))
        await session.execute(
            delete(GuidelineDelivery).where(
                GuidelineDelivery.guideline_id == guideline_id,
                GuidelineDelivery.contact_id == contact.contact_id,
            )
        )

    answer = await contact_chat.send(f"/ack {ref}")

    assert "potvrđen je" in answer.text
    delivery = await _delivery(demo_db, ref, contact.contact_id)
    assert delivery is not None
    assert delivery.acknowledged_at == NOW
    assert delivery.sent_at is None


async def test_ack_of_a_guideline_for_another_audience_is_refused(
    contact_chat: FakeChat, demo_db: Database
) -> None:
    contact = await _user(demo_db, "demo-contact")
    assert contact.contact_id is not None
    ref = (await _refs(demo_db, GuidelineAudience.PROVINCIAL))[0]
    before = await _acknowledged_count(demo_db)

    answer = await contact_chat.send(f"/ack {ref}")

    assert "nije upućena vašem organu" in answer.text
    assert await _delivery(demo_db, ref, contact.contact_id) is None
    assert await _acknowledged_count(demo_db) == before


async def test_staff_see_everything_with_counts_and_cannot_acknowledge(
    staff_chat: FakeChat, demo_db: Database
) -> None:
    provincial = await _refs(demo_db, GuidelineAudience.PROVINCIAL)
    listing = await staff_chat.send("/guidelines")
    assert all(ref in listing.text for ref in provincial)
    assert "potvrdilo" in listing.text
    assert "kontakata" in listing.text
    assert listing.reply.buttons == []
    before = await _acknowledged_count(demo_db)
    answer = await staff_chat.send(f"/ack {provincial[0]}")
    assert "nije povezan sa kontaktom" in answer.text
    assert await _acknowledged_count(demo_db) == before


async def test_newest_first_and_a_chosen_count(chat: FakeChat, demo_db: Database) -> None:
    async with demo_db.transaction() as session:
        newest = list(
            await session.scalars(
                select(Guideline.ref)
                .order_by(Guideline.published_at.desc(), Guideline.id.desc())
                .limit(2)
            )
        )
    answer = await chat.send("/guidelines 2")
    assert len(answer.reply.items) == 2
    assert [item.split(" — ")[0] for item in answer.reply.items] == newest


async def test_a_provincial_contact_sees_provincial_guidelines(
    chat: FakeChat, dispatcher: Dispatcher, demo_db: Database
) -> None:
    async with demo_db.transaction() as session:
        ref = await session.scalar(
            select(Contact.ref)
            .join(Body, Body.id == Contact.body_id)
            .where(Body.kind == BodyKind.PROVINCIAL_SECRETARIAT)
            .order_by(Contact.ref)
            .limit(1)
        )
    invite = await chat.send(f"/invite {ref}")
    start_line = next(line for line in invite.reply.lines if line.startswith("/start "))
    secretariat = FakeChat(dispatcher, "4242001", platform=Platform.TELEGRAM)
    await secretariat.send(start_line)
    await secretariat.send("/lang sr-Latn")  # demo contacts may prefer Hungarian

    listing = await secretariat.send("/guidelines")

    assert all(r in listing.text for r in await _refs(demo_db, GuidelineAudience.PROVINCIAL))
    assert not any(r in listing.text for r in await _refs(demo_db, GuidelineAudience.ALL_LSGU))
    pending = [item for item in listing.reply.items if "prijem još nije potvrđen" in item]
    done = [item for item in listing.reply.items if "prijem potvrđen" in item]
    assert len(pending) + len(done) == len(listing.reply.items)
    assert len(listing.reply.buttons) == len(pending)


async def test_aliases_in_every_language(contact_chat: FakeChat, demo_db: Database) -> None:
    contact = await _user(demo_db, "demo-contact")
    assert contact.contact_id is not None
    lsgu = await _refs(demo_db, GuidelineAudience.ALL_LSGU)
    everyone = await _refs(demo_db, GuidelineAudience.ALL)
    for ref in (*lsgu, *everyone):
        await _unacknowledge(demo_db, ref, contact.contact_id)

    assert "Najnovije smernice" in (await contact_chat.send("smernice")).text
    assert "potvrđen je" in (await contact_chat.send(f"potvrdi {lsgu[0]}")).text

    await contact_chat.send("/lang sr-Cyrl")
    cyrillic = await contact_chat.send("смернице")
    assert cyrillic.text.startswith("Најновије смернице")
    assert any(b.label.startswith("Потврди пријем") for b in cyrillic.reply.buttons)
    assert "Хвала" in (await contact_chat.send(f"потврди {everyone[0]}")).text

    await contact_chat.send("/lang hu")
    assert "A legújabb irányelvek" in (await contact_chat.send("irányelvek")).text
    assert "A legújabb irányelvek" in (await contact_chat.send("/iranyelvek")).text
    assert "Köszönjük" in (await contact_chat.send(f"nyugtáz {lsgu[1]}")).text
    assert "már nyugtázták" in (await contact_chat.send(f"/nyugtaz {lsgu[1]}")).text

    await contact_chat.send("/lang en")
    english = await contact_chat.send("/guidelines")
    assert english.text.startswith("Latest guidelines")
    assert "acknowledged on 27 Nov 2026" in english.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/ack", "Navedite oznaku smernice"),
        ("/ack DEMO-GL-0001 DEMO-GL-0002", "Navedite oznaku smernice"),
        ("/ack " + "X" * 300, "Navedite oznaku smernice"),
        ("/ack '; DROP TABLE guideline_deliveries;--", "Navedite oznaku smernice"),
        ("/ack DEMO-GL-9999", "Nema smernice sa oznakom DEMO-GL-9999"),
        ("/ack <b>x</b>", "Nema smernice sa oznakom <b>x</b>"),
        ("/ack %", "Nema smernice sa oznakom %"),
        ("/guidelines many", "Upotreba: /guidelines"),
        ("/guidelines 0", "Upotreba: /guidelines"),
        ("/guidelines 999", "Upotreba: /guidelines"),
        ("/guidelines " + "9" * 300, "Upotreba: /guidelines"),
    ],
)
async def test_bad_input_is_answered_and_writes_nothing(
    contact_chat: FakeChat, demo_db: Database, text: str, expected: str
) -> None:
    before = await _acknowledged_count(demo_db)
    answer = await contact_chat.send(text)
    assert expected in answer.text
    assert await _acknowledged_count(demo_db) == before


async def test_strangers_get_no_guidelines(stranger_chat: FakeChat) -> None:
    for text in ("/guidelines", "/ack DEMO-GL-0001"):
        assert "/start KOD" in (await stranger_chat.send(text)).text


async def test_a_guideline_for_named_bodies_reaches_every_contact_of_those_bodies(
    contact_chat: FakeChat, staff_chat: FakeChat, demo_db: Database
) -> None:
    contact = await _user(demo_db, "demo-contact")
    assert contact.contact_id is not None
    async with demo_db.transaction() as session:
        body_id = await session.scalar(
            select(Contact.body_id).where(Contact.id == contact.contact_id)
        )
        colleague = await session.scalar(
            select(Contact.id).where(Contact.body_id == body_id, Contact.id != contact.contact_id)
        )
        guideline = Guideline(
            ref="TEST-GL-BODIES", title="Samo za Novi Sad", summary="Za imenovane organe. " * 30,
            link=None, audience=GuidelineAudience.BODIES, published_at=NOW - timedelta(hours=1),
        )  # fmt: skip
        session.add(guideline)
        await session.flush()
        session.add(GuidelineDelivery(guideline_id=guideline.id, contact_id=colleague))

    listing = await contact_chat.send("/guidelines 1")
    item = listing.reply.items[0]
    assert item.startswith("TEST-GL-BODIES")
    assert item.splitlines()[1].endswith("…")
    assert len(item.splitlines()[1]) <= 200
    assert "potvrđen je" in (await contact_chat.press("/ack TEST-GL-BODIES")).text
    delivery = await _delivery(demo_db, "TEST-GL-BODIES", contact.contact_id)
    assert delivery is not None
    assert delivery.acknowledged_by == contact.id
    # Staff see it too; a body it was not sent to does not (checked through the repository).
    assert "TEST-GL-BODIES" in (await staff_chat.send("/guidelines 1")).text
    async with demo_db.transaction() as session:
        other = await session.scalar(
            select(Body.id).where(Body.kind == BodyKind.CITY, Body.id != body_id).limit(1)
        )
        views = await Repositories(session).guidelines.latest_for(body_id=other, limit=20)
    assert views
    assert "TEST-GL-BODIES" not in {v.ref for v in views}
