"""Conversations: /broadcast (preview, confirm, idempotent) and /ack_status, in every language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from eudesk.handlers import command_table
from eudesk.handlers.broadcasts import DRAFT_LIFETIME
from eudesk.handlers.context import HandlerConfig
from eudesk.handlers.dispatch import Dispatcher
from eudesk.storage.db import Database
from eudesk.storage.models import (
    AuditEntry,
    Body,
    BodyKind,
    Contact,
    Guideline,
    GuidelineAudience,
    GuidelineDelivery,
    OutboxEntry,
)
from tests.handlers.conftest import NOW, FakeChat


async def _scalar(db: Database, query: object) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(query) or 0)  # type: ignore[call-overload]


async def _outbox(db: Database) -> int:
    return await _scalar(db, select(func.count()).select_from(OutboxEntry))


async def _deliveries(db: Database, ref: str) -> int:
    return await _scalar(
        db,
        select(func.count())
        .select_from(GuidelineDelivery)
        .join(Guideline, Guideline.id == GuidelineDelivery.guideline_id)
        .where(Guideline.ref == ref),
    )


async def _fresh_guideline(db: Database, audience: GuidelineAudience) -> str:
    """A guideline of the audience with no deliveries yet (demo ones were delivered already)."""
    async with db.transaction() as session:
        guideline = Guideline(
            ref=f"TEST-GL-{audience.value.upper()}", title="Smernica za IPA prijave",
            summary="Kako prijaviti projekat.", link="https://example.invalid/gl",
            audience=audience, published_at=NOW,
        )  # fmt: skip
        session.add(guideline)
        await session.flush()
        return guideline.ref


async def _give_chats(db: Database, kind: BodyKind, count: int) -> list[str]:
    """Telegram chats for the first `count` contacts of bodies of this kind."""
    async with db.transaction() as session:
        ids = list(
            await session.scalars(
                select(Contact.id)
                .join(Body, Body.id == Contact.body_id)
                .where(Body.kind == kind)
                .order_by(Contact.id)
                .limit(count)
            )
        )
        for n, contact_id in enumerate(ids):
            await session.execute(
                update(Contact)
                .where(Contact.id == contact_id)
                .values(telegram_chat_id=str(880000 + n))
            )
    return [str(880000 + n) for n in range(len(ids))]


async def _lsgu_contacts(db: Database) -> int:
    return await _scalar(
        db,
        select(func.count())
        .select_from(Contact)
        .join(Body, Body.id == Contact.body_id)
        .where(Body.kind.in_([BodyKind.CITY, BodyKind.MUNICIPALITY]), Contact.active.is_(True)),
    )


async def test_broadcast_previews_then_queues_once_per_contact(
    chat: FakeChat, demo_db: Database
) -> None:
    ref = await _fresh_guideline(demo_db, GuidelineAudience.ALL_LSGU)
    chats = await _give_chats(demo_db, BodyKind.MUNICIPALITY, 5)
    contacts = await _lsgu_contacts(demo_db)

    preview = await chat.send(f"/broadcast {ref} all-lsgu")
    fields = dict(preview.reply.fields)
    assert fields["Organi"] == "45"
    assert fields["Dobijaju je sada u četu"] == str(len(chats))
    assert fields["Bez povezanog četa (samo se evidentira)"] == str(contacts - len(chats))
    assert fields["Već su je dobili ranije"] == "0"
    [button] = preview.reply.buttons
    assert button.callback.startswith("/broadcast_send ")
    assert "LSGU" not in button.callback
    assert "all-lsgu" not in button.callback
    assert await _outbox(demo_db) == 0
    assert await _deliveries(demo_db, ref) == 0

    done = await chat.press(button.callback)
    assert dict(done.reply.fields)["Nove poruke"] == str(len(chats)), done.text
    assert await _outbox(demo_db) == len(chats)
    assert await _deliveries(demo_db, ref) == contacts  # the unreachable are recorded too
    async with demo_db.transaction() as session:
        rows = list(await session.scalars(select(OutboxEntry).order_by(OutboxEntry.chat_id)))
        audit = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "guideline.broadcast")
            )
        )
    assert sorted(row.chat_id for row in rows) == chats
    assert {row.kind for row in rows} == {"guideline"}
    assert [(a.target_ref, a.allowed) for a in audit] == [(ref, True)]

    twice = await chat.press(button.callback)
    assert "već poslat" in twice.text, twice.text
    assert dict(twice.reply.fields)["Nove poruke"] == str(len(chats))  # what the first did
    assert await _outbox(demo_db) == len(chats)

    again = await chat.send(f"/broadcast {ref} all-lsgu yes")
    assert dict(again.reply.fields)["Nove poruke"] == "0"
    assert dict(again.reply.fields)["Već su je dobili ranije"] == str(len(chats))
    assert await _outbox(demo_db) == len(chats)


async def test_broadcast_without_targets_uses_the_audience_and_bodies_by_name(
    chat: FakeChat, demo_db: Database
) -> None:
    ref = await _fresh_guideline(demo_db, GuidelineAudience.PROVINCIAL)
    provincial = await _scalar(
        demo_db,
        select(func.count())
        .select_from(Contact)
        .join(Body, Body.id == Contact.body_id)
        .where(Body.kind.in_([BodyKind.PROVINCIAL_SECRETARIAT, BodyKind.PROVINCIAL_BODY])),
    )
    assert provincial > 0
    fields = dict((await chat.send(f"/broadcast {ref}")).reply.fields)
    assert int(fields["Bez povezanog četa (samo se evidentira)"]) == provincial
    # Two bodies by name, in Latin and Cyrillic, separated by a comma: two contacts each.
    named = await chat.send(f"/broadcast {ref} Subotica, Сента")
    assert dict(named.reply.fields)["Organi"] == "2", named.text
    assert named.reply.buttons[0].callback.startswith("/broadcast_send ")


async def test_bodies_by_code_and_by_name_in_any_script_are_one_audience(
    chat: FakeChat, demo_db: Database
) -> None:
    ref = await _fresh_guideline(demo_db, GuidelineAudience.BODIES)
    async with demo_db.transaction() as session:
        senta = await session.scalar(select(Body.code).where(Body.name_sr_latn == "Senta"))
    assert senta is not None
    for text in (f"Subotica, {senta}", f"Суботица, {senta.lower()}", f"Szabadka, {senta}"):
        preview = await chat.send(f"/broadcast {ref} {text}")
        assert dict(preview.reply.fields).get("Organi") == "2", (text, preview.text)
    done = await chat.press(preview.reply.buttons[0].callback)
    assert "u redu za slanje" in done.text, done.text
    assert await _deliveries(demo_db, ref) == 4
    vague = await chat.send(f"/broadcast {ref} Novi")
    assert "Da li ste mislili" in vague.text, vague.text
    assert "Novi Sad" in vague.text


async def test_the_preview_counts_who_had_it_and_who_blocked_the_bot(
    chat: FakeChat, demo_db: Database
) -> None:
    ref = await _fresh_guideline(demo_db, GuidelineAudience.BODIES)
    async with demo_db.transaction() as session:
        ids = {
            name: list(
                await session.scalars(
                    select(Contact.id)
                    .join(Body, Body.id == Contact.body_id)
                    .where(Body.name_sr_latn == name)
                    .order_by(Contact.id)
                )
            )
            for name in ("Subotica", "Senta")
        }
        assert [len(found) for found in ids.values()] == [2, 2]
        chats = [*ids["Subotica"], ids["Senta"][0]]
        await session.execute(
            update(Contact).where(Contact.id.in_(chats)).values(telegram_chat_id="770")
        )
    await chat.send(f"/broadcast {ref} Subotica yes")  # both Subotica contacts have it now
    async with demo_db.transaction() as session:  # as the dispatcher does for a blocked chat
        await session.execute(
            update(Contact).where(Contact.id == ids["Subotica"][1]).values(active=False)
        )
    fields = dict((await chat.send(f"/broadcast {ref} Subotica, Senta")).reply.fields)
    assert fields["Isključeni kontakti (blokirali su bota)"] == "1"
    assert fields["Već su je dobili ranije"] == "1"
    assert fields["Dobijaju je sada u četu"] == "1"
    assert fields["Bez povezanog četa (samo se evidentira)"] == "1"

    # A delivery recorded as sent by an import, with no outbox row and now a chat: had it.
    async with demo_db.transaction() as session:
        guideline_id = await session.scalar(select(Guideline.id).where(Guideline.ref == ref))
        session.add(GuidelineDelivery(guideline_id=guideline_id, contact_id=ids["Senta"][1],
                                      sent_at=NOW))  # fmt: skip
        await session.execute(
            update(Contact).where(Contact.id == ids["Senta"][1]).values(telegram_chat_id="771")
        )
    fields = dict((await chat.send(f"/broadcast {ref} Subotica, Senta")).reply.fields)
    assert fields["Već su je dobili ranije"] == "2"
    assert fields["Bez povezanog četa (samo se evidentira)"] == "0"
    before = await _outbox(demo_db)
    done = await chat.send(f"/broadcast {ref} Subotica, Senta yes")
    assert dict(done.reply.fields)["Nove poruke"] == "1", done.text
    assert await _outbox(demo_db) == before + 1  # Senta's first contact only


async def test_a_send_button_works_only_for_its_author_and_only_in_time(
    chat: FakeChat, admin_chat: FakeChat, demo_db: Database
) -> None:
    ref = await _fresh_guideline(demo_db, GuidelineAudience.ALL_LSGU)
    await _give_chats(demo_db, BodyKind.MUNICIPALITY, 3)
    [button] = (await chat.send(f"/broadcast {ref} all-lsgu")).reply.buttons
    token = button.callback.split()[1]
    for presser, callback in [
        (admin_chat, button.callback),  # forwarded to another coordinator
        (chat, f"/broadcast_send {token[:-1]}x"),  # forged
        (chat, "/broadcast_send"),
        (chat, f"/broadcast_send {'A' * 60}"),
    ]:
        refused = await presser.press(callback)
        assert "nije vaše ili više ne važi" in refused.text, refused.text
    assert await _outbox(demo_db) == 0
    assert await _deliveries(demo_db, ref) == 0
    async with demo_db.transaction() as session:
        audit = list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "guideline.broadcast")
                .order_by(AuditEntry.id)
            )
        )
    assert [a.allowed for a in audit] == [False] * 4
    assert audit[0].target_ref == ref

    later = Dispatcher(demo_db, command_table(), HandlerConfig(),
                       clock=lambda: NOW + DRAFT_LIFETIME + timedelta(seconds=1))  # fmt: skip
    expired = await FakeChat(later, "demo").press(button.callback)
    assert "istekao" in expired.text
    assert f"/broadcast {ref} all-lsgu" in expired.text
    assert await _outbox(demo_db) == 0
    on_time = await chat.press(button.callback)
    assert dict(on_time.reply.fields)["Nove poruke"] == "3", on_time.text


async def test_broadcast_to_particular_bodies_needs_them_named(
    chat: FakeChat, demo_db: Database
) -> None:
    ref = await _fresh_guideline(demo_db, GuidelineAudience.BODIES)
    answer = await chat.send(f"/broadcast {ref}")
    assert "navedite ih" in answer.text
    assert ref in answer.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/broadcast", "Upotreba: /broadcast"),
        ("/broadcast NO-SUCH-GL all-lsgu", "Nema smernice sa oznakom NO-SUCH-GL"),
        ("/broadcast {ref} Atlantida", "Ne prepoznajem organ „Atlantida”"),
        ("/broadcast {ref} Subotica, Atlantida yes", "Ne prepoznajem organ „Atlantida”"),
        ("/broadcast {ref} " + "x" * 500, "Upotreba: /broadcast"),
        ("/broadcast " + "G" * 41, "Upotreba: /broadcast"),
    ],
)
async def test_bad_broadcasts_get_a_clear_answer_and_write_nothing(
    chat: FakeChat, demo_db: Database, text: str, expected: str
) -> None:
    ref = await _fresh_guideline(demo_db, GuidelineAudience.ALL_LSGU)
    await _give_chats(demo_db, BodyKind.MUNICIPALITY, 3)
    answer = await chat.send(text.format(ref=ref))
    assert expected in answer.text, answer.text
    assert await _outbox(demo_db) == 0
    assert await _deliveries(demo_db, ref) == 0


async def test_only_coordinators_broadcast(staff_chat: FakeChat, demo_db: Database) -> None:
    ref = await _fresh_guideline(demo_db, GuidelineAudience.ALL_LSGU)
    await _give_chats(demo_db, BodyKind.MUNICIPALITY, 3)
    answer = await staff_chat.send(f"/broadcast {ref} all-lsgu yes")
    assert "novih poruka" not in answer.text
    assert await _outbox(demo_db) == 0
    assert await _deliveries(demo_db, ref) == 0


async def test_ack_status_lists_the_unacknowledged_first(
    chat: FakeChat, contact_chat: FakeChat, demo_db: Database
) -> None:
    ref = await _fresh_guideline(demo_db, GuidelineAudience.BODIES)
    assert "još nije dostavljena" in (await chat.send(f"/ack_status {ref}")).text
    async with demo_db.transaction() as session:
        subotica = select(Body.id).where(Body.name_sr_latn == "Subotica").scalar_subquery()
        first = select(func.min(Contact.id)).where(Contact.body_id == subotica).scalar_subquery()
        await session.execute(
            update(Contact).where(Contact.id == first).values(telegram_chat_id="880001")
        )
    # Novi Sad is the demo contact's body; Subotica's two contacts stay unacknowledged.
    await chat.send(f"/broadcast {ref} Novi Sad, Subotica yes")
    ack = await contact_chat.send(f"/ack {ref}")
    assert "Hvala" in ack.text, ack.text
    status = await chat.send(f"/ack_status {ref}")
    assert status.reply.fields == [
        ("Dostavljeno", "4"),
        ("Potvrdilo", "1"),
        ("Nije potvrdilo", "3"),
        ("Bez četa", "2"),
        ("Strana", "1/1"),
    ]
    items = status.reply.items
    assert len(items) == 4
    assert all("nije potvrđeno" in item or "nema čet" in item for item in items[:3]), items
    assert items[3].startswith("Novi Sad — "), items
    assert "potvrđeno 27.11.2026" in items[3], items
    assert sum("(još nije poslato)" in item for item in items) == 1  # the one with a chat


async def test_ack_status_in_every_language(chat: FakeChat, demo_db: Database) -> None:
    ref = await _fresh_guideline(demo_db, GuidelineAudience.PROVINCIAL)
    await chat.send(f"/broadcast {ref} yes")
    expected = {
        "en": "Acknowledgements:",
        "hu": "Átvételi nyugták:",
        "sr-Cyrl": "Потврде пријема:",
        "sr-Latn": "Potvrde prijema:",
    }
    for locale, title in expected.items():
        await chat.send(f"/lang {locale}")
        answer = await chat.send(f"/ack_status {ref}")
        assert (answer.reply.title or "").startswith(title), locale


async def test_ack_status_needs_staff(contact_chat: FakeChat, dispatcher: Dispatcher) -> None:
    answer = await contact_chat.send("/ack_status DEMO-GL-0001")
    assert "Potvrde prijema" not in answer.text


async def _all_pages(chat: FakeChat, ref: str) -> tuple[list[str], list[str]]:
    """Every /ack_status line, page by page through the Next buttons, and the pages' fields."""
    answer = await chat.send(f"/ack_status {ref}")
    items, pages = list(answer.reply.items), [answer.reply.fields[-1][1]]
    while True:
        following = [b for b in answer.reply.buttons if b.label.endswith("›")]
        if not following:
            return items, pages
        answer = await chat.press(following[0].callback)
        items.extend(answer.reply.items)
        pages.append(answer.reply.fields[-1][1])


def _bodies(items: list[str]) -> list[str]:
    return list(dict.fromkeys(item.split(" — ")[0] for item in items))


async def test_ack_status_pages_through_everyone_in_the_readers_alphabet(
    chat: FakeChat, contact_chat: FakeChat, demo_db: Database
) -> None:
    ref = await _fresh_guideline(demo_db, GuidelineAudience.ALL_LSGU)
    await chat.send(f"/broadcast {ref} all-lsgu yes")
    await contact_chat.send(f"/ack {ref}")  # the demo contact, in Novi Sad
    contacts = await _lsgu_contacts(demo_db)
    assert contacts > 2 * 20  # more than two pages

    items, pages = await _all_pages(chat, ref)
    assert len(items) == contacts  # everyone, nothing cut
    assert pages == [f"{n}/{len(pages)}" for n in range(1, len(pages) + 1)]
    assert "potvrđeno 27.11.2026" in items[-1]  # acknowledged last
    assert items[-1].startswith("Novi Sad — ")
    latin = _bodies(items[:-1])
    # č after c and before d, š after s, ž after z: not the code-point order (Č, Š, Ž last).
    assert latin.index("Bečej") < latin.index("Čoka") < latin.index("Inđija")
    assert latin.index("Subotica") < latin.index("Šid") < latin.index("Temerin")
    assert latin.index("Zrenjanin") < latin.index("Žabalj") < latin.index("Žitište")
    assert latin.index("Kanjiža") < latin.index("Kikinda")  # nj is not a letter at the start

    await chat.send("/lang sr-Cyrl")
    cyrillic = _bodies((await _all_pages(chat, ref))[0])
    assert cyrillic.index("Тител") < cyrillic.index("Чока") < cyrillic.index("Шид")

    await chat.send("/lang hu")
    hungarian = _bodies((await _all_pages(chat, ref))[0])
    assert hungarian.index("Zombor") < hungarian.index("Zsablya")  # zs after z
    assert hungarian.index("Csóka") > hungarian.index("Bács")  # cs a letter after c

    beyond = await chat.send(f"/ack_status {ref} p {len(pages) + 1}")
    assert str(len(pages)) in beyond.text
    assert not beyond.reply.items
