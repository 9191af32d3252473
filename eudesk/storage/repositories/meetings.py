"""Queries over negotiating-group meetings, chapters and clusters, and a calendar's deadlines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from eudesk.storage.models import (
    Chapter,
    Cluster,
    Deadline,
    DeadlineBody,
    DeadlineKind,
    DeadlineStatus,
    GroupMember,
    Meeting,
    MeetingStatus,
    NegotiatingGroup,
    Project,
)

# Meeting ids are 32-bit integers on PostgreSQL; a larger number cannot name one (and would fail).
MAX_ID = 2**31 - 1
UPCOMING = (MeetingStatus.SCHEDULED,)


@dataclass(frozen=True, slots=True)
class CalendarDeadline:
    """What a calendar entry needs of a deadline, including its version for SEQUENCE."""

    id: int
    ref: str
    kind: DeadlineKind
    title: str
    due_at: datetime
    version: int
    project_code: str | None
    project_acronym: str | None


_CALENDAR_COLUMNS = (
    Deadline.id, Deadline.ref, Deadline.kind, Deadline.title, Deadline.due_at, Deadline.version,
    Project.code, Project.acronym,
)  # fmt: skip


class MeetingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def upcoming(
        self,
        now: datetime,
        until: datetime,
        *,
        chapter: int | None = None,
        cluster: int | None = None,
        statuses: Iterable[MeetingStatus] = UPCOMING,
        limit: int = 20,
    ) -> list[Meeting]:
        """Meetings starting in [now, until), soonest first, with their chapter loaded."""
        query = self._window(now, until, statuses)
        if chapter is not None:
            query = query.where(Meeting.chapter_number == chapter)
        if cluster is not None:
            query = query.where(_in_cluster(cluster))
        return list(await self._session.scalars(query.limit(limit)))

    async def for_contact(
        self,
        contact_id: int,
        now: datetime,
        until: datetime,
        *,
        chapter: int | None = None,
        cluster: int | None = None,
        statuses: Iterable[MeetingStatus] = UPCOMING,
        limit: int = 200,
    ) -> list[Meeting]:
        """Meetings of the groups the contact sits in, and of those chapters' clusters."""
        chapters = (
            select(NegotiatingGroup.chapter_number)
            .join(GroupMember, GroupMember.group_id == NegotiatingGroup.id)
            .where(GroupMember.contact_id == contact_id)
        )
        clusters = select(Chapter.cluster_number).where(
            Chapter.number.in_(chapters), Chapter.cluster_number.is_not(None)
        )
        # A cluster's coordination meeting has no chapter, yet concerns every group in it.
        query = self._window(now, until, statuses).where(
            or_(
                Meeting.chapter_number.in_(chapters),
                (Meeting.chapter_number.is_(None) & Meeting.cluster_number.in_(clusters)),
            )
        )
        if chapter is not None:
            query = query.where(Meeting.chapter_number == chapter)
        if cluster is not None:
            query = query.where(_in_cluster(cluster))
        return list(await self._session.scalars(query.limit(limit)))

    async def concerns_contact(self, meeting: Meeting, contact_id: int) -> bool:
        """Whether the contact sits in the meeting's group (or, for a cluster meeting, in one of
        that cluster's groups): the same rule as for_contact, for one meeting."""
        chapters = set(
            await self._session.scalars(
                select(NegotiatingGroup.chapter_number)
                .join(GroupMember, GroupMember.group_id == NegotiatingGroup.id)
                .where(GroupMember.contact_id == contact_id)
            )
        )
        if meeting.chapter_number is not None:
            return meeting.chapter_number in chapters
        if meeting.cluster_number is None or not chapters:
            return False
        in_cluster = await self._session.scalar(
            select(Chapter.number)
            .where(Chapter.number.in_(chapters), Chapter.cluster_number == meeting.cluster_number)
            .limit(1)
        )
        return in_cluster is not None

    async def get(self, id_or_ref: str) -> Meeting | None:
        """A meeting by its number or its reference (any case), with its chapter loaded."""
        key = id_or_ref.strip()
        if key.isdigit():
            number = int(key)
            if not 0 < number <= MAX_ID:
                return None
            condition: ColumnElement[bool] = Meeting.id == number
        else:
            condition = func.upper(Meeting.ref) == key.upper()
        query = select(Meeting).options(selectinload(Meeting.chapter)).where(condition)
        return await self._session.scalar(query)

    async def chapters(self) -> dict[int, Chapter]:
        """The 35 chapters by number."""
        return {c.number: c for c in await self._session.scalars(select(Chapter))}

    async def clusters(self) -> dict[int, Cluster]:
        """The six clusters by number (a meeting has no relationship to its cluster)."""
        return {c.number: c for c in await self._session.scalars(select(Cluster))}

    async def calendar_deadlines(
        self, now: datetime, until: datetime, *, body_id: int | None = None, limit: int = 500
    ) -> list[CalendarDeadline]:
        """Open deadlines due in [now, until), soonest first; only a body's when body_id is set."""
        query = (
            select(*_CALENDAR_COLUMNS)
            .outerjoin(Project, Project.id == Deadline.project_id)
            .where(
                Deadline.status == DeadlineStatus.OPEN,
                Deadline.due_at >= now,
                Deadline.due_at < until,
            )
            .order_by(Deadline.due_at, Deadline.id)
        )
        if body_id is not None:
            query = query.where(
                exists().where(
                    DeadlineBody.deadline_id == Deadline.id, DeadlineBody.body_id == body_id
                )
            )
        rows = await self._session.execute(query.limit(limit))
        return [CalendarDeadline(*row) for row in rows]

    @staticmethod
    def _window(
        now: datetime, until: datetime, statuses: Iterable[MeetingStatus]
    ) -> Select[Meeting]:
        return (
            select(Meeting)
            .options(selectinload(Meeting.chapter))
            .where(
                Meeting.starts_at >= now,
                Meeting.starts_at < until,
                Meeting.status.in_(list(statuses)),
            )
            .order_by(Meeting.starts_at, Meeting.id)
        )


def _in_cluster(cluster: int) -> ColumnElement[bool]:
    """A meeting of the cluster itself, or of one of its chapters."""
    chapters = select(Chapter.number).where(Chapter.cluster_number == cluster)
    return or_(Meeting.cluster_number == cluster, Meeting.chapter_number.in_(chapters))
