"""The outbox: claims, leases, the reaper, retries, dead rows, and dispatchers sharing the work."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from eudesk.handlers.messages import Reply
from eudesk.schedules.delivery import RateLimited, TransportError
from eudesk.schedules.outbox import OutboxDispatcher
from eudesk.schedules.ratelimit import RateLimiter, RateLimits
from eudesk.storage.db import Database
from eudesk.storage.models import Body, BodyKind, Contact, OutboxEntry, OutboxState, Platform
from eudesk.storage.repositories.outbox import OutboxRepository
from tests.databases import throwaway_database
from tests.schedules.senders import RecordingSender, unavailable

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


class Clock:
    """The dispatcher's clock, which tests move forward instead of sleeping."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(scope="module")
async def outbox_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """A throwaway database of our own: the dispatchers here claim every due row they see."""
    async with throwaway_database(backend, tmp_path_factory.mktemp("outbox")) as database:
        yield database


@pytest.fixture
async def database(outbox_database: Database) -> AsyncIterator[Database]:
    yield outbox_database
    async with outbox_database.transaction() as session:
        await session.execute(delete(OutboxEntry))
        await session.execute(delete(Contact))
        await session.execute(delete(Body))


async def add_rows(
    db: Database,
    chats: list[str],
    *,
    due: datetime = NOW - timedelta(minutes=1),
    contact_id: int | None = None,
) -> list[int]:
    """One row per chat in the list (a chat may repeat), due one second apart, in list order."""
    rows = [
        OutboxEntry(
            dedupe_key=f"test:{uuid.uuid4().hex}",
            platform=Platform.TELEGRAM,
            chat_id=chat,
            contact_id=contact_id,
            kind="reminder",
            payload=f"{chat}#{n}",
            due_at=due + timedelta(seconds=n),
        )
        for n, chat in enumerate(chats)
    ]
    async with db.transaction() as session:
        session.add_all(rows)
    return [row.id for row in rows]


async def add_contact(db: Database) -> int:
    async with db.transaction() as session:
        body = Body(code="T-1", kind=BodyKind.CITY, name_sr_latn="T", name_sr_cyrl="Т", name_en="T")
        session.add(body)
        await session.flush()
        contact = Contact(ref="C-1", body_id=body.id, name="Ana", telegram_chat_id="501")
        session.add(contact)
    return contact.id


async def rows_by_id(db: Database) -> dict[int, OutboxEntry]:
    async with db.transaction() as session:
        return {row.id: row for row in await session.scalars(select(OutboxEntry))}


def render(entry: OutboxEntry) -> Reply:
    return Reply.text(entry.payload)


def dispatcher(
    db: Database, sender: RecordingSender, clock: Clock, *, worker: str = "w1", batch: int = 100
) -> OutboxDispatcher:
    return OutboxDispatcher(
        db,
        {"telegram": sender},
        render,
        worker=worker,
        batch=batch,
        limiter=RateLimiter(RateLimits.unlimited()),
        clock=clock,
        rng=random.Random(5),
    )


async def test_claim_leases_due_rows_oldest_first(database: Database) -> None:
    later = await add_rows(database, ["1"], due=NOW + timedelta(minutes=5))
    ids = await add_rows(database, ["2", "3"], due=NOW - timedelta(minutes=1))
    async with database.transaction() as session:
        claimed = await OutboxRepository(session).claim(NOW, "w1", 10, LEASE)
    assert [e.id for e in claimed] == ids
    rows = await rows_by_id(database)
    assert {rows[i].state for i in ids} == {OutboxState.LEASED}
    assert {(rows[i].leased_by, rows[i].lease_until) for i in ids} == {("w1", NOW + LEASE)}
    assert rows[later[0]].state == OutboxState.PENDING
    async with database.transaction() as session:
        assert await OutboxRepository(session).claim(NOW, "w2", 10, LEASE) == []


async def test_a_chat_is_served_by_one_worker_at_a_time(database: Database) -> None:
    ids = await add_rows(database, ["1", "1", "1", "2"], due=NOW - timedelta(minutes=1))
    async with database.transaction() as session:
        first = await OutboxRepository(session).claim(NOW, "w1", 10, LEASE, per_chat=2)
    assert [e.id for e in first] == [ids[0], ids[1], ids[3]]
    async with database.transaction() as session:  # chat 1 is still leased to w1
        assert await OutboxRepository(session).claim(NOW, "w2", 10, LEASE) == []


async def test_reaper_returns_expired_leases(database: Database) -> None:
    ids = await add_rows(database, ["1", "2"])
    async with database.transaction() as session:
        assert len(await OutboxRepository(session).claim(NOW, "w1", 10, LEASE)) == 2
    async with database.transaction() as session:
        assert await OutboxRepository(session).reap(NOW + LEASE - timedelta(seconds=1)) == 0
        assert await OutboxRepository(session).reap(NOW + LEASE + timedelta(seconds=1)) == 2
    rows = await rows_by_id(database)
    assert {(rows[i].state, rows[i].leased_by) for i in ids} == {(OutboxState.PENDING, None)}
    async with database.transaction() as session:
        again = await OutboxRepository(session).claim(NOW + LEASE, "w2", 10, LEASE)
    assert [e.id for e in again] == ids


async def test_status_lists_dead_rows_and_retry_revives_them(database: Database) -> None:
    ids = await add_rows(database, ["1", "2", "3"], due=NOW - timedelta(hours=1))
    async with database.transaction() as session:
        repo = OutboxRepository(session)
        await repo.claim(NOW, "w1", 2, LEASE)
        await repo.mark_sent(ids[0], "m1", NOW)
        await repo.mark_dead(ids[1], "chat 2 unavailable")
    async with database.transaction() as session:
        status = await OutboxRepository(session).status()
    assert status.counts[OutboxState.SENT] == status.counts[OutboxState.DEAD] == 1
    assert status.counts[OutboxState.PENDING] == 1
    assert status.oldest_pending == NOW - timedelta(hours=1) + timedelta(seconds=2)
    assert [(d.id, d.last_error, d.attempts) for d in status.dead] == [
        (ids[1], "chat 2 unavailable", 1)
    ]
    async with database.transaction() as session:
        assert await OutboxRepository(session).retry([ids[0]], now=NOW) == 0  # sent: untouched
        assert await OutboxRepository(session).retry(all_dead=True, now=NOW) == 1
    row = (await rows_by_id(database))[ids[1]]
    assert (row.state, row.attempts, row.due_at) == (OutboxState.PENDING, 0, NOW)


async def test_a_row_is_sent_once_and_recorded_with_its_message_id(database: Database) -> None:
    (row_id,) = await add_rows(database, ["7"])
    sender, clock = RecordingSender(), Clock()
    worker = dispatcher(database, sender, clock)
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    assert sender.texts("7") == ["7#0"]
    row = (await rows_by_id(database))[row_id]
    assert (row.state, row.message_id, row.sent_at, row.leased_by) == (
        OutboxState.SENT,
        "m1",
        NOW,
        None,
    )


async def test_rate_limited_waits_retry_after_without_counting_an_attempt(
    database: Database,
) -> None:
    first, second = await add_rows(database, ["7", "7"])
    clock = Clock()
    sender = RecordingSender(clock=clock)
    sender.fail_next(RateLimited("telegram", 12))
    worker = dispatcher(database, sender, clock)
    assert await worker.run_once() == 2
    rows = await rows_by_id(database)
    assert (rows[first].state, rows[first].attempts) == (OutboxState.PENDING, 0)
    assert rows[first].due_at == NOW + timedelta(seconds=12)
    assert rows[second].due_at > rows[first].due_at  # waits behind the first, in order
    clock.advance(11)
    assert await worker.run_once() == 0
    clock.advance(2)
    assert await worker.run_once() == 2
    assert sender.texts("7") == ["7#0", "7#1"]
    assert sender.too_early == 0


async def test_errors_back_off_exponentially_then_the_row_is_dead(database: Database) -> None:
    (row_id,) = await add_rows(database, ["7"])
    clock = Clock()
    sender = RecordingSender()
    sender.fail_chat("7", TransportError("telegram", "502 Bad Gateway"))
    worker = dispatcher(database, sender, clock)
    for attempt in range(1, worker.max_attempts):
        assert await worker.run_once() == 1
        row = (await rows_by_id(database))[row_id]
        assert (row.state, row.attempts) == (OutboxState.PENDING, attempt)
        delay = (row.due_at - clock.now).total_seconds()
        assert 0 <= delay <= min(3600, 5 * 2 ** (attempt - 1))
        clock.now = row.due_at
    assert await worker.run_once() == 1
    row = (await rows_by_id(database))[row_id]
    assert (row.state, row.attempts) == (OutboxState.DEAD, worker.max_attempts)
    assert row.last_error == "attempt 8: telegram: 502 Bad Gateway"
    clock.advance(86400)
    assert await worker.run_once() == 0
    assert sender.attempts == worker.max_attempts


async def test_each_failed_attempt_is_one_warning_an_operator_sees_at_info(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    (row_id,) = await add_rows(database, ["7"])
    clock = Clock()
    sender = RecordingSender()
    sender.fail_chat("7", TransportError("telegram", "502 Bad Gateway"))
    worker = dispatcher(database, sender, clock)
    with caplog.at_level(logging.INFO, logger="eudesk.schedules.outbox"):
        assert await worker.run_once() == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"outbox: row {row_id} failed (attempt 1 of 8), again at ")
    assert warnings[0].endswith("telegram: 502 Bad Gateway")


async def test_a_blocked_chat_deactivates_its_contact_and_stops(database: Database) -> None:
    contact_id = await add_contact(database)
    blocked = await add_rows(database, ["501", "501"], contact_id=contact_id)
    later = await add_rows(database, ["501"], due=NOW + timedelta(days=1), contact_id=contact_id)
    other = await add_rows(database, ["502"])
    clock = Clock()
    sender = RecordingSender()
    sender.fail_chat("501", unavailable("501"))
    worker = dispatcher(database, sender, clock)
    assert await worker.run_once() == 3
    rows = await rows_by_id(database)
    assert rows[blocked[0]].state == OutboxState.DEAD
    assert "blocked" in (rows[blocked[0]].last_error or "")
    assert {rows[i].state for i in [blocked[1], *later]} == {OutboxState.CANCELLED}
    assert rows[other[0]].state == OutboxState.SENT
    async with database.transaction() as session:
        assert await session.scalar(select(Contact.active).where(Contact.id == contact_id)) is False
    clock.advance(2 * 86400)
    assert await worker.run_once() == 0
    assert sender.attempts == 2


async def test_each_chat_receives_its_messages_in_due_order(database: Database) -> None:
    # Planned in reverse, so ids run against due order, which is what counts.
    rows = [
        OutboxEntry(
            dedupe_key=f"order:{chat}:{n}",
            platform=Platform.TELEGRAM,
            chat_id=chat,
            kind="reminder",
            payload=f"{chat}#{n}",
            due_at=NOW + timedelta(seconds=10 * n),
        )
        for n in reversed(range(6))
        for chat in ("7", "8")
    ]
    async with database.transaction() as session:
        session.add_all(rows)
    clock = Clock(NOW + timedelta(minutes=5))
    sender = RecordingSender(clock=clock)
    # The first sends of both chats fail: the rest of each chat waits behind the failed row.
    sender.fail_next(TransportError("telegram", "timeout"), RateLimited("telegram", 3))
    worker = dispatcher(database, sender, clock, batch=5)
    await drain(database, [worker], clock)
    for chat in ("7", "8"):
        assert sender.texts(chat) == [f"{chat}#{n}" for n in range(6)]
    assert sender.too_early == 0


async def drain(db: Database, workers: list[OutboxDispatcher], clock: Clock) -> None:
    """Run the workers until nothing is pending, moving the clock to the next due row."""
    for _ in range(1000):  # a bound, so a bug fails the test instead of hanging it
        claimed = await asyncio.gather(*(w.run_once() for w in workers))
        if sum(claimed):
            continue
        async with db.transaction() as session:
            next_due = await session.scalar(
                select(OutboxEntry.due_at)
                .where(OutboxEntry.state == OutboxState.PENDING)
                .order_by(OutboxEntry.due_at)
                .limit(1)
            )
        if next_due is None:
            return
        clock.now = max(clock.now, next_due)
    pytest.fail("the outbox did not drain")


async def test_three_dispatchers_deliver_every_row_exactly_once_and_share(
    database: Database, tmp_path: Path
) -> None:
    chats = [str(1000 + n % 30) for n in range(300)]
    await add_rows(database, chats)
    clock = Clock(NOW + timedelta(minutes=10))
    sender = RecordingSender()
    engines = [Database.from_url(database.url) for _ in range(3)]
    try:
        workers = [
            dispatcher(db, sender, clock, worker=f"w{n}", batch=20) for n, db in enumerate(engines)
        ]
        await drain(database, workers, clock)
    finally:
        for db in engines:
            await db.dispose()
    assert sorted(reply.plain() for _, reply in sender.sent) == sorted(
        f"{chat}#{n}" for n, chat in enumerate(chats)
    )
    assert all(w.sent > 0 for w in workers), [w.sent for w in workers]
    for chat in set(chats):
        numbers = [int(text.split("#")[1]) for text in sender.texts(chat)]
        assert numbers == sorted(numbers)
    async with database.transaction() as session:
        sent = await session.scalar(
            select(func.count()).where(OutboxEntry.state == OutboxState.SENT)
        )
    assert sent == 300


async def test_a_flaky_platform_still_gets_everything_with_retry_after_honoured(
    database: Database,
) -> None:
    chats = [str(2000 + n % 60) for n in range(300)]
    await add_rows(database, chats)
    clock = Clock(NOW + timedelta(minutes=10))
    sender = RecordingSender(clock=clock)
    sender.flaky(random.Random(20), 0.2)
    worker = dispatcher(database, sender, clock, batch=50)
    await drain(database, [worker], clock)
    assert sorted(reply.plain() for _, reply in sender.sent) == sorted(
        f"{chat}#{n}" for n, chat in enumerate(chats)
    )
    assert sender.attempts > 300  # failures happened, and were retried
    assert sender.too_early == 0
    for chat in set(chats):
        numbers = [int(text.split("#")[1]) for text in sender.texts(chat)]
        assert numbers == sorted(numbers)


async def test_run_forever_reaps_a_dead_workers_leases_and_stops_when_told(
    database: Database,
) -> None:
    ids = await add_rows(database, ["7", "8", "9"])
    async with database.transaction() as session:  # a worker that claimed, then died
        ghost = await OutboxRepository(session).claim(NOW - LEASE / 2, "ghost", 2, LEASE)
    assert len(ghost) == 2
    clock = Clock(NOW + LEASE)  # the ghost's lease ran out half a minute ago
    sender = RecordingSender()
    worker = dispatcher(database, sender, clock)
    worker.idle = 0.01
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop))
    for _ in range(500):  # a bound on the wait, not an assertion about time
        if len(sender.sent) == len(ids):
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    rows = await rows_by_id(database)
    assert {rows[i].state for i in ids} == {OutboxState.SENT}
    assert sorted(reply.plain() for _, reply in sender.sent) == ["7#0", "8#1", "9#2"]


async def test_a_row_that_cannot_be_rendered_is_dead_and_the_chat_goes_on(
    database: Database,
) -> None:
    bad, good = await add_rows(database, ["7", "7"])

    def fussy(entry: OutboxEntry) -> Reply:
        if entry.id == bad:
            raise KeyError("deadline")
        return render(entry)

    sender = RecordingSender()
    worker = dispatcher(database, sender, Clock())
    worker.render = fussy
    assert await worker.run_once() == 2
    rows = await rows_by_id(database)
    assert rows[bad].state == OutboxState.DEAD
    assert rows[bad].last_error == "render: KeyError('deadline')"
    assert rows[good].state == OutboxState.SENT
