"""A broadcast guideline goes out, stamps its delivery, and is re-sent once N working days later."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from eudesk.handlers.messages import Reply
from eudesk.handlers.notifications import render_notification
from eudesk.schedules.calendar import WorkingCalendar
from eudesk.schedules.guideline_reminders import AckReminderPlanner
from eudesk.schedules.outbox import OutboxDispatcher
from eudesk.schedules.ratelimit import RateLimiter, RateLimits
from eudesk.storage.db import Database
from eudesk.storage.models import (
    Body,
    Contact,
    Guideline,
    GuidelineAudience,
    GuidelineDelivery,
    Locale,
    OutboxEntry,
    OutboxState,
    Platform,
    Subscription,
    SubscriptionTopic,
    User,
)
from eudesk.storage.repositories import Repositories
from eudesk.storage.seed import seed_reference
from tests.conftest import NOW
from tests.databases import throwaway_database
from tests.schedules.senders import RecordingSender

BELGRADE = WorkingCalendar().zone


@dataclass
class _Row:
    """An outbox row as the renderer reads it, in another language."""

    kind: str
    locale: str
    payload: str


CHATS = ["880001", "880002", "880003"]


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BELGRADE).astimezone(UTC)


@pytest.fixture
async def gdb(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A database of its own (the dispatcher sends in concurrent transactions): reference data
    and two contacts each for Subotica and Senta."""
    async with throwaway_database(backend, tmp_path) as database:
        async with database.transaction() as session:
            await seed_reference(session)
            bodies = await session.scalars(
                select(Body).where(Body.name_sr_latn.in_(["Subotica", "Senta"]))
            )
            session.add_all(
                Contact(ref=f"C-{body.code}-{n}", body_id=body.id, name=f"Kontakt {n} {body.code}")
                for body in bodies
                for n in (1, 2)
            )
            session.add(User(name="kontakt"))
        yield database


async def _user_id(db: Database) -> int:
    async with db.transaction() as session:
        found = await session.scalar(select(User.id).where(User.name == "kontakt"))
    assert found is not None
    return found


async def _broadcast_to_subotica_and_senta(db: Database) -> Guideline:
    """A new guideline to the four contacts of Subotica and Senta, three of them with a chat."""
    async with db.transaction() as session:
        guideline = Guideline(
            ref="TEST-GL-ACK", title="Smernica o izveštavanju", summary="Rokovi izveštaja.",
            link=None, audience=GuidelineAudience.BODIES, published_at=NOW,
        )  # fmt: skip
        session.add(guideline)
        await session.flush()
        contacts = list(
            await session.scalars(
                select(Contact)
                .join(Body, Body.id == Contact.body_id)
                .where(Body.name_sr_latn.in_(["Subotica", "Senta"]))
                .order_by(Contact.id)
            )
        )
        assert len(contacts) == 4
        for contact, chat in zip(contacts, CHATS, strict=False):
            contact.telegram_chat_id = chat
        repos = Repositories(session)
        report = await repos.broadcasts.broadcast(guideline, contacts, NOW)
        assert (report.contacts, report.queued - report.subscribers, report.unreachable) == (
            4,
            3,
            1,
        )
        return guideline


def _render(row: OutboxEntry) -> Reply:
    return render_notification(_Row(row.kind, row.locale.value, row.payload))


def _dispatcher(db: Database, sender: RecordingSender, clock: Callable[[], datetime]
                ) -> OutboxDispatcher:  # fmt: skip
    return OutboxDispatcher(
        db, {"telegram": sender}, _render, worker="test", clock=clock,
        limiter=RateLimiter(RateLimits.unlimited()),
    )  # fmt: skip


async def _rows(db: Database, kind: str) -> list[OutboxEntry]:
    async with db.transaction() as session:
        return list(
            await session.scalars(
                select(OutboxEntry).where(OutboxEntry.kind == kind).order_by(OutboxEntry.chat_id)
            )
        )


async def _deliveries(db: Database, guideline_id: int) -> list[GuidelineDelivery]:
    async with db.transaction() as session:
        return list(
            await session.scalars(
                select(GuidelineDelivery)
                .where(GuidelineDelivery.guideline_id == guideline_id)
                .order_by(GuidelineDelivery.contact_id)
            )
        )


def test_working_days_back_skip_weekends_and_holidays() -> None:
    planner = AckReminderPlanner(
        Database.from_url("sqlite://"), calendar=WorkingCalendar(), days=3, clock=lambda: NOW
    )
    # Wednesday 2 December 10:00 is three working days after Friday 27 November 10:00.
    assert planner.sent_before(_local(date(2026, 12, 2), 10)) == _local(date(2026, 11, 27), 10)
    # New Year (Friday 1 and Saturday 2 January) and a Sunday lie between 30 December and
    # Tuesday 5 January: 31 December and Monday 4 January are the working days in between.
    assert planner.sent_before(_local(date(2027, 1, 5), 10)) == _local(date(2026, 12, 30), 10)


async def test_sent_guidelines_are_stamped_and_reminded_once_after_three_working_days(
    gdb: Database,
) -> None:
    guideline = await _broadcast_to_subotica_and_senta(gdb)
    sender = RecordingSender()
    assert await _dispatcher(gdb, sender, lambda: NOW).run_once() == 3
    assert sorted(chat for chat, _ in sender.sent) == CHATS
    first = sender.sent[0][1]
    assert [b.callback for b in first.buttons] == ["/ack TEST-GL-ACK"]
    deliveries = await _deliveries(gdb, guideline.id)
    assert sorted(d.sent_at is not None for d in deliveries) == [False, True, True, True]
    assert {d.sent_at for d in deliveries if d.sent_at} == {NOW}

    # One contact acknowledges; the others are reminded on Wednesday at 09:00, not before.
    user_id = await _user_id(gdb)
    async with gdb.transaction() as session:
        acked_contact = await session.scalar(
            select(Contact.id).where(Contact.telegram_chat_id == CHATS[0])
        )
        assert acked_contact is not None
        await Repositories(session).guidelines.acknowledge(
            guideline.ref, acked_contact, user_id=user_id, now=NOW + timedelta(hours=1)
        )
    wednesday_9 = _local(date(2026, 12, 2), 9)
    clock = [wednesday_9 - timedelta(minutes=1)]
    planner = AckReminderPlanner(gdb, calendar=WorkingCalendar(), days=3, clock=lambda: clock[0])
    assert await planner.plan_once() == 0
    clock[0] = wednesday_9
    assert await planner.plan_once() == 2
    assert await planner.plan_once() == 0  # once, however often it runs
    reminders = await _rows(gdb, "guideline_reminder")
    assert [r.chat_id for r in reminders] == CHATS[1:]
    assert {r.due_at for r in reminders} == {wednesday_9}
    reminded = [d for d in await _deliveries(gdb, guideline.id) if d.reminded_at]
    assert len(reminded) == 2

    reply = _render(reminders[0])
    assert reply.title == "Podsetnik: potvrdite prijem smernice TEST-GL-ACK"
    assert [b.callback for b in reply.buttons] == ["/ack TEST-GL-ACK"]


async def test_a_weekend_reminder_waits_for_monday_and_an_ack_cancels_it(
    gdb: Database,
) -> None:
    guideline = await _broadcast_to_subotica_and_senta(gdb)
    await _dispatcher(gdb, RecordingSender(), lambda: NOW).run_once()
    saturday = _local(date(2026, 12, 5), 11)
    planner = AckReminderPlanner(gdb, calendar=WorkingCalendar(), days=3, clock=lambda: saturday)
    assert await planner.plan_once() == 3
    reminders = await _rows(gdb, "guideline_reminder")
    assert {r.due_at for r in reminders} == {_local(date(2026, 12, 7), 8)}  # Monday 08:00

    user_id = await _user_id(gdb)
    async with gdb.transaction() as session:
        contact_id = await session.scalar(
            select(Contact.id).where(Contact.telegram_chat_id == CHATS[1])
        )
        assert contact_id is not None
        await Repositories(session).guidelines.acknowledge(
            guideline.ref, contact_id, user_id=user_id, now=saturday
        )
    states = {r.chat_id: r.state for r in await _rows(gdb, "guideline_reminder")}
    assert states == {
        CHATS[0]: OutboxState.PENDING,
        CHATS[1]: OutboxState.CANCELLED,
        CHATS[2]: OutboxState.PENDING,
    }


async def test_unsent_and_unreachable_deliveries_are_not_reminded(gdb: Database) -> None:
    guideline = await _broadcast_to_subotica_and_senta(gdb)
    # Nothing was sent (no dispatcher ran): no delivery is stamped, so nobody is reminded.
    later = _local(date(2026, 12, 10), 10)
    planner = AckReminderPlanner(gdb, calendar=WorkingCalendar(), days=3, clock=lambda: later)
    assert await planner.plan_once() == 0
    # A contact stamped as sent but without any chat cannot be reminded either.
    async with gdb.transaction() as session:
        await session.execute(
            update(GuidelineDelivery)
            .where(GuidelineDelivery.guideline_id == guideline.id)
            .values(sent_at=NOW)
        )
        await session.execute(
            update(Contact)
            .where(Contact.telegram_chat_id.in_(CHATS))
            .values(telegram_chat_id=None, active=False)
        )
    assert await planner.plan_once() == 0


async def test_guideline_subscribers_get_a_copy_without_the_button(gdb: Database) -> None:
    async with gdb.transaction() as session:
        session.add_all([
            Subscription(platform=Platform.TELEGRAM, chat_id="770001",
                         topic=SubscriptionTopic.GUIDELINES, locale=Locale.EN),
            # The chat of a contact who gets the guideline anyway: no second copy.
            Subscription(platform=Platform.TELEGRAM, chat_id=CHATS[0],
                         topic=SubscriptionTopic.GUIDELINES, locale=Locale.SR_LATN),
        ])  # fmt: skip
    await _broadcast_to_subotica_and_senta(gdb)
    rows = await _rows(gdb, "guideline")
    assert [r.chat_id for r in rows] == sorted([*CHATS, "770001"])
    copy = next(r for r in rows if r.chat_id == "770001")
    reply = _render(copy)
    assert reply.title == "New guideline TEST-GL-ACK"
    assert reply.buttons == []
    assert reply.footer == "Subscriptions: /subscriptions"


async def test_the_guideline_notification_in_every_language(gdb: Database) -> None:
    await _broadcast_to_subotica_and_senta(gdb)
    row = (await _rows(gdb, "guideline"))[0]
    expected = {
        Locale.SR_LATN: ("Nova smernica TEST-GL-ACK", "Potvrdi prijem TEST-GL-ACK", "27.11.2026"),
        Locale.SR_CYRL: ("Нова смерница TEST-GL-ACK", "Потврди пријем TEST-GL-ACK", "27.11.2026"),
        Locale.HU: ("Új irányelv: TEST-GL-ACK", "Átvétel nyugtázása: TEST-GL-ACK", "2026."),
        Locale.EN: ("New guideline TEST-GL-ACK", "Acknowledge TEST-GL-ACK", "2026"),
    }
    for locale, (title, button, day) in expected.items():
        reply = render_notification(_Row(row.kind, locale.value, row.payload))
        assert reply.title == title
        assert [b.label for b in reply.buttons] == [button]
        assert day in reply.fields[0][1]
        assert "Smernica o izveštavanju" in reply.lines[0]


async def test_outbox_counts_after_a_broadcast(gdb: Database) -> None:
    guideline = await _broadcast_to_subotica_and_senta(gdb)
    async with gdb.transaction() as session:
        again = await Repositories(session).broadcasts.broadcast(
            guideline,
            list(await session.scalars(select(Contact).where(Contact.telegram_chat_id.in_(CHATS)))),
            NOW,
        )
        total = await session.scalar(select(func.count()).select_from(OutboxEntry))
    assert (again.queued, again.already) == (0, 3)
    assert total == 3
