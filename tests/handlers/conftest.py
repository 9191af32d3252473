"""A conversation harness: the real dispatcher on a seeded database, at a fixed moment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from eudesk.handlers import command_table
from eudesk.handlers.context import HandlerConfig
from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.messages import Incoming, Reply
from eudesk.storage.db import Database
from eudesk.storage.migrate import upgrade
from eudesk.storage.models import Platform
from eudesk.storage.seed import seed_demo, seed_reference
from tests.databases import discard_database, new_database_url

TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 09:00 in Belgrade, a Friday


@pytest.fixture(scope="session")
async def seeded_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """Reference and demo data (scale 1, relative to TODAY), once per backend."""
    url = await new_database_url(backend, tmp_path_factory.mktemp("seeded"))
    database = Database.from_url(url)
    try:
        await upgrade(database)
        async with database.transaction() as session:
            await seed_reference(session)
        await seed_demo(database, scale=1, today=TODAY)
        yield database
    finally:
        await database.dispose()
        await discard_database(backend, url)


@pytest.fixture
async def demo_db(seeded_database: Database) -> AsyncIterator[Database]:
    """The seeded database inside a transaction that each test rolls back."""
    engine = seeded_database.bind
    async with engine.connect() as connection:  # type: ignore[union-attr]
        outer = await connection.begin()
        yield Database(connection)
        await outer.rollback()


@pytest.fixture
def dispatcher(demo_db: Database) -> Dispatcher:
    return Dispatcher(demo_db, command_table(), HandlerConfig(), clock=lambda: NOW)


@dataclass
class Answer:
    """What the user saw: the reply and its plain text."""

    reply: Reply

    @property
    def text(self) -> str:
        return self.reply.plain()


class FakeChat:
    """A person typing to eudesk on one platform, as one identity."""

    def __init__(self, dispatcher: Dispatcher, sender: str,
                 platform: Platform = Platform.CONSOLE) -> None:  # fmt: skip
        self.dispatcher = dispatcher
        self.sender = sender
        self.platform = platform

    async def send(self, text: str) -> Answer:
        incoming = Incoming(
            platform=self.platform,
            chat_id=f"chat-{self.sender}",
            sender_id=self.sender,
            sender_name=self.sender,
            text=text,
        )
        return Answer(await self.dispatcher.handle(incoming))

    async def press(self, callback: str) -> Answer:
        incoming = Incoming(
            platform=self.platform,
            chat_id=f"chat-{self.sender}",
            sender_id=self.sender,
            text=callback,
            is_callback=True,
        )
        return Answer(await self.dispatcher.handle(incoming))


@pytest.fixture
def chat(dispatcher: Dispatcher) -> FakeChat:
    """The demo coordinator (roles coordinator + staff)."""
    return FakeChat(dispatcher, "demo")


@pytest.fixture
def staff_chat(dispatcher: Dispatcher) -> FakeChat:
    return FakeChat(dispatcher, "demo-staff")


@pytest.fixture
def officer_chat(dispatcher: Dispatcher) -> FakeChat:
    return FakeChat(dispatcher, "demo-officer")


@pytest.fixture
def admin_chat(dispatcher: Dispatcher) -> FakeChat:
    return FakeChat(dispatcher, "demo-admin")


@pytest.fixture
def contact_chat(dispatcher: Dispatcher) -> FakeChat:
    return FakeChat(dispatcher, "demo-contact")


@pytest.fixture
def stranger_chat(dispatcher: Dispatcher) -> FakeChat:
    return FakeChat(dispatcher, "987654321", platform=Platform.TELEGRAM)
