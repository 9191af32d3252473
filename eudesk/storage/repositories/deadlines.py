"""Deadlines: the upcoming ones in a window, filtered by text, body or kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.models import (
    Deadline,
    DeadlineBody,
    DeadlineKind,
    DeadlineStatus,
    Programme,
    Project,
)
from eudesk.storage.text import fold


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
        limit: int = 50,
    ) -> list[UpcomingDeadline]:
        """Open deadlines due in [now, now + window), soonest first."""
        query = self._upcoming_query(now, now + window)
        if kind is not None:
            query = query.where(Deadline.kind == kind)
        if body_id is not None:
            query = query.where(
                exists().where(
                    DeadlineBody.deadline_id == Deadline.id, DeadlineBody.body_id == body_id
                )
            )
        if match:
            pattern = f"%{_escape_like(fold(match))}%"
            query = query.where(
                or_(
                    Project.search_key.like(pattern, escape="\\"),
                    Programme.search_key.like(pattern, escape="\\"),
                    Project.code.ilike(pattern, escape="\\"),
                )
            )
        rows = await self._session.execute(query.limit(limit))
        return [UpcomingDeadline(*row) for row in rows]

    @staticmethod
    def _upcoming_query(start: datetime, end: datetime) -> Select[tuple[object, ...]]:
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
                Programme, Programme.id == func.coalesce(Deadline.programme_id, Project.programme_id)
            )
            .where(
                Deadline.status == DeadlineStatus.OPEN,
                Deadline.due_at >= start,
                Deadline.due_at < end,
            )
            .order_by(Deadline.due_at, Deadline.id)
        )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
