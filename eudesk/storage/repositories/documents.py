"""Queries over passport and visa records (personal data), and the lookup counts that limit them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from eudesk.storage.models import (
    AuditEntry,
    Body,
    DocumentStatus,
    PassportRecord,
    PassportStatusEvent,
    User,
    VisaRecord,
)


@dataclass(frozen=True, slots=True)
class PassportFile:
    """A passport record with its history loaded, and the body its holder works for."""

    record: PassportRecord
    body: Body | None


class DocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def passport(self, reference: str) -> PassportFile | None:
        """The passport record with exactly this reference (callers normalise it), if any."""
        record = await self._session.scalar(
            select(PassportRecord)
            .where(PassportRecord.reference == reference)
            .options(selectinload(PassportRecord.history))
        )
        if record is None:
            return None
        body = None
        if record.body_id is not None:
            body = await self._session.get(Body, record.body_id)
        return PassportFile(record, body)

    async def visa(self, reference: str) -> VisaRecord | None:
        """The visa record with exactly this reference, its history loaded, if any."""
        return await self._session.scalar(
            select(VisaRecord)
            .where(VisaRecord.reference == reference)
            .options(selectinload(VisaRecord.history))
        )

    async def set_passport_status(
        self,
        record: PassportRecord,
        status: DocumentStatus,
        *,
        at: datetime,
        by_user_id: int | None,
        note: str | None,
    ) -> PassportStatusEvent:
        """Move a record (loaded by passport(), so its history is there) to a new status."""
        event = PassportStatusEvent(status=status, at=at, by_user_id=by_user_id, note=note)
        record.history.append(event)
        record.status = status
        await self._session.flush()
        return event

    async def lock_lookups(self, user_id: int) -> None:
        """Hold the caller's users row until the transaction ends, so that one person's lookups
        run one after another: each then counts every lookup committed before it, and concurrent
        requests cannot all pass the rate limit at once. (SQLite emits no FOR UPDATE; there the
        engine's BEGIN IMMEDIATE serialises every writing transaction anyway.)"""
        await self._session.execute(select(User.id).where(User.id == user_id).with_for_update())

    async def lookups_since(
        self,
        actions: Collection[str],
        since: datetime,
        *,
        actor_user_id: int | None,
        actor: str,
    ) -> int:
        """Audited lookups by one user (or, if unknown, one chat identity) at or after `since`.

        Counted from the audit log, not from memory, so every process shares one budget. There is
        no upper bound: a row stamped a little "later" by an instance whose clock runs ahead
        still counts, which errs on the side of limiting.
        """
        query = (
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action.in_(list(actions)), AuditEntry.at >= since)
        )
        if actor_user_id is not None:
            # By user, so one person's Telegram and Slack identities share the budget.
            query = query.where(AuditEntry.actor_user_id == actor_user_id)
        else:
            query = query.where(AuditEntry.actor == actor)
        return int(await self._session.scalar(query) or 0)
