"""Conversations: /start, /help, /lang, /whoami, unknown senders, unknown commands."""

from __future__ import annotations

from sqlalchemy import func, select

from eudesk.handlers.dispatch import Dispatcher
from eudesk.storage.db import Database
from eudesk.storage.models import Platform, Role, User
from eudesk.storage.repositories import Repositories
from tests.handlers.conftest import NOW, FakeChat


async def test_help_lists_only_what_the_role_may_run(
    chat: FakeChat, stranger_chat: FakeChat
) -> None:
    mine = await chat.send("/help")
    assert "/whoami" in mine.text
    theirs = await stranger_chat.send("/help")
    assert "/whoami" not in theirs.text
    assert "/start" in theirs.text
    assert "/lang" in theirs.text


async def test_unknown_sender_is_told_how_to_get_access(stranger_chat: FakeChat) -> None:
    answer = await stranger_chat.send("/whoami")
    assert "/start CODE" in answer.text or "/start KOD" in answer.text


async def test_lang_switches_script_and_persists(chat: FakeChat) -> None:
    assert "Ime" in (await chat.send("/whoami")).text
    assert "ћирилица" in (await chat.send("/lang sr-Cyrl")).text
    assert "Име" in (await chat.send("/whoami")).text
    assert "Language set" in (await chat.send("/jezik en")).text
    assert "Your account" in (await chat.send("ко_сам")).text
    assert "magyar" in (await chat.send("/nyelv magyar")).text


async def test_lang_for_an_unknown_sender_is_remembered(stranger_chat: FakeChat) -> None:
    await stranger_chat.send("/lang hu")
    assert "hozzáférés" in (await stranger_chat.send("/whoami")).text


async def test_start_with_an_invite_links_the_chat(
    dispatcher: Dispatcher, demo_db: Database
) -> None:
    async with demo_db.transaction() as session:
        invite = await Repositories(session).invites.create(NOW, role=Role.STAFF)
    newcomer = FakeChat(dispatcher, "55501", platform=Platform.TELEGRAM)
    answer = await newcomer.send(f"/start {invite.code.lower()}")
    assert "staff" in answer.text
    assert "/whoami" in (await newcomer.send("/help")).text
    again = FakeChat(dispatcher, "55502", platform=Platform.TELEGRAM)
    assert "iskorišćen" in (await again.send(f"/start {invite.code}")).text


async def test_unknown_command_suggests_the_closest(chat: FakeChat) -> None:
    answer = await chat.send("/hepl")
    assert "/help" in answer.text


async def test_bad_codes_write_nothing(stranger_chat: FakeChat, demo_db: Database) -> None:
    async with demo_db.transaction() as session:
        before = await session.scalar(select(func.count()).select_from(User))
    for text in (
        "/start NOPE",
        "/start " + "x" * 500,
        "/start a b c",
        "/start '; DROP TABLE users;--",
    ):
        answer = await stranger_chat.send(text)
        assert "kod" in answer.text.lower()
    async with demo_db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == before
