"""UTC datetimes and EUR amounts survive a round trip exactly, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from eudesk.storage.db import Database
from eudesk.storage.models import Deadline, DeadlineKind, Programme, Project, ProjectStatus


async def _programme(db: Database) -> int:
    async with db.transaction() as session:
        programme = Programme(code="HUSRB", name="Interreg VI-A IPA Hungary-Serbia", kind="cbc")
        session.add(programme)
        await session.flush()
        return programme.id


async def test_money_keeps_every_cent(db: Database) -> None:
    programme_id = await _programme(db)
    amounts = {
        "total_budget": Decimal("1234567890.12"),
        "eu_contribution": Decimal("1049382706.60"),
        "provincial_cofinancing": Decimal("0.01"),
        "prefinancing": Decimal("99999999999.99"),
    }
    async with db.transaction() as session:
        session.add(
            Project(
                code="P1",
                acronym="P1",
                title="t",
                programme_id=programme_id,
                status=ProjectStatus.ONGOING,
                **amounts,
            )
        )
    async with db.transaction() as session:
        project = await session.scalar(select(Project).where(Project.code == "P1"))
        assert project is not None
        for field, amount in amounts.items():
            assert getattr(project, field) == amount
            assert isinstance(getattr(project, field), Decimal)


async def test_datetimes_come_back_aware_in_utc_and_sort_correctly(db: Database) -> None:
    belgrade_summer = timezone(timedelta(hours=2))
    moments = [
        datetime(2026, 10, 25, 2, 30, tzinfo=belgrade_summer),  # 00:30 UTC
        datetime(2026, 10, 25, 0, 45, tzinfo=UTC),
        datetime(2026, 10, 24, 23, 59, tzinfo=UTC),
    ]
    async with db.transaction() as session:
        for i, moment in enumerate(moments):
            session.add(Deadline(ref=f"D{i}", kind=DeadlineKind.REPORT, title="t", due_at=moment))
    async with db.transaction() as session:
        rows = (await session.scalars(select(Deadline).order_by(Deadline.due_at))).all()
    assert [d.ref for d in rows] == ["D2", "D0", "D1"]
    assert rows[1].due_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert all(d.due_at.tzinfo is not None for d in rows)


async def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with db.transaction() as session:
            session.add(
                Deadline(
                    ref="N", kind=DeadlineKind.REPORT, title="t", due_at=datetime(2026, 1, 1, 12, 0)
                )
            )
