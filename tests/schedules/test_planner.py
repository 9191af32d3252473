"""The planner: each reminder once, however often and on however many instances it runs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from eudesk.schedules.calendar import WorkingCalendar
from eudesk.schedules.planner import Planner, calendar_place, leads_to_plan, no_calendar
from eudesk.storage.db import Database
from eudesk.storage.leads import format_tokens, from_minutes, parse_tokens
from eudesk.storage.migrate import upgrade
from eudesk.storage.models import (
    Body,
    BodyKind,
    Chapter,
    Cluster,
    Deadline,
    DeadlineBody,
    DeadlineKind,
    DeadlineStatus,
    Meeting,
    MeetingStatus,
    OutboxEntry,
    OutboxState,
    Platform,
    Programme,
    Project,
    ProjectStatus,
    Subscription,
    SubscriptionTopic,
)
from eudesk.storage.repositories.deadlines import DeadlineRepository
from eudesk.storage.repositories.subscriptions import default_leads, subscription_leads
from tests.databases import discard_database, new_database_url

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
T = SubscriptionTopic


async def add(db: Database, *rows: Any) -> None:
    async with db.transaction() as session:
        for row in rows:
            session.add(row)
            await session.flush()


async def world(db: Database) -> None:
    """Two programmes, a project of the first, a body, cluster 2 with chapters 23 and 24."""
    await add(
        db,
        Programme(id=1, code="HUSRB", name="Interreg HU-SRB", kind="Interreg"),
        Programme(id=2, code="IPA3", name="IPA III", kind="IPA"),
        Project(
            id=1,
            code="HUSRB/2301/11",
            acronym="DANUBIKE",
            title="Bike",
            programme_id=1,
            status=ProjectStatus.ONGOING,
        ),
        Body(
            id=1,
            code="NS",
            kind=BodyKind.CITY,
            name_sr_latn="Novi Sad",
            name_sr_cyrl="Нови Сад",
            name_en="Novi Sad",
        ),
        Cluster(number=2, name_en="Internal market", name_sr_latn="Unutrašnje tržište"),
        Chapter(
            number=23,
            cluster_number=2,
            title_en="Judiciary",
            title_sr_latn="Pravosuđe",
            status="open",
        ),
        Chapter(
            number=24, cluster_number=2, title_en="Justice", title_sr_latn="Pravda", status="open"
        ),
    )


def deadline(ident: int, due: datetime, **kw: Any) -> Deadline:
    kw.setdefault("project_id", 1)
    kw.setdefault("kind", DeadlineKind.REPORT)
    return Deadline(id=ident, ref=f"D{ident}", title=f"Report {ident}", due_at=due, **kw)


def meeting(ident: int, starts: datetime, **kw: Any) -> Meeting:
    return Meeting(id=ident, ref=f"M{ident}", title=f"Meeting {ident}", starts_at=starts,
                   ends_at=starts + timedelta(hours=2), place="Beograd", **kw)  # fmt: skip


def minutes(text: str) -> str:
    """Leads written as minutes ("60,1440"), as stored tokens ("1d,1h")."""
    return format_tokens(from_minutes(int(m)) for m in text.split(","))


def sub(ident: int, topic: T, key: str = "", leads: str | None = None) -> Subscription:
    """A subscription; `leads` in minutes, as these tests were written."""
    stored = minutes(leads) if leads else default_leads(topic)
    return Subscription(id=ident, platform=Platform.TELEGRAM, chat_id=f"chat{ident}", topic=topic,
                        topic_key=key, leads=stored)  # fmt: skip


def planner(db: Database, now: datetime = NOW, **kw: Any) -> Planner:
    return Planner(db, clock=lambda: now, **kw)


async def outbox(db: Database) -> list[OutboxEntry]:
    async with db.transaction() as session:
        return list(await session.scalars(select(OutboxEntry).order_by(OutboxEntry.dedupe_key)))


def snapshot(rows: list[OutboxEntry]) -> list[tuple[Any, ...]]:
    return [(row.id, row.dedupe_key, row.due_at, row.state, row.payload) for row in rows]


def keys(rows: list[OutboxEntry], state: OutboxState = OutboxState.PENDING) -> set[str]:
    return {row.dedupe_key for row in rows if row.state == state}


async def test_plans_each_lead_once_with_what_a_renderer_needs(db: Database) -> None:
    await world(db)
    await add(db, deadline(1, NOW + 20 * DAY), sub(1, T.PROJECT_DEADLINES, "HUSRB/2301/11"))
    report = await planner(db).plan_once()
    assert (report.created, report.cancelled) == (3, 0)
    rows = await outbox(db)
    assert keys(rows) == {f"1:deadline:1:{lead}:1" for lead in (20160, 4320, 1440)}
    assert {row.due_at for row in rows} == {NOW + 6 * DAY, NOW + 17 * DAY, NOW + 19 * DAY}
    data = json.loads(rows[0].payload)
    assert data == {
        "item_type": "deadline", "item_id": 1, "ref": "D1", "title": "Report 1",
        "kind": "report", "due_at": "2026-12-17T08:00:00+00:00", "project_code": "HUSRB/2301/11",
        "project_acronym": "DANUBIKE", "programme_code": "HUSRB",
        "programme_name": "Interreg HU-SRB", "lead": "1d",
    }  # fmt: skip
    assert (rows[0].chat_id, rows[0].kind, rows[0].item_version) == ("chat1", "reminder", 1)
    assert (await planner(db).plan_once()).created == 0
    assert snapshot(await outbox(db)) == snapshot(rows)


async def test_topics_match_their_items(db: Database) -> None:
    await world(db)
    due = NOW + 2 * DAY
    await add(
        db,
        deadline(1, due),  # project HUSRB/2301/11, programme HUSRB through the project
        deadline(2, due, project_id=None, programme_id=2, kind=DeadlineKind.CALL),
        deadline(3, due, status=DeadlineStatus.DONE),
        deadline(4, NOW - DAY),
        DeadlineBody(deadline_id=2, body_id=1),
        meeting(1, NOW + 3 * DAY, chapter_number=23),  # cluster 2 through its chapter
        meeting(2, NOW + 3 * DAY, cluster_number=2),
        meeting(3, NOW + 3 * DAY, chapter_number=23, status=MeetingStatus.CANCELLED),
        sub(1, T.BODY_DEADLINES, "NS", "60"),
        sub(2, T.PROJECT_DEADLINES, "HUSRB/2301/11", "60"),
        sub(3, T.PROGRAMME_DEADLINES, "HUSRB", "60"),
        sub(4, T.PROGRAMME_DEADLINES, "IPA3", "60"),
        sub(5, T.CALLS, "", "60"),
        sub(6, T.CHAPTER_MEETINGS, "023"),
        sub(7, T.CLUSTER_MEETINGS, "2"),
        sub(8, T.PROJECT_DEADLINES, "NOPE", "60"),
    )
    await planner(db).plan_once()
    rows = await outbox(db)
    assert keys(rows) == {
        "1:deadline:2:60:1", "2:deadline:1:60:1", "3:deadline:1:60:1", "4:deadline:2:60:1",
        "5:deadline:2:60:1", "6:meeting:1:120:1", "7:meeting:1:120:1", "7:meeting:2:120:1",
    }  # fmt: skip
    meeting_row = next(row for row in rows if row.dedupe_key == "6:meeting:1:120:1")
    assert meeting_row.due_at == NOW + 3 * DAY - timedelta(hours=2)
    data = json.loads(meeting_row.payload)
    assert (data["place"], data["chapter_number"], data["cluster_number"]) == ("Beograd", 23, 2)


def test_leads_parse_and_missed_leads_collapse() -> None:
    default = parse_tokens("14d,3d,1d")
    assert subscription_leads("1d, 14d,x,-5,0,3d", T.CALLS) == default
    assert subscription_leads("", T.CHAPTER_MEETINGS) == parse_tokens("2h")
    assert subscription_leads("nonsense", T.CALLS) == default
    moment = NOW + 2 * DAY
    fires = {lead: moment - lead.nominal for lead in default}
    assert [x.token for x in leads_to_plan(fires, NOW)] == ["1d", "3d"]
    assert [x.token for x in leads_to_plan(fires, NOW + 1.5 * DAY)] == ["1d"]
    assert no_calendar(NOW - DAY, sub(1, T.CALLS), NOW, moment) == NOW


async def test_moved_deadline_replans(db: Database) -> None:
    await world(db)
    await add(db, deadline(1, NOW + 10 * DAY), sub(1, T.PROJECT_DEADLINES, "HUSRB/2301/11"))
    await planner(db).plan_once()
    async with db.transaction() as session:
        await DeadlineRepository(session).move(1, NOW + 12 * DAY)
    report = await planner(db).plan_once()
    rows = await outbox(db)
    old = {"1:deadline:1:4320:1", "1:deadline:1:1440:1", "1:deadline:1:20160:1"}
    assert keys(rows, OutboxState.CANCELLED) == old
    assert keys(rows) == {"1:deadline:1:4320:2", "1:deadline:1:1440:2", "1:deadline:1:20160:2"}
    assert (report.cancelled, report.created) == (3, 3)
    assert (await planner(db).plan_once()).created == 0


async def test_cancelled_deadline_cancels_pending_and_notices_the_reminded(db: Database) -> None:
    await world(db)
    await add(
        db,
        deadline(1, NOW + 10 * DAY),
        sub(1, T.PROJECT_DEADLINES, "HUSRB/2301/11"),
        sub(2, T.PROGRAMME_DEADLINES, "HUSRB"),
    )
    await planner(db).plan_once()
    async with db.transaction() as session:  # subscription 1 got its 14-day reminder
        await session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.dedupe_key == "1:deadline:1:20160:1")
            .values(state=OutboxState.SENT, sent_at=NOW)
        )
        await session.execute(
            update(Deadline).where(Deadline.id == 1).values(status=DeadlineStatus.CANCELLED)
        )
    later = NOW + timedelta(hours=1)
    report = await planner(db, later).plan_once()
    assert (report.cancelled, report.notices, report.created) == (5, 1, 0)
    rows = await outbox(db)
    assert keys(rows) == {"1:deadline:1:cancel"}
    notice = next(row for row in rows if row.kind == "cancellation")
    assert (notice.chat_id, notice.due_at) == ("chat1", later)
    assert json.loads(notice.payload)["title"] == "Report 1"
    assert (await planner(db, later).plan_once()).notices == 0


async def test_after_downtime_only_the_latest_missed_lead_is_sent(db: Database) -> None:
    await world(db)
    await add(db, deadline(1, NOW + 2 * DAY), sub(1, T.PROJECT_DEADLINES, "HUSRB/2301/11"))
    await planner(db).plan_once()
    rows = await outbox(db)
    assert {(row.dedupe_key, row.due_at) for row in rows} == {
        ("1:deadline:1:4320:1", NOW),
        ("1:deadline:1:1440:1", NOW + DAY),
    }
    for hours in (1, 30, 47):
        assert (await planner(db, NOW + timedelta(hours=hours)).plan_once()).created == 0


async def test_overdue_rows_left_by_downtime_collapse_to_the_latest(db: Database) -> None:
    await world(db)
    await add(db, deadline(1, NOW + 20 * DAY), sub(1, T.PROJECT_DEADLINES, "HUSRB/2301/11"))
    await planner(db).plan_once()
    # Nothing was sent for 19.5 days: three reminders overdue, one is enough.
    report = await planner(db, NOW + 19.5 * DAY).plan_once()
    assert (report.created, report.cancelled) == (0, 2)
    assert keys(await outbox(db)) == {"1:deadline:1:1440:1"}


async def test_placement_is_injected_and_never_after_the_item(db: Database) -> None:
    await world(db)
    await add(db, deadline(1, NOW + 2 * DAY), sub(1, T.PROJECT_DEADLINES, "HUSRB/2301/11"))
    seen: list[tuple[datetime, datetime, datetime]] = []

    def late(fire: datetime, s: Subscription, now: datetime, item: datetime) -> datetime | None:
        seen.append((fire, now, item))
        return None if fire == now else item + timedelta(minutes=1)

    assert (await planner(db, place=late).plan_once()).created == 0
    assert sorted(seen) == [(NOW, NOW, NOW + 2 * DAY), (NOW + DAY, NOW, NOW + 2 * DAY)]


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements run on db's engine inside the block."""
    seen: list[str] = []
    engine = db.bind.sync_engine if not isinstance(db.bind, AsyncConnection) else None
    target = engine or db.bind.sync_connection  # type: ignore[union-attr]

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(target, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", record)


async def test_work_does_not_grow_with_far_future_items(db: Database) -> None:
    await world(db)
    await add(db, deadline(1, NOW + 2 * DAY), sub(1, T.PROJECT_DEADLINES, "HUSRB/2301/11"),
              sub(2, T.CALLS), sub(3, T.CHAPTER_MEETINGS, "23"))  # fmt: skip
    counts = []
    # The first tick plans (and inserts); the steady ticks after it must cost the same
    # whether 3 or 200 more items wait beyond the horizon.
    for first, last in ((100, 103), (103, 163), (163, 300)):
        await add(db, *(deadline(n, NOW + (60 + n) * DAY) for n in range(first, last)))
        await add(db, *(meeting(n, NOW + (30 + n) * DAY, chapter_number=23)
                        for n in range(first, last)))  # fmt: skip
        with statements(db) as seen:
            report = await planner(db).plan_once()
        counts.append(len(seen))
        assert report.created == (2 if first == 100 else 0)
    assert counts[1] == counts[2]
    assert {row.item_id for row in await outbox(db)} == {1}


leads = st.lists(st.sampled_from([60, 120, 1440, 4320, 10080, 20160]), min_size=1, max_size=4)


def expected_leads(moment: datetime, wanted: set[int], runs: list[datetime]) -> set[int]:
    """The oracle: at each run that sees the item, the leads ahead plus the latest one past."""
    # The planner reads items as far as its largest lead reaches plus 7 days; a day lead
    # reaches an hour further (a change of summer time may lie inside it).
    horizon = timedelta(minutes=max(w + (60 if w % 1440 == 0 else 0) for w in wanted)) + 7 * DAY
    planned: set[int] = set()
    for now in runs:
        if now < moment <= now + horizon:
            fires = {lead: moment - timedelta(minutes=lead) for lead in wanted}
            planned |= {lead for lead, fire in fires.items() if fire > now}
            planned |= {min((lead for lead, fire in fires.items() if fire <= now), default=0)}
    return planned - {0}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    offsets=st.lists(st.integers(1, 30 * 24 * 60), min_size=1, max_size=6),
    wishes=st.lists(leads, min_size=1, max_size=3),
    steps=st.lists(st.integers(0, 3 * 24 * 60), min_size=1, max_size=4),
)
async def test_property_each_reminder_planned_once(
    db: Database, offsets: list[int], wishes: list[list[int]], steps: list[int]
) -> None:
    connection = db.bind
    assert isinstance(connection, AsyncConnection)
    savepoint = await connection.begin_nested()  # each example starts from an empty database
    try:
        await world(db)
        moments = {i: NOW + timedelta(minutes=m) for i, m in enumerate(offsets, 1)}
        await add(
            db,
            *(deadline(i, m, kind=DeadlineKind.CALL) for i, m in moments.items()),
            *(sub(i, T.CALLS, "", ",".join(map(str, w))) for i, w in enumerate(wishes, 1)),
        )
        runs = [NOW]
        for step in steps:  # a step of 0 repeats the run at the same moment
            runs.append(runs[-1] + timedelta(minutes=step))
        created = 0
        for now in runs:
            created += (await planner(db, now).plan_once()).created
        rows = await outbox(db)
        assert created == len(rows)
        expected = {
            f"{s}:deadline:{i}:{lead}:1"
            for s, wish in enumerate(wishes, 1)
            for i, moment in moments.items()
            for lead in expected_leads(moment, set(wish), runs)
        }
        assert {row.dedupe_key for row in rows} == expected
        for row in rows:
            assert row.due_at <= moments[row.item_id or 0]  # never after the item
        overdue = [(r.subscription_id, r.item_id) for r in rows
                   if r.state == OutboxState.PENDING and r.due_at <= runs[-1]]  # fmt: skip
        assert len(overdue) == len(set(overdue))  # never a flood: one overdue per item and chat
        assert (await planner(db, runs[-1]).plan_once()).created == 0
    finally:
        await savepoint.rollback()


async def test_three_planners_at_once_plan_once(backend: str, tmp_path: Path) -> None:
    """Three engines on one database (PostgreSQL: really concurrent; SQLite: serialised)."""
    url = await new_database_url(backend, tmp_path)
    databases = [Database.from_url(url) for _ in range(3)]
    try:
        await upgrade(databases[0])
        await world(databases[0])
        await add(
            databases[0],
            *(
                deadline(n, NOW + n * timedelta(hours=7), kind=DeadlineKind.CALL)
                for n in range(1, 61)
            ),
            *(sub(n, T.CALLS) for n in range(1, 21)),
            *(sub(100 + n, T.PROJECT_DEADLINES, "HUSRB/2301/11") for n in range(1, 4)),
        )
        planners = [Planner(d, clock=lambda: NOW, chunk=7) for d in databases]
        totals = []
        for _ in range(2):
            reports = await asyncio.wait_for(
                asyncio.gather(*(p.plan_once() for p in planners)), timeout=60
            )
            totals.append(sum(r.created for r in reports))
        rows = await outbox(databases[0])
        # 23 subscriptions × 60 calls × the leads each should get, counted by the oracle.
        expected = 23 * sum(
            len(expected_leads(NOW + n * timedelta(hours=7), {20160, 4320, 1440}, [NOW]))
            for n in range(1, 61)
        )
        assert totals == [expected, 0]
        assert len(rows) == len({row.dedupe_key for row in rows}) == expected
    finally:
        for d in databases:
            await d.dispose()
        await discard_database(backend, url)


async def test_a_caught_up_lead_and_the_next_one_at_the_same_minute_send_once(
    db: Database,
) -> None:
    """Issue 11 point 5: leads 14d,3d,1d,2h on a deadline due tomorrow at 10:00, planned in the
    evening: the caught-up 1d lead and the 2h lead both land at 08:00; the chat reads it once."""
    evening = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # Tuesday 19:00 in Belgrade
    due = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # Wednesday 10:00
    eight = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)  # Wednesday 08:00
    await world(db)
    body_sub = sub(2, T.BODY_DEADLINES, "NS", "120")
    body_sub.chat_id = "chat1"  # the same chat follows the deadline through its body too
    await add(
        db, deadline(1, due, kind=DeadlineKind.CALL), sub(1, T.CALLS, "", "20160,4320,1440,120")
    )
    await add(db, body_sub, DeadlineBody(deadline_id=1, body_id=1))
    place = calendar_place(WorkingCalendar())
    for _ in range(2):  # a second tick plans nothing more
        await planner(db, evening, place=place).plan_once()
    rows = await outbox(db)
    pending = [row for row in rows if row.state is OutboxState.PENDING]
    assert [(row.chat_id, row.due_at) for row in pending] == [("chat1", eight)]
    # The other two are kept, cancelled, so that no later tick plans them again.
    assert {row.dedupe_key for row in rows} == {
        "1:deadline:1:1440:1", "1:deadline:1:120:1", "2:deadline:1:120:1"
    }  # fmt: skip
    assert [row.state for row in rows].count(OutboxState.CANCELLED) == 2
