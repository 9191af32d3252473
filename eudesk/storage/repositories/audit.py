"""The append-only audit log: who looked up or changed what, allowed or refused.

Append-only is also enforced by the database (migration 0005): rows cannot be deleted, and an
UPDATE may only complete `detail` (on PostgreSQL, in the inserting transaction) or clear
`actor_user_id` when the user is deleted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.models import AuditEntry, User, utcnow

STREAM_BATCH = 1000  # rows fetched at a time when the log is streamed


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which audit rows to read; every part is optional and they all apply together."""

    since: datetime | None = None  # at >= since
    until: datetime | None = None  # at < until
    user: str | None = None  # a user's name, or an actor as recorded ("cli:ana", "telegram:42")
    action: str | None = None  # a prefix: "passport." matches passport.lookup and passport.set_*
    allowed: bool | None = None  # only allowed (True) or only refused (False) rows
    limit: int | None = None
    skip_id: int | None = None  # the reader's own audit.read row


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One audit row as read back, with the name of the user it was recorded for."""

    id: int
    at: datetime
    actor: str
    user: str | None
    platform: str
    action: str
    target_type: str | None
    target_ref: str | None
    allowed: bool
    detail: str | None


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        *,
        actor: str,
        platform: str,
        action: str,
        allowed: bool,
        actor_user_id: int | None = None,
        target_type: str | None = None,
        target_ref: str | None = None,
        detail: str | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        entry = AuditEntry(
            at=at or utcnow(),
            actor=actor,
            platform=platform,
            action=action,
            allowed=allowed,
            actor_user_id=actor_user_id,
            target_type=target_type,
            target_ref=target_ref,
            detail=detail,
        )
        self._session.add(entry)
        await self._session.flush()
        return entry

    async def recent(self, limit: int = 100) -> Sequence[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        return (await self._session.scalars(query.limit(limit))).all()

    async def stream(
        self, wanted: AuditFilter, *, batch: int = STREAM_BATCH
    ) -> AsyncIterator[AuditLine]:
        """Matching rows, newest first, fetched `batch` at a time: plain rows, not ORM objects,
        so neither the result nor the session's identity map grows with the log."""
        columns = (
            AuditEntry.id, AuditEntry.at, AuditEntry.actor, User.name, AuditEntry.platform,
            AuditEntry.action, AuditEntry.target_type, AuditEntry.target_ref, AuditEntry.allowed,
            AuditEntry.detail,
        )  # fmt: skip
        query = (
            select(*columns)
            .outerjoin(User, User.id == AuditEntry.actor_user_id)
            .where(*_conditions(wanted))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(wanted.limit)
            .execution_options(yield_per=batch)
        )
        result = await self._session.stream(query)
        try:
            async for row in result:
                yield AuditLine(*tuple(row))
        finally:
            await result.close()


def _conditions(wanted: AuditFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.since is not None:
        conditions.append(AuditEntry.at >= wanted.since)
    if wanted.until is not None:
        conditions.append(AuditEntry.at < wanted.until)
    if wanted.user is not None:
        conditions.append(or_(User.name == wanted.user, AuditEntry.actor == wanted.user))
    if wanted.action is not None:
        # autoescape: "_" and "%" in an action name are letters, not LIKE wildcards.
        conditions.append(AuditEntry.action.startswith(wanted.action, autoescape=True))
    if wanted.allowed is not None:
        conditions.append(AuditEntry.allowed.is_(wanted.allowed))
    if wanted.skip_id is not None:
        conditions.append(AuditEntry.id != wanted.skip_id)
    return conditions
