"""Broadcast drafts: the stored preview a Send button points at, claimed once by one UPDATE."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.models import BroadcastDraft, Guideline, Locale

TOKEN_BYTES = 16  # secrets.token_urlsafe(16): 22 characters, 128 random bits
KEPT_AFTER_EXPIRY = timedelta(days=30)  # an old button still says "expired", not "unknown"


@dataclass(frozen=True, slots=True)
class SendCounts:
    """What a Send did: new messages, contacts who had it already, contacts with no chat."""

    queued: int
    already: int
    unreachable: int


def _ids(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


class DraftRepository:
    """Broadcast drafts on one session (one transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(
        self,
        *,
        guideline_id: int,
        author_user_id: int,
        body_ids: Sequence[int],
        contact_ids: Sequence[int],
        targets: str,
        text: str,
        locale: Locale,
        now: datetime,
        lifetime: timedelta,
    ) -> BroadcastDraft:
        """A new draft with a fresh random token; drafts long expired are dropped on the way."""
        await self._session.execute(
            delete(BroadcastDraft).where(BroadcastDraft.expires_at < now - KEPT_AFTER_EXPIRY)
        )
        draft = BroadcastDraft(
            token=secrets.token_urlsafe(TOKEN_BYTES),
            guideline_id=guideline_id,
            author_user_id=author_user_id,
            body_ids=",".join(str(i) for i in body_ids),
            contact_ids=",".join(str(i) for i in contact_ids),
            targets=targets[:400],
            text=text,
            locale=locale,
            expires_at=now + lifetime,
            created_at=now,
        )
        self._session.add(draft)
        await self._session.flush()
        return draft

    async def by_token(self, token: str) -> BroadcastDraft | None:
        if not token or len(token) > 32:
            return None
        return await self._session.scalar(
            select(BroadcastDraft).where(BroadcastDraft.token == token)
        )

    async def claim(self, draft_id: int, author_user_id: int, now: datetime) -> bool:
        """Mark the draft sent, if it is its author's, unexpired and not sent yet. One UPDATE:
        of two presses (two chats, two platforms, two processes) exactly one gets True; on
        PostgreSQL the second waits for the first's commit and then finds sent_at set."""
        result = await self._session.execute(
            update(BroadcastDraft)
            .where(
                BroadcastDraft.id == draft_id,
                BroadcastDraft.author_user_id == author_user_id,
                BroadcastDraft.sent_at.is_(None),
                BroadcastDraft.expires_at > now,
            )
            .values(sent_at=now)
            .execution_options(synchronize_session=False)
        )
        return isinstance(result, CursorResult) and result.rowcount == 1

    async def record(self, draft_id: int, counts: SendCounts) -> None:
        """What the claimed Send did, for the answer to a second press."""
        await self._session.execute(
            update(BroadcastDraft)
            .where(BroadcastDraft.id == draft_id)
            .values(queued=counts.queued, already=counts.already, unreachable=counts.unreachable)
            .execution_options(synchronize_session=False)
        )

    async def reload(self, draft_id: int) -> BroadcastDraft | None:
        """The draft as the database has it now (after another press claimed it)."""
        return await self._session.scalar(
            select(BroadcastDraft)
            .where(BroadcastDraft.id == draft_id)
            .execution_options(populate_existing=True)
        )

    @staticmethod
    def body_ids(draft: BroadcastDraft) -> list[int]:
        return _ids(draft.body_ids)

    @staticmethod
    def contact_ids(draft: BroadcastDraft) -> list[int]:
        return _ids(draft.contact_ids)

    async def guideline(self, draft: BroadcastDraft) -> Guideline | None:
        return await self._session.get(Guideline, draft.guideline_id)
