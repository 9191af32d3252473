"""The reference seed loads the real data once, and the demo seed invents data that says so."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from eudesk.schedules.calendar import WorkingCalendar
from eudesk.schedules.planner import Planner, calendar_place
from eudesk.storage.db import Database
from eudesk.storage.leads import LeadUnit
from eudesk.storage.models import (
    Body,
    BodyKind,
    Chapter,
    Cluster,
    Contact,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    NegotiatingGroup,
    OutboxEntry,
    OutboxState,
    PassportRecord,
    Programme,
    Project,
    ProjectPartner,
    ProjectStatus,
    Role,
    Subscription,
    SubscriptionTopic,
    User,
)
from eudesk.storage.repositories.subscriptions import subscription_leads
from eudesk.storage.seed import DemoAlreadySeeded, ReferenceDataMissing, seed_demo, seed_reference
from eudesk.storage.seed.demo import RealDataOnDemo
from eudesk.storage.seed.reference import read_csv

BELGRADE = ZoneInfo("Europe/Belgrade")

TODAY = date(2026, 3, 2)


async def count(db: Database, model: Any, *where: Any) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def seeded(db: Database) -> dict[str, int]:
    async with db.transaction() as session:
        return await seed_reference(session)


async def test_reference_counts_are_the_real_ones(db: Database) -> None:
    counts = await seeded(db)
    programmes = len(read_csv("programmes.csv"))
    assert counts == {
        "bodies": 60,
        "programmes": programmes,
        "clusters": 6,
        "chapters": 35,
        "negotiating_groups": 35,
    }
    assert await count(db, Body, Body.kind.in_([BodyKind.CITY, BodyKind.MUNICIPALITY])) == 45
    assert await count(db, Body, Body.kind == BodyKind.CITY) == 8
    assert await count(db, Body, Body.kind == BodyKind.PROVINCIAL_SECRETARIAT) == 12
    assert await count(db, Body, Body.code.in_(["SECTOR", "BRUSSELS"])) == 2
    assert await count(db, Chapter) == 35
    assert await count(db, Cluster) == 6
    assert await count(db, Chapter, Chapter.cluster_number.is_(None)) == 2
    assert await count(db, Programme) == programmes == 13


async def test_reference_seed_twice_changes_nothing(db: Database) -> None:
    first = await seeded(db)
    second = await seeded(db)
    assert first == second
    assert await count(db, Body) == first["bodies"]
    assert await count(db, NegotiatingGroup) == 35


async def test_reference_seed_updates_a_changed_row(db: Database) -> None:
    await seeded(db)
    async with db.transaction() as session:
        body = await session.scalar(select(Body).where(Body.code == "LSGU-80071"))
        assert body is not None
        body.name_hu = "wrong"
    await seeded(db)
    async with db.transaction() as session:
        assert await session.scalar(select(Body.name_hu).where(Body.code == "LSGU-80071")) == (
            "Topolya"
        )


async def test_names_in_both_scripts_and_hungarian(db: Database) -> None:
    await seeded(db)
    async with db.transaction() as session:
        topola = await session.scalar(select(Body).where(Body.code == "LSGU-80071"))
        irig = await session.scalar(select(Body).where(Body.name_sr_latn == "Irig"))
        chapter = await session.get(Chapter, 33)
        fund = await session.scalar(select(Body).where(Body.kind == BodyKind.PROVINCIAL_BODY))
    assert topola is not None
    assert irig is not None
    assert chapter is not None
    assert (topola.name_sr_latn, topola.name_sr_cyrl, topola.name_hu) == (
        "Bačka Topola",
        "Бачка Топола",
        "Topolya",
    )
    assert topola.district_code == "RS-01"
    assert topola.kind is BodyKind.MUNICIPALITY
    assert "backa topola" in topola.search_key
    assert "topolya" in topola.search_key
    assert irig.name_hu is None
    assert chapter.title_sr_latn == "finansijske i budžetske odredbe"
    assert fund is not None
    assert "Evropski poslovi" in fund.name_sr_latn


async def test_demo_needs_reference_data(db: Database) -> None:
    with pytest.raises(ReferenceDataMissing):
        await seed_demo(db, today=TODAY)


async def test_demo_users_roles_and_flag(db: Database) -> None:
    await seeded(db)
    counts = await seed_demo(db, today=TODAY)
    assert counts["projects"] == 100
    assert counts["users"] == 5
    async with db.transaction() as session:
        users = {u.name: u for u in await session.scalars(select(User))}
        contact = await session.get(Contact, users["demo-contact"].contact_id)
        novi_sad = await session.scalar(select(Body.id).where(Body.name_sr_latn == "Novi Sad"))
    assert users["demo"].role_set == {Role.COORDINATOR, Role.STAFF}
    assert users["demo-staff"].role_set == {Role.STAFF}
    assert users["demo-officer"].role_set == {Role.PASSPORT_OFFICER, Role.STAFF}
    assert users["demo-admin"].role_set == {Role.ADMIN, Role.STAFF}
    assert users["demo-contact"].role_set == {Role.CONTACT}
    assert all(u.is_demo for u in users.values())
    assert [(i.platform, i.external_id) for i in users["demo"].identities] == [("console", "demo")]
    assert contact is not None
    assert contact.body_id == novi_sad
    assert await count(db, Contact) == 2 * 57


async def test_demo_rows_are_plausible(db: Database) -> None:
    await seeded(db)
    await seed_demo(db, today=TODAY)
    start = datetime(2026, 3, 2, tzinfo=UTC)
    assert await count(db, Deadline, Deadline.due_at > start + timedelta(days=200)) > 100
    assert await count(db, Deadline, Deadline.due_at < start, Deadline.status != "done") == 0
    assert await count(db, Deadline, Deadline.is_demo.is_(False)) == 0
    async with db.transaction() as session:
        kinds = set(await session.scalars(select(Deadline.kind).distinct()))
        projects = list(await session.scalars(select(Project)))
        leads = await session.scalar(select(func.count()).where(ProjectPartner.is_lead))
        passports = list(await session.scalars(select(PassportRecord)))
    assert kinds == set(DeadlineKind)
    assert all(p.code.startswith("DEMO-") and p.is_demo for p in projects)
    assert all(p.prefinancing <= p.total_budget for p in projects)
    assert all(p.eu_contribution + p.provincial_cofinancing <= p.total_budget for p in projects)
    assert any(p.total_budget > Decimal("1000000") for p in projects)
    assert leads == len(projects)
    numbers = [p.passport_number for p in passports if p.passport_number]
    assert numbers
    assert all(n[0] in "DS" and len(n) == 8 for n in numbers)


async def test_demo_twice_refuses_and_replace_redoes(db: Database) -> None:
    await seeded(db)
    first = await seed_demo(db, today=TODAY)
    with pytest.raises(DemoAlreadySeeded):
        await seed_demo(db, today=TODAY)
    again = await seed_demo(db, today=TODAY, replace=True)
    assert again == first
    assert await count(db, Project) == 100
    assert await count(db, Deadline) == first["deadlines"]
    # Our ids were handed out by us: the database must still number new rows itself.
    async with db.transaction() as session:
        session.add(
            Deadline(
                ref="REAL-1",
                kind=DeadlineKind.OTHER,
                title="real",
                status=DeadlineStatus.OPEN,
                due_at=datetime(2026, 5, 4, 10, tzinfo=UTC),
            )
        )


async def test_scale_two_doubles_and_reports_progress(db: Database) -> None:
    await seeded(db)
    seen: list[tuple[int, int]] = []
    counts = await seed_demo(db, scale=2, today=TODAY, progress=lambda d, t: seen.append((d, t)))
    assert counts["projects"] == 200
    assert await count(db, Project) == 200
    assert counts["users"] == 5
    assert seen[-1] == (2, 2)


async def test_replace_refuses_when_real_deadlines_hang_on_demo_projects(db: Database) -> None:
    await seeded(db)
    first = await seed_demo(db, today=TODAY)
    async with db.transaction() as session:
        project_id = await session.scalar(select(Project.id).where(Project.is_demo.is_(True)))
        session.add(
            Deadline(
                ref="REAL-2",
                kind=DeadlineKind.REPORT,
                title="a real report",
                status=DeadlineStatus.OPEN,
                project_id=project_id,
                due_at=datetime(2026, 5, 4, 10, tzinfo=UTC),
            )
        )
    with pytest.raises(RealDataOnDemo, match="REAL-2"):
        await seed_demo(db, today=TODAY, replace=True)
    assert await count(db, Deadline) == first["deadlines"] + 1
    assert await count(db, Project) == first["projects"]


async def test_demo_reminders_are_visible_from_the_first_minute(db: Database) -> None:
    """Issue 11 point 4: the demo has subscriptions (staff on the console, municipal contacts,
    several kinds of lead, a digest), so the planner has dated reminders within 30 days; and a
    completed demo project has no open deadline."""
    await seeded(db)
    await seed_demo(db, today=TODAY)
    async with db.transaction() as session:
        subs = list(await session.scalars(select(Subscription)))
        open_on_completed = await session.scalar(
            select(func.count())
            .select_from(Deadline)
            .join(Project, Project.id == Deadline.project_id)
            .where(
                Project.status == ProjectStatus.COMPLETED, Deadline.status == DeadlineStatus.OPEN
            )
        )
    assert open_on_completed == 0
    assert {s.chat_id for s in subs if s.user_id is not None} >= {
        "console:demo",
        "console:demo-staff",
    }
    assert sum(s.contact_id is not None for s in subs) >= 3
    assert any(s.topic is SubscriptionTopic.DIGEST for s in subs)
    units = {lead.unit for s in subs for lead in subscription_leads(s.leads, s.topic)}
    assert units == set(LeadUnit)
    now = datetime.combine(TODAY, time(9), BELGRADE).astimezone(UTC)
    planner = Planner(db, place=calendar_place(WorkingCalendar()), clock=lambda: now)
    assert (await planner.plan_once()).created > 0
    async with db.transaction() as session:
        soon = list(
            await session.scalars(
                select(OutboxEntry.chat_id).where(
                    OutboxEntry.state == OutboxState.PENDING,
                    OutboxEntry.due_at < now + timedelta(days=30),
                )
            )
        )
    assert "console:demo" in soon
    assert len(soon) >= 10
    # Replacing the demo data replaces its subscriptions too (they go with their users).
    await seed_demo(db, today=TODAY, replace=True)
    assert await count(db, Subscription) == len(subs)
