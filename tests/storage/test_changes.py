"""Change announcements: heard after a commit, never after a rollback; across connections on PG."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text

from eudesk.storage.changes import MISSED, ChangeListener, announce, announce_for
from eudesk.storage.db import Database
from eudesk.storage.models import Locale, Platform, Subscription, SubscriptionTopic
from eudesk.storage.repositories import Repositories

WAIT = 30.0  # seconds: only keeps a broken test from hanging


class Rollback(Exception):
    """Raised inside a transaction to roll it back."""


class Calls:
    """A listener that counts its calls."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


async def subscribe(db: Database, chat: str, *, fail: bool = False) -> None:
    """A subscription, announced twice in one transaction; `fail` rolls it back."""
    async with db.transaction() as session:
        subscription, _ = await Repositories(session).subscriptions.subscribe(
            platform=Platform.TELEGRAM, chat_id=chat, topic=SubscriptionTopic.CALLS,
            locale=Locale.EN,
        )  # fmt: skip
        await announce(session)
        await announce_for(subscription)
        if fail:
            raise Rollback


async def subscriptions_of(db: Database, chat: str) -> int:
    async with db.transaction() as session:
        query = select(func.count()).where(Subscription.chat_id == chat)
        return int(await session.scalar(query) or 0)


async def test_a_committed_change_calls_the_listener_once_a_rolled_back_one_never(
    db: Database,
) -> None:
    calls = Calls()
    remove = db.on_change(calls)
    with pytest.raises(Rollback):
        await subscribe(db, "9001", fail=True)
    assert calls.count == 0
    assert await subscriptions_of(db, "9001") == 0
    await subscribe(db, "9002")
    assert calls.count == 1  # announced twice, one transaction: one wake
    async with db.transaction() as session:
        await session.execute(text("SELECT 1"))  # nothing announced
    assert calls.count == 1
    remove()
    await subscribe(db, "9003")
    assert calls.count == 1


async def test_a_failing_listener_does_not_undo_the_commit(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("listener bug")

    calls = Calls()
    db.on_change(broken)
    db.on_change(calls)
    await subscribe(db, "9004")
    assert await subscriptions_of(db, "9004") == 1
    assert calls.count == 1  # the next listener still heard it
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info is not None


async def test_announcing_through_a_detached_record_is_refused() -> None:
    with pytest.raises(ValueError, match="not attached"):
        await announce_for(Subscription())


class Heard:
    """What a ChangeListener delivered, in order, with a way to wait for a payload."""

    def __init__(self) -> None:
        self.payloads: list[str] = []
        self._arrived = asyncio.Event()

    def __call__(self, payload: str) -> None:
        self.payloads.append(payload)
        self._arrived.set()

    async def until(self, payload: str) -> None:
        async def arrived() -> None:
            while payload not in self.payloads:
                self._arrived.clear()
                await self._arrived.wait()

        await asyncio.wait_for(arrived(), WAIT)


@pytest.fixture
async def postgres(migrated_database: Database) -> Database:
    if migrated_database.dialect != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    return migrated_database


@pytest.fixture
async def listening(postgres: Database) -> AsyncIterator[tuple[ChangeListener, Heard]]:
    heard = Heard()
    listener = ChangeListener(postgres.url, heard, backoff=(0.05, 0.5))
    await listener.start()
    try:
        yield listener, heard
    finally:
        await listener.stop()
    assert listener.backend_pid is None  # its connection is closed


async def announced_in(database: Database, *, fail: bool = False) -> str:
    """Announce in a transaction of its own; returns the transaction's id (the payload)."""
    txid = ""
    try:
        async with database.transaction() as session:
            txid = str(await session.scalar(text("SELECT txid_current()")))
            await announce(session)
            if fail:
                raise Rollback
    except Rollback:
        pass
    return txid


async def test_a_listener_hears_committed_announcements_only(
    postgres: Database, listening: tuple[ChangeListener, Heard]
) -> None:
    _, heard = listening
    rolled_back = await announced_in(postgres, fail=True)
    committed = await announced_in(postgres)
    await heard.until(committed)
    # The server delivers in commit order: a rolled-back NOTIFY sent anyway would come first.
    assert heard.payloads == [committed]
    assert rolled_back != committed


async def test_a_listener_reconnects_after_its_connection_is_killed(
    postgres: Database, listening: tuple[ChangeListener, Heard]
) -> None:
    listener, heard = listening
    first = listener.backend_pid
    assert first is not None
    async with postgres.transaction() as session:
        await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    await heard.until(MISSED)  # back, and says that it may have missed some
    assert listener.backend_pid not in (None, first)
    committed = await announced_in(postgres)
    await heard.until(committed)
    assert heard.payloads == [MISSED, committed]
