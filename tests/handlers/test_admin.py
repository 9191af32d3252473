"""Conversations: /invite by coordinators and admins, redeemed end to end with /start CODE."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eudesk.handlers.dispatch import Dispatcher
from eudesk.storage.db import Database
from eudesk.storage.models import AuditEntry, Contact, Invite, Platform, Role, User
from tests.handlers.conftest import Answer, FakeChat


async def _invites(db: Database) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Invite)) or 0)


async def _invite(db: Database, code: str) -> Invite:
    async with db.transaction() as session:
        invite = await session.scalar(select(Invite).where(Invite.code == code))
    assert invite is not None
    return invite


async def _contact_ref(db: Database, n: int) -> str:
    async with db.transaction() as session:
        ref = await session.scalar(
            select(Contact.ref).where(Contact.ref.like(f"DEMO-C-LSGU-%-{n}")).order_by(Contact.ref)
        )
    assert ref is not None
    return ref


def _start_line(answer: Answer) -> str:
    lines = [line for line in answer.reply.lines if line.startswith("/start ")]
    assert len(lines) == 1, answer.text
    return lines[0]


async def test_invite_staff_end_to_end(
    chat: FakeChat, dispatcher: Dispatcher, demo_db: Database
) -> None:
    answer = await chat.send("/invite staff")

    assert answer.text.startswith("Pozivnica je napravljena")
    start = _start_line(answer)
    code = start.removeprefix("/start ")
    assert ("Kod", code) in answer.reply.fields
    assert ("Važi do", "04.12.2026.") in answer.reply.fields
    invite = await _invite(demo_db, code)
    assert invite.role == Role.STAFF
    assert invite.used_at is None
    assert invite.created_by == (await _user_id(demo_db, "demo"))

    newcomer = FakeChat(dispatcher, "700100200", platform=Platform.TELEGRAM)
    assert "staff" in (await newcomer.send(start)).text
    whoami = await newcomer.send("/whoami")
    assert ("Uloge", "staff") in whoami.reply.fields
    assert "iskorišćen" in (await FakeChat(dispatcher, "700100201").send(start)).text
    async with demo_db.transaction() as session:
        audited = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "invite.create")
        )
    assert audited is not None
    assert audited.allowed
    assert audited.target_ref == "staff"
    assert code not in (audited.detail or "")


async def _user_id(db: Database, name: str) -> int:
    async with db.transaction() as session:
        user_id = await session.scalar(select(User.id).where(User.name == name))
    assert user_id is not None
    return user_id


async def test_invite_a_contact_links_the_new_chat_to_it(
    chat: FakeChat, dispatcher: Dispatcher, demo_db: Database
) -> None:
    ref = await _contact_ref(demo_db, 2)
    answer = await chat.send(f"/invite {ref.lower()}")
    assert ("Kontakt", ref) in answer.reply.fields
    assert ("Uloga", "kontakt") in answer.reply.fields

    newcomer = FakeChat(dispatcher, "700100300", platform=Platform.TELEGRAM)
    await newcomer.send(_start_line(answer))
    assert "contact" in (await newcomer.send("/whoami")).text
    async with demo_db.transaction() as session:
        user = await session.scalar(
            select(User).join(Contact, Contact.id == User.contact_id).where(Contact.ref == ref)
        )
    assert user is not None
    assert user.role_set == {Role.CONTACT}


async def test_contact_word_with_a_ref(chat: FakeChat, demo_db: Database) -> None:
    ref = await _contact_ref(demo_db, 1)
    answer = await chat.send(f"/invite kontakt {ref}")
    invite = await _invite(demo_db, _start_line(answer).removeprefix("/start "))
    assert invite.role == Role.CONTACT
    assert invite.contact_id is not None


async def test_aliases_and_role_words_in_every_language(
    chat: FakeChat, admin_chat: FakeChat, demo_db: Database
) -> None:
    before = await _invites(demo_db)
    assert "Pozivnica je napravljena" in (await chat.send("/pozovi osoblje")).text
    assert ("Uloga", "koordinator") in (await chat.send("pozovi koordinator")).reply.fields

    await chat.send("/lang sr-Cyrl")
    cyrillic = await chat.send("позови особље")
    assert cyrillic.text.startswith("Позивница је направљена")
    assert ("Улога", "особље") in cyrillic.reply.fields

    await chat.send("/lang hu")
    hungarian = await chat.send("/meghívás munkatárs")
    assert hungarian.text.startswith("A meghívó elkészült")
    assert ("Szerepkör", "koordinátor") in (await chat.send("meghivas koordinátor")).reply.fields

    officer = await admin_chat.send("/invite službenik za pasoše")
    assert ("Uloga", "službenik za pasoše") in officer.reply.fields
    await admin_chat.send("/lang hu")
    assert ("Szerepkör", "útlevélügyintéző") in (
        await admin_chat.send("meghívás útlevélügyintéző")
    ).reply.fields
    assert ("Szerepkör", "adminisztrátor") in (await admin_chat.send("/invite admin")).reply.fields
    assert await _invites(demo_db) == before + 8


@pytest.mark.parametrize("role", ["admin", "passport_officer", "службеник за пасоше"])
async def test_only_an_admin_invites_admins_and_passport_officers(
    chat: FakeChat, demo_db: Database, role: str
) -> None:
    before = await _invites(demo_db)
    answer = await chat.send(f"/invite {role}")
    assert "može da napravi samo administrator" in answer.text
    assert await _invites(demo_db) == before
    async with demo_db.transaction() as session:
        refused = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "invite.create", AuditEntry.allowed.is_(False))
        )
    assert refused == 1


@pytest.mark.parametrize("who", ["staff_chat", "officer_chat", "contact_chat", "stranger_chat"])
async def test_only_coordinators_and_admins_invite(
    request: pytest.FixtureRequest, demo_db: Database, who: str
) -> None:
    sender: FakeChat = request.getfixturevalue(who)
    before = await _invites(demo_db)
    answer = await sender.send("/invite staff")
    assert "Nemate pravo" in answer.text or "/start KOD" in answer.text
    assert await _invites(demo_db) == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/invite", "Upotreba: /invite ULOGA"),
        ("/invite contact", "Za kontakt navedite njegovu oznaku"),
        ("/invite kontakt", "Za kontakt navedite njegovu oznaku"),
        ("/invite kapcsolattartó a b", "Za kontakt navedite njegovu oznaku"),
        ("/invite stuff", "Nepoznata uloga „stuff”"),
        ("/invite DEMO-C-NOPE-9", "Nema kontakta sa oznakom DEMO-C-NOPE-9"),
        ("/invite " + "A" * 300, "Upotreba: /invite ULOGA"),
        ("/invite staff staff staff staff", "Upotreba: /invite ULOGA"),
        ("/invite '; DROP TABLE invites;--", "Upotreba: /invite ULOGA"),
        ("/invite <b>admin</b>", "Upotreba: /invite ULOGA"),
        ("/invite %", "Upotreba: /invite ULOGA"),
    ],
)
async def test_bad_input_writes_nothing(
    chat: FakeChat, demo_db: Database, text: str, expected: str
) -> None:
    before = await _invites(demo_db)
    answer = await chat.send(text)
    assert expected in answer.text
    assert await _invites(demo_db) == before
