"""The append-only audit log: who looked up or changed what, allowed or refused."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.models import AuditEntry, utcnow


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
