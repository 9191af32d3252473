"""Deadlines: the upcoming ones in a window (filtered by text, body or kind), and moving one."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from eudesk.storage.errors import RecordNotFound
from eudesk.storage.models import (
    Deadline,
    DeadlineBody,
    DeadlineKind,
    DeadlineStatus,
    Programme,
    Project,
)
from eudesk.storage.text import contains_pattern

# The columns of a listing row, in UpcomingDeadline's order (outer joins: names may be None).
Listing = Select[int, str, DeadlineKind, str, datetime, str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class UpcomingDeadline:
    """A deadline with the names a listing shows, read in one query."""

    id: int
    ref: str
    kind: DeadlineKind
    title: str
    due_at: datetime
    project_code: str | None
    project_acronym: str | None
    programme_name: str | None


class DeadlineRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def upcoming(
        self,
        now: datetime,
        window: timedelta,
        *,
        match: str | None = None,
        body_id: int | None = None,
        kind: DeadlineKind | None = None,
        only_body_ids: Collection[int] | None = None,
        limit: int = 50,
    ) -> list[UpcomingDeadline]:
        """Open deadlines due in [now, now + window), soonest first.

        only_body_ids is what a contact may see: deadlines concerning one of those bodies
        (none at all when it is empty); None means no such restriction.
        """
        query = self._upcoming_query(now, now + window)
        query = _filtered(query, match, body_id, kind, only_body_ids)
        rows = await self._session.execute(query.limit(limit))
        return [UpcomingDeadline(*row) for row in rows]

    async def count_upcoming(
        self,
        now: datetime,
        window: timedelta,
        *,
        match: str | None = None,
        body_id: int | None = None,
        kind: DeadlineKind | None = None,
        only_body_ids: Collection[int] | None = None,
    ) -> int:
        """How many deadlines upcoming() would return without a limit."""
        query = _filtered(self._upcoming_query(now, now + window), match, body_id, kind,
                          only_body_ids)  # fmt: skip
        total = await self._session.scalar(
            select(func.count()).select_from(query.order_by(None).subquery())
        )
        return int(total or 0)

    async def get(self, deadline_id: int) -> Deadline | None:
        """One deadline with its project, programme and bodies loaded."""
        return await self._session.scalar(
            select(Deadline)
            .where(Deadline.id == deadline_id)
            .options(
                selectinload(Deadline.project).selectinload(Project.programme),
                selectinload(Deadline.programme),
                selectinload(Deadline.bodies),
            )
        )

    async def move(self, deadline_id: int, new_due_at: datetime) -> Deadline:
        """A new due moment and a bumped version, so reminders for the old one are re-planned."""
        deadline = await self.get(deadline_id)
        if deadline is None:
            raise RecordNotFound("deadline", deadline_id)
        deadline.due_at = new_due_at
        deadline.version += 1
        await self._session.flush()
        return deadline

    @staticmethod
    def _upcoming_query(start: datetime, end: datetime) -> Listing:
        return (
            select(
                Deadline.id,
                Deadline.ref,
                Deadline.kind,
                Deadline.title,
                Deadline.due_at,
                Project.code,
                Project.acronym,
                Programme.name,
            )
            .outerjoin(Project, Project.id == Deadline.project_id)
            # A call for proposals names its programme; a report inherits its project's.
            .outerjoin(
                Programme,
                Programme.id == func.coalesce(Deadline.programme_id, Project.programme_id),
            )
            .where(
                Deadline.status == DeadlineStatus.OPEN,
                Deadline.due_at >= start,
                Deadline.due_at < end,
            )
            .order_by(Deadline.due_at, Deadline.id)
        )


def _filtered(
    query: Listing,
    match: str | None,
    body_id: int | None,
    kind: DeadlineKind | None,
    only_body_ids: Collection[int] | None,
) -> Listing:
    if kind is not None:
        query = query.where(Deadline.kind == kind)
    if body_id is not None:
        query = query.where(_concerns([body_id]))
    if only_body_ids is not None:
        # Enforced in SQL, so a contact's listing and its count never see other bodies' rows.
        query = query.where(_concerns(only_body_ids) if only_body_ids else false())
    if match:
        pattern = contains_pattern(match)
        query = query.where(
            or_(
                Project.search_key.like(pattern, escape="\\"),
                Programme.search_key.like(pattern, escape="\\"),
                Project.code.ilike(pattern, escape="\\"),
            )
        )
    return query


def _concerns(body_ids: Collection[int]) -> ColumnElement[bool]:
    return exists().where(
        DeadlineBody.deadline_id == Deadline.id, DeadlineBody.body_id.in_(list(body_ids))
    )
