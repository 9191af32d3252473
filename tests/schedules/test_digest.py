"""The digest: one message per chat on working days, once, however often and wherever planned."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from eudesk.bot.cli_reminders import digest_moments
from eudesk.handlers.i18n import to_cyrillic
from eudesk.handlers.notifications import render_notification
from eudesk.schedules.calendar import BELGRADE, WorkingCalendar
from eudesk.schedules.digest import DigestPlanner, digest_payload
from eudesk.schedules.outbox import OutboxDispatcher
from eudesk.schedules.planner import Planner
from eudesk.schedules.ratelimit import RateLimiter, RateLimits
from eudesk.storage.db import Database
from eudesk.storage.migrate import upgrade
from eudesk.storage.models import (
    Body,
    BodyKind,
    Contact,
    Deadline,
    DeadlineBody,
    DeadlineKind,
    DigestFrequency,
    Locale,
    OutboxEntry,
    OutboxState,
    Platform,
    Subscription,
    User,
    utcnow,
)
from eudesk.storage.models import SubscriptionTopic as T
from eudesk.storage.repositories.planning import DEADLINE, MEETING, DueItem
from eudesk.storage.repositories.subscriptions import default_leads
from tests.cli import run_cli
from tests.databases import discard_database, new_database_url
from tests.schedules.senders import RecordingSender
from tests.schedules.test_planner import add, deadline, meeting, outbox, statements, world

CALENDAR = WorkingCalendar(BELGRADE)
DAY = timedelta(days=1)
PROJECT = "HUSRB/2301/11"


def local(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A Belgrade wall-clock moment, in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=BELGRADE).astimezone(UTC)


MONDAY = local(2026, 11, 30)  # 09:00 in Belgrade
FRIDAY = local(2026, 11, 27)


def sub(ident: int, chat: str, topic: T, key: str = "", **kw: Any) -> Subscription:
    if topic is T.DIGEST:
        kw.setdefault("digest", DigestFrequency.DAILY)
        key = key or kw["digest"].value
    return Subscription(id=ident, platform=Platform.TELEGRAM, chat_id=chat, topic=topic,
                        topic_key=key, leads=default_leads(topic), **kw)  # fmt: skip


def digests(db: Database, now: datetime, **kw: Any) -> DigestPlanner:
    return DigestPlanner(db, calendar=CALENDAR, zone=BELGRADE, clock=lambda: now, **kw)


async def digest_rows(db: Database) -> list[OutboxEntry]:
    return [row for row in await outbox(db) if row.kind == "digest"]


async def digest_chat(db: Database, now: datetime, frequency: DigestFrequency) -> None:
    """Chat "a": a digest, a project's deadlines and chapter 23's meetings; items around now."""
    await world(db)
    await add(
        db,
        deadline(1, now + 2 * DAY),
        deadline(2, now + 10 * DAY),  # beyond a daily digest's week, inside a weekly's fortnight
        deadline(3, now + 20 * DAY),  # beyond both
        meeting(1, now + 3 * DAY, chapter_number=23),
        sub(1, "a", T.DIGEST, digest=frequency, locale=Locale.HU),
        sub(2, "a", T.PROJECT_DEADLINES, PROJECT),
        sub(3, "a", T.CHAPTER_MEETINGS, "23"),
        sub(4, "a", T.PROGRAMME_DEADLINES, "HUSRB"),  # matches deadline 1 again: listed once
    )


async def test_a_working_day_after_eight_plans_one_digest_with_what_is_coming(
    db: Database,
) -> None:
    await digest_chat(db, MONDAY, DigestFrequency.DAILY)
    assert await digests(db, MONDAY).plan_once() == 1
    [row] = await digest_rows(db)
    assert (row.dedupe_key, row.chat_id, row.subscription_id) == ("digest:1:2026-11-30", "a", 1)
    assert (row.item_type, row.item_id, row.locale, row.due_at) == (None, None, Locale.HU, MONDAY)
    assert row.state is OutboxState.PENDING
    data = json.loads(row.payload)
    assert (data["date"], data["days"], data["more"]) == ("2026-11-30", 7, 0)
    assert [(i["type"], i["id"]) for i in data["items"]] == [(DEADLINE, 1), (MEETING, 1)]
    assert data["items"][0] == {
        "type": "deadline", "id": 1, "moment": "2026-12-02T08:00:00+00:00", "title": "Report 1",
        "ref": "D1", "kind": "report", "project": "DANUBIKE", "chapter": None,
    }  # fmt: skip
    assert data["items"][1]["chapter"] == 23


async def test_a_weekly_digest_looks_two_weeks_ahead(db: Database) -> None:
    await digest_chat(db, MONDAY, DigestFrequency.WEEKLY)
    assert await digests(db, MONDAY).plan_once() == 1
    data = json.loads((await digest_rows(db))[0].payload)
    assert [(i["type"], i["id"]) for i in data["items"]] == [
        (DEADLINE, 1), (MEETING, 1), (DEADLINE, 2)
    ]  # fmt: skip
    assert data["days"] == 14


@pytest.mark.parametrize(
    "now",
    [
        local(2026, 11, 30, 7, 59),  # before 08:00
        local(2026, 11, 28, 10),  # Saturday
        local(2027, 1, 7, 10),  # Orthodox Christmas, a Thursday
        local(2026, 11, 30, 18, 1),  # the allowed hours (08:00–18:00) are over
    ],
    ids=["before-eight", "saturday", "orthodox-christmas", "after-the-window"],
)
async def test_no_digest_outside_working_hours(db: Database, now: datetime) -> None:
    await digest_chat(db, now, DigestFrequency.DAILY)
    assert await digests(db, now).plan_once() == 0
    assert await digest_rows(db) == []


async def test_a_missed_window_skips_the_day_and_a_later_window_waits(db: Database) -> None:
    await digest_chat(db, MONDAY, DigestFrequency.DAILY)
    await add(db, sub(5, "b", T.DIGEST, quiet_start=time(10), quiet_end=time(17)),
              sub(6, "b", T.PROJECT_DEADLINES, PROJECT))  # fmt: skip
    assert await digests(db, local(2026, 11, 30, 18, 30)).plan_once() == 0  # first run at night
    planner = digests(db, local(2026, 12, 1, 9, 30))
    assert await planner.plan_once() == 1  # Tuesday: chat a at once, chat b not before 10:00
    later = digests(db, local(2026, 12, 1, 10))
    assert await later.plan_once() == 1
    assert [row.dedupe_key for row in await digest_rows(db)] == [
        "digest:1:2026-12-01", "digest:5:2026-12-01"
    ]  # fmt: skip


async def test_weekly_only_on_the_first_working_day_of_the_week(db: Database) -> None:
    # Orthodox Easter Monday 2026-04-13 is a holiday: that week's digest comes on Tuesday.
    days = [local(2026, 4, d, 9) for d in (13, 14, 15, 20, 21)]
    await digest_chat(db, days[0], DigestFrequency.WEEKLY)
    await add(db, deadline(10, local(2026, 4, 25)))  # something to list every day
    created = [await digests(db, now).plan_once() for now in days]
    assert created == [0, 1, 0, 1, 0]
    keys = [row.dedupe_key for row in await digest_rows(db)]
    assert keys == ["digest:1:2026-04-14", "digest:1:2026-04-20"]


async def test_planning_twice_plans_once(db: Database) -> None:
    await digest_chat(db, MONDAY, DigestFrequency.DAILY)
    planner = digests(db, MONDAY)
    assert await planner.plan_once() == 1
    assert await planner.plan_once() == 0  # remembered
    assert await digests(db, MONDAY + timedelta(hours=3)).plan_once() == 0  # a fresh instance
    assert len(await digest_rows(db)) == 1


async def test_after_three_days_of_downtime_only_todays_digest(db: Database) -> None:
    await digest_chat(db, MONDAY, DigestFrequency.DAILY)
    assert await digests(db, MONDAY).plan_once() == 1  # planned, then the service went down
    thursday = MONDAY + 3 * DAY
    assert await digests(db, thursday).plan_once() == 1
    rows = {row.dedupe_key: row.state for row in await digest_rows(db)}
    assert rows == {"digest:1:2026-11-30": OutboxState.CANCELLED,
                    "digest:1:2026-12-03": OutboxState.PENDING}  # fmt: skip


async def test_an_empty_digest_is_not_sent_nor_read_again_that_day(db: Database) -> None:
    await world(db)
    await add(db, deadline(1, MONDAY + 20 * DAY), sub(1, "a", T.DIGEST),
              sub(2, "a", T.PROJECT_DEADLINES, PROJECT))  # fmt: skip
    planner = digests(db, MONDAY)
    assert await planner.plan_once() == 0
    with statements(db) as seen:
        assert await digests(db, MONDAY).plan_once() == 0  # a fresh instance reads the items
    assert any("FROM deadlines" in sql for sql in seen)
    with statements(db) as seen:
        assert await planner.plan_once() == 0  # this one remembers: no items read
    assert seen
    assert not any("FROM deadlines" in sql for sql in seen)
    assert await digest_rows(db) == []


async def test_the_items_are_capped_with_a_count_of_the_rest(db: Database) -> None:
    await world(db)
    await add(db, *(deadline(n, MONDAY + n * timedelta(hours=3)) for n in range(1, 36)),
              sub(1, "a", T.DIGEST), sub(2, "a", T.PROJECT_DEADLINES, PROJECT))  # fmt: skip
    assert await digests(db, MONDAY).plan_once() == 1
    data = json.loads((await digest_rows(db))[0].payload)
    assert [item["id"] for item in data["items"]] == list(range(1, 31))
    assert data["more"] == 5


async def test_without_item_subscriptions_the_recipients_body(db: Database) -> None:
    await world(db)
    await add(
        db,
        Body(
            id=2,
            code="SU",
            kind=BodyKind.CITY,
            name_sr_latn="Subotica",
            name_sr_cyrl="Суботица",
            name_en="Subotica",
        ),
        Contact(id=1, ref="C1", body_id=1, name="Ana"),
        User(id=1, name="marko", body_id=2),
        deadline(1, MONDAY + DAY),
        deadline(2, MONDAY + 2 * DAY),
        deadline(3, MONDAY + 3 * DAY),
        DeadlineBody(deadline_id=1, body_id=1),
        DeadlineBody(deadline_id=2, body_id=2),
        sub(1, "contact", T.DIGEST, contact_id=1),
        sub(2, "user", T.DIGEST, user_id=1),
        sub(3, "nobody", T.DIGEST),
    )
    assert await digests(db, MONDAY).plan_once() == 2
    items = {row.chat_id: [i["id"] for i in json.loads(row.payload)["items"]]
             for row in await digest_rows(db)}  # fmt: skip
    assert items == {"contact": [1], "user": [2]}


async def test_a_digest_chat_gets_meeting_reminders_but_no_deadline_reminders(
    db: Database,
) -> None:
    await world(db)
    await add(
        db,
        deadline(1, MONDAY + 20 * DAY),
        meeting(1, MONDAY + 5 * DAY, chapter_number=23),
        sub(1, "a", T.PROJECT_DEADLINES, PROJECT),
        sub(2, "a", T.CHAPTER_MEETINGS, "23"),
        sub(3, "b", T.PROJECT_DEADLINES, PROJECT),
    )
    planner = Planner(db, clock=lambda: MONDAY)
    await planner.plan_once()
    before = {(row.chat_id, row.item_type) for row in await outbox(db)}
    assert before == {("a", DEADLINE), ("a", MEETING), ("b", DEADLINE)}
    await add(db, sub(4, "a", T.DIGEST))  # chat a now wants one message instead of many
    report = await planner.plan_once()
    assert (report.cancelled, report.created) == (3, 0)  # its three deadline leads
    await add(db, deadline(3, MONDAY + 20 * DAY))
    assert (await planner.plan_once()).created == 3  # deadline 3's three leads, for b only
    pending = {(row.chat_id, row.item_type) for row in await outbox(db)
               if row.state is OutboxState.PENDING and row.kind == "reminder"}  # fmt: skip
    assert pending == {("a", MEETING), ("b", DEADLINE)}
    assert {row.chat_id for row in await outbox(db) if row.item_id == 3} == {"b"}
    async with db.transaction() as session:  # the digest stopped: deadline reminders again
        await session.execute(update(Subscription).where(Subscription.id == 4).values(active=False))
    await add(db, deadline(2, MONDAY + 20 * DAY))
    # Deadline 2's three leads for chats a and b, deadline 3's for a. Deadline 1's cancelled
    # rows keep their dedupe keys, so a is not reminded of it again (as after a resubscribe).
    assert (await planner.plan_once()).created == 9


async def test_an_inactive_contacts_digest_replaces_nothing(db: Database) -> None:
    await world(db)
    await add(
        db,
        Contact(id=1, ref="C1", body_id=1, name="Ana", active=False),
        deadline(1, MONDAY + 2 * DAY),
        sub(1, "a", T.DIGEST, contact_id=1),
        sub(2, "a", T.PROJECT_DEADLINES, PROJECT),
    )
    assert (await Planner(db, clock=lambda: MONDAY).plan_once()).created == 2
    assert await digests(db, MONDAY).plan_once() == 0


async def test_three_digest_planners_at_once_plan_once(backend: str, tmp_path: Path) -> None:
    """Three engines on one database (PostgreSQL: really concurrent; SQLite: serialised)."""
    url = await new_database_url(backend, tmp_path)
    databases = [Database.from_url(url) for _ in range(3)]
    try:
        await upgrade(databases[0])
        await world(databases[0])
        await add(
            databases[0],
            deadline(1, MONDAY + DAY, kind=DeadlineKind.CALL),
            *(sub(n, f"chat{n}", T.DIGEST) for n in range(1, 24)),
            *(sub(100 + n, f"chat{n}", T.CALLS) for n in range(1, 24)),
        )
        planners = [digests(d, MONDAY, chunk=5) for d in databases]
        totals = []
        for _ in range(2):
            counts = await asyncio.wait_for(
                asyncio.gather(*(p.plan_once() for p in planners)), timeout=60
            )
            totals.append(sum(counts))
        rows = await digest_rows(databases[0])
        assert totals == [23, 0]
        assert sorted(row.subscription_id or 0 for row in rows) == list(range(1, 24))
    finally:
        for d in databases:
            await d.dispose()
        await discard_database(backend, url)


async def test_a_planned_digest_reaches_the_chat_as_one_message(db: Database) -> None:
    await digest_chat(db, MONDAY, DigestFrequency.DAILY)
    await digests(db, MONDAY).plan_once()
    sender = RecordingSender()
    outbox_dispatcher = OutboxDispatcher(
        db, {"telegram": sender}, partial(render_notification, zone=BELGRADE), worker="w1",
        limiter=RateLimiter(RateLimits.unlimited()), clock=lambda: MONDAY,
    )  # fmt: skip
    assert await outbox_dispatcher.run_once() == 1
    [text] = sender.texts("a")
    assert text.startswith("Összefoglaló, 2026. 11. 30.: 2 határidő és ülés")


# --- rendering ----------------------------------------------------------------------------------


@dataclass
class Row:
    kind: str
    locale: str
    payload: str


def payload(count: int) -> str:
    start = datetime(2026, 12, 2, 9, tzinfo=UTC)  # 10:00 in Belgrade
    items = [DueItem(MEETING, 1, 1, start - timedelta(hours=1), "M1", "Group 23",
                     chapter_number=23)]  # fmt: skip
    for n in range(1, count):
        moment = start + n * timedelta(minutes=1)
        items.append(DueItem(DEADLINE, n, 1, moment, f"D{n}", f"Report {n}", kind="report",
                             project_acronym="TISA"))  # fmt: skip
    return digest_payload(date(2026, 11, 27), 7, items)


def test_a_digest_in_serbian_with_belgrade_times_and_the_rest_counted() -> None:
    reply = render_notification(Row("digest", "sr-Latn", payload(32)))
    assert reply.title == "Pregled za 27.11.2026.: 32 roka i sastanka u narednih 7 dana"
    assert reply.lines[0] == "02.12. 09:00 — sastanak: Group 23 (poglavlje 23)"
    assert reply.lines[1] == "02.12. 10:01 — rok: Report 1 (TISA)"
    assert len(reply.lines) == 31
    assert reply.lines[-1] == "… i još 2"
    assert reply.footer == "Pretplate: /subscriptions"


def test_a_digest_in_cyrillic_hungarian_and_english() -> None:
    cyrillic = render_notification(Row("digest", "sr-Cyrl", payload(5))).plain()
    assert to_cyrillic("Pregled za 27.11.2026.: 5 rokova i sastanaka") in cyrillic
    assert to_cyrillic("02.12. 10:01 — rok: ") + "Report 1 (TISA)" in cyrillic
    assert "/subscriptions" in cyrillic
    hungarian = render_notification(Row("digest", "hu", payload(31))).plain()
    assert "Összefoglaló, 2026. 11. 27.: 31 határidő és ülés a következő 7 napban" in hungarian
    assert "12. 02. 10:01 — határidő: Report 1 (TISA)" in hungarian
    assert "… és még 1" in hungarian
    english = render_notification(Row("digest", "en", payload(1))).plain()
    assert english.startswith("Digest for 27 Nov 2026: 1 deadline or meeting in the next 7 days")
    assert "2 Dec 09:00 — meeting: Group 23 (chapter 23)" in english
    assert "more" not in english


def test_serbian_counts_take_three_forms() -> None:
    counts = {
        n: (render_notification(Row("digest", "sr-Latn", payload(n))).title or "").split(": ")[1]
        for n in (1, 3, 11, 21, 22)
    }
    assert counts == {
        1: "1 rok ili sastanak u narednih 7 dana",
        3: "3 roka i sastanka u narednih 7 dana",
        11: "11 rokova i sastanaka u narednih 7 dana",
        21: "21 rok ili sastanak u narednih 7 dana",
        22: "22 roka i sastanka u narednih 7 dana",
    }


async def test_a_digest_row_renders_as_planned(db: Database) -> None:
    await digest_chat(db, MONDAY, DigestFrequency.DAILY)
    await digests(db, MONDAY).plan_once()
    async with db.transaction() as session:
        row = await session.scalar(select(OutboxEntry).where(OutboxEntry.kind == "digest"))
    assert row is not None
    reply = render_notification(Row(row.kind, row.locale.value, row.payload))
    assert reply.title == "Összefoglaló, 2026. 11. 30.: 2 határidő és ülés a következő 7 napban"
    assert reply.lines == ["12. 02. 09:00 — határidő: Report 1 (DANUBIKE)",
                           "12. 03. 09:00 — ülés: Meeting 1 (23. fejezet)"]  # fmt: skip


# --- the operator's preview ---------------------------------------------------------------------


def test_preview_runs_the_digest_planner_when_a_digest_can_be_due() -> None:
    now = local(2026, 11, 27, 9, 30)  # a Friday, past 08:00
    moments = digest_moments(CALENDAR, {time(8), time(10)}, now, now + 3 * DAY)
    assert moments == [now, local(2026, 11, 27, 10), local(2026, 11, 30, 8)]  # not Monday 10:00
    early = local(2026, 11, 27, 7)
    assert digest_moments(CALENDAR, {time(8)}, early, early + DAY) == [local(2026, 11, 27, 8)]


async def test_preview_lists_the_digests_instead_of_the_deadline_reminders(
    empty_database_url: str, tmp_path: Path
) -> None:
    database = Database.from_url(empty_database_url)
    try:
        await upgrade(database)
        # Eight days ahead of the real clock (the CLI's): every working day in between lists it.
        await add(database, sub(1, "4242", T.DIGEST), sub(2, "4242", T.CALLS),
                  Deadline(ref="PREVIEW-1", kind=DeadlineKind.CALL, title="Preview call",
                           due_at=utcnow() + 8 * DAY))  # fmt: skip
    finally:
        await database.dispose()
    result = run_cli("reminders", "preview", "--days", "10", database_url=empty_database_url,
                     cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    ours = [line for line in result.stdout.splitlines() if "telegram:4242" in line]
    assert ours
    assert all(" #1  Pregled za " in line for line in ours)  # no reminder of the call itself
    assert all("1 rok ili sastanak u narednih 7 dana" in line for line in ours)
    days = [line[:10] for line in ours]
    assert len(days) == len(set(days))  # one a day
    assert all(CALENDAR.is_working_day(date.fromisoformat(day)) for day in days)
