"""The outbox: claim due notifications with a lease, record what became of each, and report."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from eudesk.storage.models import Contact, GuidelineDelivery, OutboxEntry, OutboxState
from eudesk.storage.repositories.broadcasts import GUIDELINE

_ERROR_LENGTH = 500  # OutboxEntry.last_error is String(500)


@dataclass(frozen=True, slots=True)
class DeadEntry:
    """A notification that gave up, as `eudesk outbox status` lists it."""

    id: int
    platform: str
    chat_id: str
    kind: str
    attempts: int
    due_at: datetime
    last_error: str | None


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    counts: dict[OutboxState, int]
    oldest_pending: datetime | None
    dead: list[DeadEntry]


def _clip(error: str | None) -> str | None:
    return None if error is None else error[:_ERROR_LENGTH]


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(
        self,
        now: datetime,
        worker: str,
        limit: int,
        lease: timedelta,
        *,
        platforms: Collection[str] | None = None,
        per_chat: int | None = None,
    ) -> list[OutboxEntry]:
        """Lease up to `limit` due rows, oldest first, to `worker`; the caller commits.

        A chat is served by one worker at a time, so its messages go out in due order: chats with
        a live lease elsewhere are skipped, and so are chats whose earlier rows another claim is
        taking at this very moment (PostgreSQL, where claims run concurrently under SKIP LOCKED).
        `per_chat` caps the rows of one chat per claim, so a busy chat cannot outlast the lease.
        """
        other = aliased(OutboxEntry)
        held_elsewhere = (
            select(other.id)
            .where(
                other.state == OutboxState.LEASED,
                other.platform == OutboxEntry.platform,
                other.chat_id == OutboxEntry.chat_id,
            )
            .exists()
        )
        query = (
            select(OutboxEntry)
            .where(
                OutboxEntry.state == OutboxState.PENDING,
                OutboxEntry.due_at <= now,
                ~held_elsewhere,
            )
            .order_by(OutboxEntry.due_at, OutboxEntry.id)
            .limit(limit)
            # Ignored on SQLite, whose BEGIN IMMEDIATE already serialises claims.
            .with_for_update(skip_locked=True, of=OutboxEntry)
        )
        if platforms is not None:
            query = query.where(OutboxEntry.platform.in_(list(platforms)))
        candidates = list(await self._session.scalars(query))
        if not candidates:
            return []
        blocked = await self._chats_claimed_concurrently(candidates, now)
        taken: list[OutboxEntry] = []
        per_chat_count: dict[tuple[str, str], int] = {}
        for entry in candidates:
            chat = (entry.platform.value, entry.chat_id)
            if chat in blocked:
                continue
            count = per_chat_count.get(chat, 0)
            if per_chat is not None and count >= per_chat:
                continue
            per_chat_count[chat] = count + 1
            taken.append(entry)
        until = now + lease
        for entry in taken:
            entry.state = OutboxState.LEASED
            entry.lease_until = until
            entry.leased_by = worker
        await self._session.flush()
        return taken

    async def _chats_claimed_concurrently(
        self, candidates: Sequence[OutboxEntry], now: datetime
    ) -> set[tuple[str, str]]:
        """Chats with an earlier due row (or a lease) that is not among the candidates.

        Such a row is being claimed by a concurrent transaction (SKIP LOCKED passed over it) or
        was leased since our snapshot; sending our later rows now could overtake it.
        """
        first: dict[tuple[str, str], tuple[datetime, int]] = {}
        for entry in candidates:
            first.setdefault((entry.platform.value, entry.chat_id), (entry.due_at, entry.id))
        ours = {entry.id for entry in candidates}
        latest = max(entry.due_at for entry in candidates)
        rows = await self._session.execute(
            select(
                OutboxEntry.id,
                OutboxEntry.platform,
                OutboxEntry.chat_id,
                OutboxEntry.state,
                OutboxEntry.due_at,
            ).where(
                OutboxEntry.chat_id.in_({chat_id for _, chat_id in first}),
                (OutboxEntry.state == OutboxState.LEASED)
                | ((OutboxEntry.state == OutboxState.PENDING) & (OutboxEntry.due_at <= latest)),
            )
        )
        blocked: set[tuple[str, str]] = set()
        for row_id, platform, chat_id, state, due_at in rows:
            chat = (platform.value, chat_id)
            if row_id in ours or chat not in first:
                continue
            if state == OutboxState.LEASED or (due_at, row_id) < first[chat]:
                blocked.add(chat)
        return blocked

    async def mark_sent(self, entry_id: int, message_id: str, now: datetime) -> None:
        """Delivered: recorded whatever happened to the row meanwhile, since the chat has it.

        A guideline's own notification also stamps its delivery as sent: the reminder to
        acknowledge counts its working days from then.
        """
        result = await self._session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id == entry_id)
            .values(
                state=OutboxState.SENT,
                message_id=message_id,
                sent_at=now,
                lease_until=None,
                leased_by=None,
            )
            .returning(OutboxEntry.kind, OutboxEntry.item_id, OutboxEntry.contact_id)
        )
        row = result.first()
        if row is None or row.kind != GUIDELINE or row.item_id is None or row.contact_id is None:
            return
        await self._session.execute(
            update(GuidelineDelivery)
            .where(
                GuidelineDelivery.guideline_id == row.item_id,
                GuidelineDelivery.contact_id == row.contact_id,
                GuidelineDelivery.sent_at.is_(None),
            )
            .values(sent_at=now)
        )

    async def reschedule(
        self, entry_id: int, due_at: datetime, error: str | None, count_attempt: bool
    ) -> None:
        """Back to pending at `due_at`; `error=None` keeps the last error as it was."""
        values: dict[str, object] = {
            "state": OutboxState.PENDING,
            "due_at": due_at,
            "lease_until": None,
            "leased_by": None,
        }
        if error is not None:
            values["last_error"] = _clip(error)
        if count_attempt:
            values["attempts"] = OutboxEntry.attempts + 1
        await self._session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id == entry_id, OutboxEntry.state == OutboxState.LEASED)
            .values(**values)
        )

    async def defer_chat(
        self, platform: str, chat_id: str, behind: int, due_at: datetime, worker: str
    ) -> int:
        """Move the chat's other rows due before `due_at` just behind it, in their order.

        When row `behind` is retried at `due_at`, its chat's later rows (pending, or leased to
        `worker` in the same batch) must not overtake it; a microsecond apart keeps their order.
        """
        rows = await self._session.scalars(
            select(OutboxEntry.id)
            .where(
                OutboxEntry.platform == platform,
                OutboxEntry.chat_id == chat_id,
                OutboxEntry.id != behind,
                OutboxEntry.due_at < due_at,
                (OutboxEntry.state == OutboxState.PENDING)
                | ((OutboxEntry.state == OutboxState.LEASED) & (OutboxEntry.leased_by == worker)),
            )
            .order_by(OutboxEntry.due_at, OutboxEntry.id)
        )
        ids = list(rows)
        if not ids:
            return 0
        step = timedelta(microseconds=1)
        new_due = case(
            {row_id: due_at + step * n for n, row_id in enumerate(ids, start=1)},
            value=OutboxEntry.id,
        )
        await self._session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id.in_(ids))
            .values(state=OutboxState.PENDING, due_at=new_due, lease_until=None, leased_by=None)
        )
        return len(ids)

    async def mark_dead(self, entry_id: int, error: str, *, count_attempt: bool = True) -> None:
        values: dict[str, object] = {
            "state": OutboxState.DEAD,
            "last_error": _clip(error),
            "lease_until": None,
            "leased_by": None,
        }
        if count_attempt:
            values["attempts"] = OutboxEntry.attempts + 1
        await self._session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id == entry_id, OutboxEntry.state == OutboxState.LEASED)
            .values(**values)
        )

    async def cancel_chat(self, platform: str, chat_id: str) -> int:
        """Cancel every row still to be sent to a chat (pending, or leased by anyone)."""
        result = await self._session.execute(
            update(OutboxEntry)
            .where(
                OutboxEntry.platform == platform,
                OutboxEntry.chat_id == chat_id,
                OutboxEntry.state.in_([OutboxState.PENDING, OutboxState.LEASED]),
            )
            .values(state=OutboxState.CANCELLED, lease_until=None, leased_by=None)
        )
        return _rowcount(result)

    async def deactivate_contact(self, contact_id: int) -> None:
        await self._session.execute(
            update(Contact).where(Contact.id == contact_id).values(active=False)
        )

    async def reap(self, now: datetime) -> int:
        """Rows whose lease ran out (their worker died or stalled) go back to pending."""
        result = await self._session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.state == OutboxState.LEASED, OutboxEntry.lease_until < now)
            .values(state=OutboxState.PENDING, lease_until=None, leased_by=None)
        )
        return _rowcount(result)

    async def status(self, *, dead_limit: int = 50) -> OutboxStatus:
        rows = await self._session.execute(
            select(OutboxEntry.state, func.count()).group_by(OutboxEntry.state)
        )
        counts = {state: 0 for state in OutboxState}
        counts.update({state: count for state, count in rows})
        dead = await self._session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.state == OutboxState.DEAD)
            .order_by(OutboxEntry.due_at.desc(), OutboxEntry.id.desc())
            .limit(dead_limit)
        )
        return OutboxStatus(
            counts=counts,
            oldest_pending=await self._oldest_pending(),
            dead=[
                DeadEntry(
                    id=e.id,
                    platform=e.platform.value,
                    chat_id=e.chat_id,
                    kind=e.kind,
                    attempts=e.attempts,
                    due_at=e.due_at,
                    last_error=e.last_error,
                )
                for e in dead
            ],
        )

    async def _oldest_pending(self) -> datetime | None:
        # ORDER BY + LIMIT rather than min(): the column's type then turns the value back into
        # an aware datetime on SQLite too, and the (state, due_at) index answers it.
        return await self._session.scalar(
            select(OutboxEntry.due_at)
            .where(OutboxEntry.state == OutboxState.PENDING)
            .order_by(OutboxEntry.due_at)
            .limit(1)
        )

    async def retry(self, ids: Sequence[int] = (), *, all_dead: bool = False, now: datetime) -> int:
        """Dead rows (the given ones, or all) go back to pending, due now, with fresh attempts."""
        if not ids and not all_dead:
            return 0
        query = update(OutboxEntry).where(OutboxEntry.state == OutboxState.DEAD)
        if not all_dead:
            query = query.where(OutboxEntry.id.in_(list(ids)))
        result = await self._session.execute(
            query.values(state=OutboxState.PENDING, due_at=now, attempts=0)
        )
        return _rowcount(result)


def _rowcount(result: object) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0
