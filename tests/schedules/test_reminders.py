"""The reminder service end to end: a subscription becomes a message at a recording sender."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from eudesk.schedules.reminders import ReminderService
from eudesk.storage.db import Database
from eudesk.storage.models import (
    Locale,
    OutboxEntry,
    OutboxState,
    Platform,
    SubscriptionTopic,
)
from eudesk.storage.repositories import Repositories
from tests.databases import throwaway_database
from tests.schedules.senders import RecordingSender

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # Friday 09:00 in Belgrade: inside office hours


@pytest.fixture
async def database(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    """Demo data in a database of its own: the service commits and sends for real."""
    async with throwaway_database(backend, tmp_path, demo_today=date(2026, 11, 27)) as db:
        yield db


async def test_a_subscription_to_calls_is_reminded_in_its_language(database: Database) -> None:
    async with database.transaction() as session:
        await Repositories(session).subscriptions.subscribe(
            platform=Platform.TELEGRAM, chat_id="4242", topic=SubscriptionTopic.CALLS,
            locale=Locale.EN,
        )  # fmt: skip
    sender = RecordingSender()
    service = ReminderService(
        database, {"telegram": sender}, zone=ZoneInfo("Europe/Belgrade"), clock=lambda: NOW
    )
    await service.start()
    try:
        async with asyncio.timeout(20):
            while not sender.sent:  # noqa: ASYNC110 - polls our own recorder, bounded
                await asyncio.sleep(0.05)
    finally:
        await service.stop()
    chat, reply = sender.sent[0]
    assert chat == "4242"
    assert reply.title is not None
    assert reply.title.startswith("Reminder: deadline")
    assert "Call for proposals" in reply.plain()
    async with database.transaction() as session:
        sent = (
            await session.scalars(select(OutboxEntry).where(OutboxEntry.state == OutboxState.SENT))
        ).all()
    assert sent
    assert all(row.message_id for row in sent)
    assert all(row.due_at <= NOW for row in sent)  # nothing was sent ahead of its time
