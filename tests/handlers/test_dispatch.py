"""The error boundary: bad input gets a clear answer, nothing is written, faults are logged once."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from eudesk.handlers import command_table
from eudesk.handlers.context import Context, HandlerConfig
from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.errors import UsageError
from eudesk.handlers.messages import Incoming, Reply
from eudesk.handlers.router import ANYONE, CommandTable, Router
from eudesk.storage.db import Database
from eudesk.storage.models import AuditEntry, ChatPreference, Deadline, Invite, Platform, User
from tests.handlers.conftest import NOW, FakeChat

WRITABLE = (User, Invite, ChatPreference, Deadline, AuditEntry)


async def _counts(db: Database) -> dict[str, int]:
    async with db.transaction() as session:
        return {
            model.__tablename__: int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
            for model in WRITABLE
        }


BAD_INPUTS = [
    "",
    "   ",
    "/",
    "/nonexistent",
    "/deadlinez week",
    "/help " + "x" * 3000,
    "x" * 20_000,
    "/deadlines " + "9" * 200,
    "'; DROP TABLE users; --",
    "/projects ' OR 1=1 --",
    "<b>bold</b> <script>alert(1)</script>",
    "/start <a href='x'>",
    "\x00\x01\x02",
    "/project A\x00B",
    "/deadlines month \x00Subotica\ud800",
    "/ack G\x00-1",
    "🇷🇸🇭🇺🇪🇺" * 50,
    "ПРОЈЕКТИ" + "ж" * 100,
]


@pytest.mark.parametrize("text", BAD_INPUTS)
async def test_bad_input_is_answered_clearly_and_writes_nothing(
    chat: FakeChat, demo_db: Database, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = await _counts(demo_db)
    with caplog.at_level(logging.WARNING):
        answer = await chat.send(text)
    assert answer.text.strip()
    assert "went wrong" not in answer.text
    assert "greške" not in answer.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert await _counts(demo_db) == before


async def test_a_20000_character_message_is_refused_with_the_limit(chat: FakeChat) -> None:
    answer = await chat.send("rokovi " + "a" * 20_000)
    assert "4000" in answer.text


async def test_unknown_command_gets_the_closest_one(chat: FakeChat) -> None:
    assert "/help" in (await chat.send("/hlep")).text
    assert "/whoami" in (await chat.send("/whoamii")).text


def _crashing_table() -> CommandTable:
    router = Router()

    @router.command("boom", roles=ANYONE)
    async def boom(ctx: Context) -> Reply:
        """/boom: fails"""
        raise RuntimeError("secret internal detail")

    return CommandTable([router])


async def test_a_fault_is_logged_once_with_traceback_and_the_user_gets_a_short_answer(
    demo_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    dispatcher = Dispatcher(demo_db, _crashing_table(), HandlerConfig(), clock=lambda: NOW)
    with caplog.at_level(logging.ERROR):
        reply = await dispatcher.handle(
            Incoming(platform=Platform.CONSOLE, chat_id="c", sender_id="demo", text="/boom")
        )
    assert "secret internal detail" not in reply.plain()
    assert "greške" in reply.plain()  # sr-Latn, the default
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None


async def test_an_unreachable_database_gets_a_clear_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = Database.from_url("postgresql://eudesk:pw@127.0.0.1:1/eudesk")
    try:
        dispatcher = Dispatcher(database, command_table(), HandlerConfig(), clock=lambda: NOW)
        with caplog.at_level(logging.WARNING):
            reply = await dispatcher.handle(
                Incoming(platform=Platform.TELEGRAM, chat_id="1", sender_id="1", text="/help")
            )
    finally:
        await database.dispose()
    assert "nije dostupna" in reply.plain()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "pw@" not in caplog.text


async def test_audit_records_survive_a_refusal_that_rolls_back(demo_db: Database) -> None:
    router = Router()

    @router.command("probe", roles=ANYONE)
    async def probe(ctx: Context) -> Reply:
        """/probe: audits, then refuses"""
        ctx.audit("probe.lookup", allowed=False, target_type="thing", target_ref="X-1")
        raise UsageError()

    dispatcher = Dispatcher(demo_db, CommandTable([router]), HandlerConfig(), clock=lambda: NOW)
    await dispatcher.handle(
        Incoming(platform=Platform.CONSOLE, chat_id="c", sender_id="demo", text="/probe")
    )
    async with demo_db.transaction() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "probe.lookup"))
        demo = await session.scalar(select(User).where(User.name == "demo"))
    assert entry is not None
    assert demo is not None
    assert entry.allowed is False
    assert entry.actor_user_id == demo.id


async def test_a_deactivated_user_is_treated_as_a_stranger(
    staff_chat: FakeChat, demo_db: Database
) -> None:
    assert "Ime" in (await staff_chat.send("/whoami")).text
    async with demo_db.transaction() as session:
        user = await session.scalar(select(User).where(User.name == "demo-staff"))
        assert user is not None
        user.active = False
    assert "/start" in (await staff_chat.send("/whoami")).text


async def test_suggestions_never_name_a_command_hidden_from_the_caller(
    contact_chat: FakeChat, officer_chat: FakeChat
) -> None:
    assert "/passport" not in (await contact_chat.send("/pasport")).text
    assert "/passport" in (await officer_chat.send("/pasport")).text
