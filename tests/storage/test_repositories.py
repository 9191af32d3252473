"""Repositories: users with roles and identities, upcoming deadlines, the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from eudesk.storage.db import Database
from eudesk.storage.errors import DuplicateRecord, RecordNotFound
from eudesk.storage.models import (
    Body,
    BodyKind,
    Deadline,
    DeadlineBody,
    DeadlineKind,
    DeadlineStatus,
    Platform,
    Programme,
    Project,
    ProjectStatus,
    Role,
)
from eudesk.storage.repositories import Repositories
from eudesk.storage.text import search_key

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


async def test_users_roles_and_identities(db: Database) -> None:
    async with db.transaction() as session:
        users = Repositories(session).users
        await users.add("ana", [Role.STAFF], identities=[(Platform.TELEGRAM, "4242")])
        with pytest.raises(DuplicateRecord):
            await users.add("ana", [Role.STAFF])
        with pytest.raises(DuplicateRecord):
            await users.add("bojan", [Role.STAFF], identities=[(Platform.TELEGRAM, "4242")])
        with pytest.raises(RecordNotFound):
            await users.add("ceca", [Role.STAFF], body_code="NOPE")
    async with db.transaction() as session:
        users = Repositories(session).users
        await users.grant("ana", Role.PASSPORT_OFFICER)
        await users.grant("ana", Role.PASSPORT_OFFICER)  # twice is once
        found = await users.by_identity(Platform.TELEGRAM, "4242")
        assert found is not None
        assert found.role_set == {Role.STAFF, Role.PASSPORT_OFFICER}
        assert await users.by_identity(Platform.SLACK, "4242") is None
        await users.revoke("ana", Role.STAFF)
    async with db.transaction() as session:
        ana = await Repositories(session).users.get("ana")
        assert ana.role_set == {Role.PASSPORT_OFFICER}
        assert [u.name for u in await Repositories(session).users.list()] == ["ana"]


async def _deadline_world(db: Database) -> int:
    async with db.transaction() as session:
        senta = Body(
            code="LSGU-80365",
            kind=BodyKind.MUNICIPALITY,
            name_sr_latn="Senta",
            name_sr_cyrl="Сента",
            name_hu="Zenta",
            name_en="Senta",
            search_key=search_key("Senta", "Сента", "Zenta"),
        )
        programme = Programme(
            code="HUSRB",
            name="Interreg VI-A IPA Hungary-Serbia",
            kind="cross-border",
            search_key=search_key("HUSRB Hungary-Serbia"),
        )
        session.add_all([senta, programme])
        await session.flush()
        project = Project(
            code="HUSRB/2301/1.1/007",
            acronym="TISZA-ŽIVOT",
            title="Reka Tisa",
            programme_id=programme.id,
            status=ProjectStatus.ONGOING,
            search_key=search_key("HUSRB/2301/1.1/007", "TISZA-ŽIVOT", "Reka Tisa"),
        )
        session.add(project)
        await session.flush()
        rows = [
            Deadline(
                ref="A",
                kind=DeadlineKind.REPORT,
                title="Interim report",
                due_at=NOW + timedelta(days=2),
                project_id=project.id,
            ),
            Deadline(
                ref="B",
                kind=DeadlineKind.CALL,
                title="Call 3 closes",
                due_at=NOW + timedelta(days=10),
                programme_id=programme.id,
            ),
            Deadline(
                ref="C",
                kind=DeadlineKind.PAYMENT_CLAIM,
                title="Claim",
                due_at=NOW + timedelta(days=40),
                project_id=project.id,
            ),
            Deadline(
                ref="D",
                kind=DeadlineKind.REPORT,
                title="Done already",
                due_at=NOW + timedelta(days=3),
                project_id=project.id,
                status=DeadlineStatus.DONE,
            ),
            Deadline(
                ref="E",
                kind=DeadlineKind.OTHER,
                title="Past",
                due_at=NOW - timedelta(minutes=1),
                project_id=project.id,
            ),
        ]
        session.add_all(rows)
        await session.flush()
        session.add(DeadlineBody(deadline_id=rows[0].id, body_id=senta.id))
        return senta.id


async def test_upcoming_deadlines_window_order_and_filters(db: Database) -> None:
    senta_id = await _deadline_world(db)
    async with db.transaction() as session:
        deadlines = Repositories(session).deadlines
        month = await deadlines.upcoming(NOW, timedelta(days=30))
        assert [d.ref for d in month] == ["A", "B"]
        assert month[0].project_acronym == "TISZA-ŽIVOT"
        assert month[1].programme_name == "Interreg VI-A IPA Hungary-Serbia"  # via the call
        assert month[0].programme_name == "Interreg VI-A IPA Hungary-Serbia"  # via the project
        assert [d.ref for d in await deadlines.upcoming(NOW, timedelta(days=60))] == ["A", "B", "C"]
        only_calls = await deadlines.upcoming(NOW, timedelta(days=60), kind=DeadlineKind.CALL)
        assert [d.ref for d in only_calls] == ["B"]
        for_senta = await deadlines.upcoming(NOW, timedelta(days=60), body_id=senta_id)
        assert [d.ref for d in for_senta] == ["A"]
        cyrillic = await deadlines.upcoming(NOW, timedelta(days=60), match="тисза-живот")
        assert [d.ref for d in cyrillic] == ["A", "C"]
        assert await deadlines.upcoming(NOW, timedelta(days=60), match="100%_x") == []


async def test_audit_entries_are_recorded(db: Database) -> None:
    async with db.transaction() as session:
        audit = Repositories(session).audit
        await audit.record(
            actor="telegram:1",
            platform="telegram",
            action="passport.lookup",
            allowed=False,
            target_type="passport",
            target_ref="DP-1",
        )
        entries = await audit.recent()
        assert len(entries) == 1
        assert entries[0].allowed is False
        assert entries[0].at.tzinfo is not None
