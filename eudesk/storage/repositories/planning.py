"""The reminder planner's queries: due items per topic, outbox inserts that dedupe, stale rows."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Exists,
    Select,
    String,
    and_,
    any_,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute, aliased

from eudesk.storage.models import (
    Body,
    Chapter,
    Cluster,
    Contact,
    Deadline,
    DeadlineBody,
    DeadlineKind,
    DeadlineStatus,
    Meeting,
    MeetingStatus,
    OutboxEntry,
    OutboxState,
    Platform,
    Programme,
    Project,
    Subscription,
    SubscriptionTopic,
    User,
)
from eudesk.storage.repositories.outbox_rows import insert_new

REMINDER = "reminder"
CANCELLATION = "cancellation"
DIGEST = "digest"  # an outbox kind: one message listing what is coming
DEADLINE = "deadline"
MEETING = "meeting"
# Bound parameters per statement stay far below SQLite's 32766 and asyncpg's 32767.
_BATCH = 500
AnySelect = Select[*tuple[Any, ...]]
Key = ColumnElement[Any] | QueryableAttribute[Any]  # the topic key a row matched on


@dataclass(frozen=True, slots=True)
class ReminderSlot:
    """One chat's reminder of one version of an item, in one minute (UTC, seconds dropped)."""

    platform: Platform
    chat_id: str
    item_type: str | None
    item_id: int | None
    item_version: int | None
    minute: datetime


@dataclass(frozen=True, slots=True)
class DueItem:
    """A deadline or a meeting, with what a reminder about it shows."""

    item_type: str
    id: int
    version: int
    moment: datetime  # due_at of a deadline, starts_at of a meeting (UTC)
    ref: str
    title: str
    kind: str | None = None
    project_code: str | None = None
    project_acronym: str | None = None
    programme_code: str | None = None
    programme_name: str | None = None
    ends_at: datetime | None = None
    place: str | None = None
    agenda: str | None = None
    chapter_number: int | None = None
    cluster_number: int | None = None


@dataclass(frozen=True, slots=True)
class OverdueReminder:
    """A pending reminder whose moment has come (the planner keeps one per item and recipient)."""

    id: int
    dedupe_key: str
    subscription_id: int | None
    item_type: str | None
    item_id: int | None
    item_version: int | None
    due_at: datetime


_programme = aliased(Programme)  # the deadline's programme: its own, else its project's
_programme_of_deadline = func.coalesce(Deadline.programme_id, Project.programme_id)
_DEADLINE_COLUMNS = (
    Deadline.id, Deadline.version, Deadline.due_at, Deadline.ref, Deadline.title, Deadline.kind,
    Project.code, Project.acronym, _programme.code, _programme.name,
)  # fmt: skip
_MEETING_COLUMNS = (
    Meeting.id, Meeting.version, Meeting.starts_at, Meeting.ref, Meeting.title, Meeting.ends_at,
    Meeting.place, Meeting.agenda, Meeting.chapter_number,
    func.coalesce(Meeting.cluster_number, Chapter.cluster_number),
)  # fmt: skip
ITEM_TOPICS = (
    SubscriptionTopic.BODY_DEADLINES,
    SubscriptionTopic.PROJECT_DEADLINES,
    SubscriptionTopic.PROGRAMME_DEADLINES,
    SubscriptionTopic.CALLS,
    SubscriptionTopic.CHAPTER_MEETINGS,
    SubscriptionTopic.CLUSTER_MEETINGS,
)
# The topics a digest replaces: a chat with a digest gets these in it, not one by one.
DEADLINE_TOPICS = (
    SubscriptionTopic.BODY_DEADLINES,
    SubscriptionTopic.PROJECT_DEADLINES,
    SubscriptionTopic.PROGRAMME_DEADLINES,
    SubscriptionTopic.CALLS,
)


@dataclass(frozen=True, slots=True)
class DigestSubscription:
    """A digest subscription and the code of its recipient's body (the fallback content)."""

    subscription: Subscription
    body_code: str | None


def _deadline_item(row: Sequence[Any]) -> DueItem:
    return DueItem(DEADLINE, row[0], row[1], row[2], row[3], row[4], str(row[5]), *row[6:10])


def _meeting_item(row: Sequence[Any]) -> DueItem:
    ident, version, starts, ref, title, ends, place, agenda, chapter, cluster = row
    return DueItem(MEETING, ident, version, starts, ref, title, ends_at=ends, place=place,
                   agenda=agenda, chapter_number=chapter, cluster_number=cluster)  # fmt: skip


def _deadlines(key: Key, status: DeadlineStatus, start: datetime, end: datetime
               ) -> AnySelect:  # fmt: skip
    # Driven by the due_at range (indexed with status): what is due, not what exists.
    return (
        select(key, *_DEADLINE_COLUMNS)
        .select_from(Deadline)
        .outerjoin(Project, Project.id == Deadline.project_id)
        .outerjoin(_programme, _programme.id == _programme_of_deadline)
        .where(Deadline.status == status, Deadline.due_at > start, Deadline.due_at <= end)
        .order_by(Deadline.id)
    )


def _meetings(key: Key, status: MeetingStatus, start: datetime, end: datetime
              ) -> AnySelect:  # fmt: skip
    return (
        select(key, *_MEETING_COLUMNS)
        .select_from(Meeting)
        .outerjoin(Chapter, Chapter.number == Meeting.chapter_number)
        .where(Meeting.status == status, Meeting.starts_at > start, Meeting.starts_at <= end)
        .order_by(Meeting.id)
    )


def _has_digest() -> Exists:
    """True for a Subscription row whose chat has an active digest (of an active contact)."""
    digest, owner = aliased(Subscription), aliased(Contact)
    return (
        select(digest.id)
        .outerjoin(owner, owner.id == digest.contact_id)
        .where(
            digest.platform == Subscription.platform,
            digest.chat_id == Subscription.chat_id,
            digest.topic == SubscriptionTopic.DIGEST,
            digest.active.is_(True),
            or_(digest.contact_id.is_(None), owner.active.is_(True)),
        )
        .exists()
    )


def _replaced_by_digest() -> ColumnElement[bool]:
    return and_(Subscription.topic.in_(DEADLINE_TOPICS), _has_digest())


class PlanningRepository:
    """Queries for the planner, on one session; `dialect` picks the INSERT ... ON CONFLICT."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def subscriptions(self, after_id: int, limit: int) -> list[Subscription]:
        """Active item subscriptions (of active contacts) with id > after_id, by id: a chunk.

        Deadline topics of a chat with a digest are left out: the digest lists those items.
        """
        rows = await self._session.scalars(
            select(Subscription)
            .outerjoin(Contact, Contact.id == Subscription.contact_id)
            .where(
                Subscription.id > after_id,
                Subscription.active.is_(True),
                Subscription.topic.in_(ITEM_TOPICS),
                or_(Subscription.contact_id.is_(None), Contact.active.is_(True)),
                ~_replaced_by_digest(),
            )
            .order_by(Subscription.id)
            .limit(limit)
        )
        return list(rows)

    async def subscriptions_by_id(self, ids: Collection[int]) -> dict[int, Subscription]:
        if not ids:
            return {}
        rows = await self._session.scalars(
            select(Subscription).where(Subscription.id.in_(ids), Subscription.active.is_(True))
        )
        return {sub.id: sub for sub in rows}

    async def digest_subscriptions(self, after_id: int, limit: int) -> list[DigestSubscription]:
        """Active digest subscriptions (of active contacts) with id > after_id, by id: a chunk;
        each with its contact's body, else its user's."""
        body_id = func.coalesce(Contact.body_id, User.body_id)
        rows = await self._session.execute(
            select(Subscription, Body.code)
            .outerjoin(Contact, Contact.id == Subscription.contact_id)
            .outerjoin(User, User.id == Subscription.user_id)
            .outerjoin(Body, Body.id == body_id)
            .where(
                Subscription.id > after_id,
                Subscription.active.is_(True),
                Subscription.topic == SubscriptionTopic.DIGEST,
                or_(Subscription.contact_id.is_(None), Contact.active.is_(True)),
            )
            .order_by(Subscription.id)
            .limit(limit)
        )
        return [DigestSubscription(sub, code) for sub, code in rows]

    async def item_subscriptions_of_chats(self, chat_ids: Collection[str]) -> list[Subscription]:
        """Active item subscriptions (of active contacts) of these chats, on any platform."""
        if not chat_ids:
            return []
        rows = await self._session.scalars(
            select(Subscription)
            .outerjoin(Contact, Contact.id == Subscription.contact_id)
            .where(
                Subscription.chat_id.in_(chat_ids),
                Subscription.active.is_(True),
                Subscription.topic.in_(ITEM_TOPICS),
                or_(Subscription.contact_id.is_(None), Contact.active.is_(True)),
            )
            .order_by(Subscription.id)
        )
        return list(rows)

    async def analyze_outbox(self) -> None:
        """Refresh the outbox's statistics (PostgreSQL): after a tick that added thousands of
        rows to a table last analysed near empty, the server would otherwise plan the next
        ticks' lookups as scans of a tiny table until autovacuum got round to it."""
        if self._dialect == "postgresql":
            await self._session.execute(text("ANALYZE outbox"))

    async def existing_keys(self, keys: Collection[str]) -> set[str]:
        """Those of `keys` that an outbox row already has, in whatever state."""
        wanted = sorted(set(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start : start + _BATCH]
            if self._dialect == "postgresql":
                # One array parameter rather than 500 scalar ones: less to render and send
                # (rendering the binds was a tenth of a steady tick).
                match = OutboxEntry.dedupe_key == any_(cast(literal(batch), ARRAY(String)))
            else:
                match = OutboxEntry.dedupe_key.in_(batch)
            found.update(await self._session.scalars(select(OutboxEntry.dedupe_key).where(match)))
        return found

    async def reminder_slots(
        self, items: Collection[tuple[str, int]], start: datetime, end: datetime
    ) -> set[ReminderSlot]:
        """The (chat, item, version, minute) of reminders not cancelled, of these items, due
        in the minutes from `start` to `end`: a new row in one of them would say it again."""
        low = start.replace(second=0, microsecond=0)
        high = end.replace(second=0, microsecond=0) + timedelta(minutes=1)
        found: set[ReminderSlot] = set()
        for item_type in sorted({item_type for item_type, _ in items}):
            ids = sorted({ident for kind, ident in items if kind == item_type})
            for first in range(0, len(ids), _BATCH):
                rows = await self._session.execute(
                    select(OutboxEntry.platform, OutboxEntry.chat_id, OutboxEntry.item_type,
                           OutboxEntry.item_id, OutboxEntry.item_version, OutboxEntry.due_at)
                    .where(
                        OutboxEntry.state != OutboxState.CANCELLED,
                        OutboxEntry.due_at >= low,
                        OutboxEntry.due_at < high,
                        OutboxEntry.kind == REMINDER,
                        OutboxEntry.item_type == item_type,
                        OutboxEntry.item_id.in_(ids[first : first + _BATCH]),
                    )
                )  # fmt: skip
                for platform, chat, kind, ident, version, due in rows:
                    minute = due.replace(second=0, microsecond=0)
                    found.add(ReminderSlot(platform, chat, kind, ident, version, minute))
        return found

    async def stale_digests(self, before: datetime) -> list[int]:
        """Pending digests planned before `before` (an earlier day's: old news by now)."""
        rows = await self._session.scalars(
            select(OutboxEntry.id)
            .where(
                OutboxEntry.state == OutboxState.PENDING,
                OutboxEntry.due_at < before,
                OutboxEntry.kind == DIGEST,
            )
            .order_by(OutboxEntry.id)
            .with_for_update(skip_locked=True)
        )
        return list(rows)

    async def due_items(
        self,
        topic: SubscriptionTopic,
        keys: Collection[str],
        start: datetime,
        end: datetime,
        *,
        cancelled: bool = False,
    ) -> list[tuple[str, DueItem]]:
        """(topic key, item) for open deadlines / scheduled meetings in (start, end]; with
        `cancelled`, the cancelled ones instead (a calendar feed shows them as cancelled)."""
        open_, scheduled = DeadlineStatus.OPEN, MeetingStatus.SCHEDULED
        if cancelled:
            open_, scheduled = DeadlineStatus.CANCELLED, MeetingStatus.CANCELLED
        match topic:
            case SubscriptionTopic.BODY_DEADLINES:
                query = (
                    _deadlines(Body.code, open_, start, end)
                    .join(DeadlineBody, DeadlineBody.deadline_id == Deadline.id)
                    .join(Body, Body.id == DeadlineBody.body_id)
                    .where(Body.code.in_(keys))
                )
            case SubscriptionTopic.PROJECT_DEADLINES:
                query = _deadlines(Project.code, open_, start, end).where(Project.code.in_(keys))
            case SubscriptionTopic.PROGRAMME_DEADLINES:
                matched = aliased(Programme)
                on = or_(matched.id == Deadline.programme_id, matched.id == Project.programme_id)
                query = (
                    _deadlines(matched.code, open_, start, end)
                    .join(matched, on)
                    .where(matched.code.in_(keys))
                )
            case SubscriptionTopic.CALLS:
                query = _deadlines(literal(""), open_, start, end).where(
                    Deadline.kind == DeadlineKind.CALL
                )
            case SubscriptionTopic.CHAPTER_MEETINGS:
                numbers = _numbers(keys)
                query = _meetings(Meeting.chapter_number, scheduled, start, end).where(
                    Meeting.chapter_number.in_(numbers)
                )
            case SubscriptionTopic.CLUSTER_MEETINGS:
                on = or_(
                    Cluster.number == Meeting.cluster_number,
                    Cluster.number == Chapter.cluster_number,
                )
                query = (
                    _meetings(Cluster.number, scheduled, start, end)
                    .join(Cluster, on)
                    .where(Cluster.number.in_(_numbers(keys)))
                )
            case _:
                return []
        meeting = topic in (SubscriptionTopic.CHAPTER_MEETINGS, SubscriptionTopic.CLUSTER_MEETINGS)
        make = _meeting_item if meeting else _deadline_item
        return [(str(row[0]), make(row[1:])) for row in await self._session.execute(query)]

    async def cancelled_items(self, start: datetime, end: datetime) -> list[DueItem]:
        """Cancelled deadlines and meetings whose moment is in (start, end]."""
        deadlines = await self._session.execute(
            _deadlines(literal(""), DeadlineStatus.CANCELLED, start, end)
        )
        meetings = await self._session.execute(
            _meetings(literal(""), MeetingStatus.CANCELLED, start, end)
        )
        return [_deadline_item(row[1:]) for row in deadlines] + [
            _meeting_item(row[1:]) for row in meetings
        ]

    async def reminded(
        self, item_type: str, item_ids: Collection[int], since: datetime
    ) -> list[tuple[int, int]]:
        """(subscription id, item id) pairs with a sent reminder due since `since`."""
        if not item_ids:
            return []
        rows = await self._session.execute(
            select(OutboxEntry.subscription_id, OutboxEntry.item_id)
            .where(
                # (state, due_at) is indexed: the range keeps this to recent history.
                OutboxEntry.state == OutboxState.SENT,
                OutboxEntry.due_at >= since,
                OutboxEntry.kind == REMINDER,
                OutboxEntry.item_type == item_type,
                OutboxEntry.item_id.in_(item_ids),
                OutboxEntry.subscription_id.is_not(None),
            )
            .distinct()
        )
        return [(sub, item) for sub, item in rows if sub is not None and item is not None]

    async def stale_reminders(self, now: datetime) -> list[int]:
        """Pending reminders that must not go out: their item moved (older version), is no
        longer open or scheduled, is gone or has passed; or their subscription ended; or, for a
        deadline, the chat has a digest now."""
        ids: list[int] = []
        for item_type, model, moment, status, replaced in (
            (DEADLINE, Deadline, Deadline.due_at, Deadline.status != DeadlineStatus.OPEN,
             _replaced_by_digest()),
            (MEETING, Meeting, Meeting.starts_at, Meeting.status != MeetingStatus.SCHEDULED,
             false()),
        ):  # fmt: skip
            query = (
                select(OutboxEntry.id)
                .outerjoin(model, model.id == OutboxEntry.item_id)
                .outerjoin(Subscription, Subscription.id == OutboxEntry.subscription_id)
                .where(
                    # Pending rows are only those planned ahead: bounded by what is due.
                    OutboxEntry.state == OutboxState.PENDING,
                    OutboxEntry.kind == REMINDER,
                    OutboxEntry.item_type == item_type,
                    or_(
                        model.id.is_(None),
                        status,
                        model.version != OutboxEntry.item_version,
                        moment <= now,
                        Subscription.id.is_(None),
                        Subscription.active.is_(False),
                        replaced,
                    ),
                )
                .order_by(OutboxEntry.id)
                # A row a dispatcher or another planner holds is skipped, never waited for.
                .with_for_update(skip_locked=True, of=OutboxEntry)
            )
            ids += await self._session.scalars(query)
        return ids

    async def overdue_reminders(self, now: datetime) -> list[OverdueReminder]:
        """Pending reminders due by now (after downtime there may be several per item)."""
        rows = await self._session.execute(
            select(
                OutboxEntry.id,
                OutboxEntry.dedupe_key,
                OutboxEntry.subscription_id,
                OutboxEntry.item_type,
                OutboxEntry.item_id,
                OutboxEntry.item_version,
                OutboxEntry.due_at,
            )
            .where(
                OutboxEntry.state == OutboxState.PENDING,
                OutboxEntry.due_at <= now,
                OutboxEntry.kind == REMINDER,
            )
            .order_by(OutboxEntry.id)
            .with_for_update(skip_locked=True)
        )
        return [OverdueReminder(*row) for row in rows]

    async def cancel(self, ids: Iterable[int]) -> int:
        """Mark pending rows cancelled; returns how many were still pending."""
        wanted = sorted(set(ids))
        done = 0
        for start in range(0, len(wanted), _BATCH):
            result = await self._session.execute(
                update(OutboxEntry)
                .where(
                    OutboxEntry.id.in_(wanted[start : start + _BATCH]),
                    OutboxEntry.state == OutboxState.PENDING,
                )
                .values(state=OutboxState.CANCELLED)
                .returning(OutboxEntry.id)
            )
            done += len(result.all())
        return done

    async def insert(self, rows: Iterable[dict[str, Any]]) -> int:
        """Insert outbox rows, skipping those whose dedupe key exists; how many were new."""
        return await insert_new(self._session, rows)


def _numbers(keys: Collection[str]) -> list[int]:
    """Chapter or cluster numbers from topic keys; a key that is not a number matches nothing."""
    return [int(key) for key in keys if key.strip().isdigit()]
