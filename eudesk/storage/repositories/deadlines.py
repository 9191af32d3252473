"""Deadlines: the upcoming ones in a window (filtered by text, body or kind), and moving one."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, func, or_, select
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
        cap: int | None = None,
    ) -> int:
        """How many deadlines upcoming() would return without a limit; at most cap + 1, so
        the cost of "…and N more" stays bounded however much data there is."""
        # Counted on deadlines alone: the joins only matter when the text filter reads them.
        query = select(Deadline.id).select_from(Deadline)
        if match:
            query = _with_names(query)
        query = _filtered(query.where(*_in_window(now, now + window)), match, body_id, kind,
                          only_body_ids)  # fmt: skip
        if cap is not None:
            query = query.limit(cap + 1)
        total = await self._session.scalar(select(func.count()).select_from(query.subquery()))
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
        columns = select(
            Deadline.id,
            Deadline.ref,
            Deadline.kind,
            Deadline.title,
            Deadline.due_at,
            Project.code,
            Project.acronym,
            Programme.name,
        ).select_from(Deadline)
        return (
            _with_names(columns)
            .where(*_in_window(start, end))
            .order_by(Deadline.due_at, Deadline.id)
        )


Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])


def _with_names(query: Q) -> Q:
    """Join the project and programme a listing shows and a text filter reads."""
    return query.outerjoin(Project, Project.id == Deadline.project_id).outerjoin(
        # A call for proposals names its programme; a report inherits its project's.
        Programme,
        Programme.id == func.coalesce(Deadline.programme_id, Project.programme_id),
    )


def _in_window(start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    return [Deadline.status == DeadlineStatus.OPEN, Deadline.due_at >= start, Deadline.due_at < end]


def _filtered(
    query: Q,
    match: str | None,
    body_id: int | None,
    kind: DeadlineKind | None,
    only_body_ids: Collection[int] | None,
) -> Q:
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
    # IN, not EXISTS: both planners can then start from the body's rows (ix body_id, deadline_id)
    # instead of probing them once for every deadline in the window.
    return Deadline.id.in_(
        select(DeadlineBody.deadline_id).where(DeadlineBody.body_id.in_(list(body_ids)))
    )
