"""Guideline broadcasts: who a target names, one delivery and one outbox row per contact, and who
acknowledged."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.models import (
    Body,
    BodyKind,
    Contact,
    Guideline,
    GuidelineAudience,
    OutboxEntry,
    OutboxState,
    Platform,
    Subscription,
    SubscriptionTopic,
)
from eudesk.storage.models import GuidelineDelivery as Delivery
from eudesk.storage.repositories.bodies import AmbiguousBody, BodyRepository
from eudesk.storage.repositories.outbox_rows import insert_new
from eudesk.storage.text import fold

GUIDELINE = "guideline"  # outbox kind: the guideline itself, with an Acknowledge button
GUIDELINE_REMINDER = "guideline_reminder"  # outbox kind: one reminder to acknowledge it
ALL_LSGU = "all-lsgu"
PROVINCIAL = "provincial"
ALL = "all"
AUDIENCE_TARGETS = {
    GuidelineAudience.ALL: ALL,
    GuidelineAudience.ALL_LSGU: ALL_LSGU,
    GuidelineAudience.PROVINCIAL: PROVINCIAL,
}
# What people type for the three audiences, folded (sr-Latn, sr-Cyrl folds to Latin, hu, en).
TARGET_WORDS = {
    **dict.fromkeys(("all-lsgu", "all_lsgu", "lsgu", "jls", "sve-jls", "onkormanyzatok"), ALL_LSGU),
    **dict.fromkeys(("provincial", "pokrajinski", "pokrajina", "tartomanyi"), PROVINCIAL),
    **dict.fromkeys(("all", "svi", "sve", "mind", "osszes"), ALL),
}
_PROVINCIAL_KINDS = (BodyKind.PROVINCIAL_SECRETARIAT, BodyKind.PROVINCIAL_BODY)
_LSGU_KINDS = (BodyKind.CITY, BodyKind.MUNICIPALITY)
_BATCH = 500  # rows per INSERT: far below either driver's bound-parameter limit

Progress = Callable[[int], None]  # called with how many more contacts were handled


@dataclass(frozen=True, slots=True)
class BroadcastReport:
    """What a broadcast did: contacts reached, queued now, queued before, with no chat at all."""

    contacts: int
    queued: int  # new notifications in the outbox (contacts and guideline subscribers)
    already: int  # contacts who had this guideline queued, sent or acknowledged before
    unreachable: int  # contacts with no Telegram chat or Slack channel: delivery recorded only
    subscribers: int  # copies queued for chats subscribed to guidelines (no Acknowledge button)


@dataclass(frozen=True, slots=True)
class AckLine:
    """One contact's state for /ack_status: body, name, sent, reminded, acknowledged."""

    body: Body
    contact_ref: str
    contact_name: str
    reachable: bool
    sent_at: datetime | None
    reminded_at: datetime | None
    acknowledged_at: datetime | None


@dataclass(frozen=True, slots=True)
class DueAckReminder:
    """A delivery sent long enough ago, still unacknowledged and not yet reminded."""

    delivery_id: int
    guideline_id: int
    contact_id: int
    platform: Platform
    chat_id: str
    locale: str
    payload: str


def guideline_payload(guideline: Guideline, *, ack: bool) -> str:
    """The JSON a renderer needs to show a guideline; `ack`: with the Acknowledge button (a
    contact's copy), not for a chat that only subscribed to guidelines."""
    return json.dumps(
        {
            "ack": ack,
            "item_type": GUIDELINE,
            "item_id": guideline.id,
            "ref": guideline.ref,
            "title": guideline.title,
            "summary": guideline.summary,
            "link": guideline.link,
            "published_at": guideline.published_at.astimezone(UTC).isoformat(),
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def contact_chat(contact: Contact) -> tuple[Platform, str] | None:
    """Where a contact is reached: their Telegram chat, else their Slack channel."""
    if contact.telegram_chat_id:
        return Platform.TELEGRAM, contact.telegram_chat_id
    if contact.slack_channel:
        return Platform.SLACK, contact.slack_channel
    return None


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a broadcast to some bodies reaches, counted the way `broadcast` will count it."""

    bodies: int
    contacts: list[Contact]  # the active contacts: each gets a delivery record
    by_chat: int  # active, with a chat, not sent this guideline before: a new message each
    already: int  # active, this guideline queued, sent or acknowledged before: nothing new
    no_chat: int  # active, not had it, no Telegram chat or Slack channel: recorded only
    blocked: int  # deactivated (the dispatcher does it when a chat blocked the bot): skipped
    subscribers: int  # new copies for other chats subscribed to guidelines


class UnknownTarget(LookupError):
    """A broadcast target that is neither an audience keyword nor exactly one body; `similar`
    names the bodies it might have meant (codes), best first."""

    def __init__(self, text: str, similar: Sequence[Body] = ()) -> None:
        super().__init__(text)
        self.text = text
        self.similar = list(similar)


class BroadcastRepository:
    """Broadcasts on one session (one transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def resolve_targets(self, parts: Sequence[str]) -> list[str]:
        """Audience keywords and body codes from what was typed ("all-lsgu", "Subotica",
        "Суботица", "LSGU-SUBOTICA"), without repeats; UnknownTarget names the first miss."""
        bodies = BodyRepository(self._session)
        names: list[str] = []
        for part in (p.strip() for p in parts):
            if not part:
                continue
            keyword = TARGET_WORDS.get(fold(part).replace(" ", "-"))
            if keyword is not None:
                names.append(keyword)
                continue
            names.append((await self._one_body(bodies, part)).code)
        return list(dict.fromkeys(names))

    @staticmethod
    async def _one_body(bodies: BodyRepository, part: str) -> Body:
        """A body by its code (any case) or its exact name in any script; a name that merely
        contains the text is not enough for a broadcast."""
        try:
            body = await bodies.find_one(part)
        except AmbiguousBody as exc:
            exact = [b for b in exc.candidates if bodies.is_exact(b, part)]
            raise UnknownTarget(part, exact or exc.candidates) from None
        if body is None:
            raise UnknownTarget(part)
        if body.code.casefold() != part.casefold() and not bodies.is_exact(body, part):
            raise UnknownTarget(part, [body])
        return body

    async def bodies_for(self, targets: Sequence[str]) -> list[Body]:
        """The bodies named by targets: all-lsgu, provincial, all, or body codes (resolved by
        the caller); unknown codes are simply not found (the caller checks first)."""
        kinds: set[BodyKind] = set()
        codes: set[str] = set()
        for target in targets:
            if target == ALL:
                kinds.update(BodyKind)
            elif target == ALL_LSGU:
                kinds.update(_LSGU_KINDS)
            elif target == PROVINCIAL:
                kinds.update(_PROVINCIAL_KINDS)
            else:
                codes.add(target)
        rows = await self._session.scalars(
            select(Body).where(Body.kind.in_(kinds) | Body.code.in_(codes)).order_by(Body.code)
        )
        return list(rows)

    async def contacts_of(self, body_ids: Sequence[int]) -> list[Contact]:
        """Active contacts of the bodies, by body and reference."""
        if not body_ids:
            return []
        rows = await self._session.scalars(
            select(Contact)
            .where(Contact.body_id.in_(body_ids), Contact.active.is_(True))
            .order_by(Contact.body_id, Contact.ref)
        )
        return list(rows)

    async def audience(
        self, guideline: Guideline, bodies: Sequence[Body], now: datetime
    ) -> Audience:
        """The preview's numbers: what `broadcast` to these bodies' contacts would do now."""
        body_ids = [body.id for body in bodies]
        everyone = list(
            await self._session.scalars(
                select(Contact)
                .where(Contact.body_id.in_(body_ids))
                .order_by(Contact.body_id, Contact.ref)
            )
        ) if body_ids else []  # fmt: skip
        active = [contact for contact in everyone if contact.active]
        had = await self._had_before(guideline.id, [c.id for c in active])
        chats = {c.id: chat for c in active if (chat := contact_chat(c)) is not None}
        already = sum(1 for contact in active if contact.id in had)
        by_chat = sum(1 for contact_id in chats if contact_id not in had)
        subscribers = await self._new_keys(
            await self._subscriber_rows(guideline, now, set(chats.values()))
        )
        return Audience(
            bodies=len(bodies),
            contacts=active,
            by_chat=by_chat,
            already=already,
            no_chat=len(active) - already - by_chat,
            blocked=len(everyone) - len(active),
            subscribers=subscribers,
        )

    async def contacts_by_ids(self, contact_ids: Sequence[int]) -> list[Contact]:
        """The contacts a draft counted that are still active, by body and reference."""
        found: list[Contact] = []
        for start in range(0, len(contact_ids), _BATCH):
            found.extend(
                await self._session.scalars(
                    select(Contact).where(
                        Contact.id.in_(contact_ids[start : start + _BATCH]),
                        Contact.active.is_(True),
                    )
                )
            )
        return sorted(found, key=lambda contact: (contact.body_id, contact.ref))

    async def _had_before(self, guideline_id: int, contact_ids: Sequence[int]) -> set[int]:
        """Contacts who got this guideline before: its notification is queued or sent, or their
        delivery was sent or acknowledged (imported or seeded deliveries have no outbox row)."""
        had: set[int] = set()
        for start in range(0, len(contact_ids), _BATCH):
            had.update(
                await self._session.scalars(
                    select(Delivery.contact_id).where(
                        Delivery.guideline_id == guideline_id,
                        Delivery.contact_id.in_(contact_ids[start : start + _BATCH]),
                        Delivery.sent_at.is_not(None) | Delivery.acknowledged_at.is_not(None),
                    )
                )
            )
            had.update(
                cid
                for cid in await self._session.scalars(
                    select(OutboxEntry.contact_id).where(
                        OutboxEntry.kind == GUIDELINE,
                        OutboxEntry.item_id == guideline_id,
                        OutboxEntry.contact_id.in_(contact_ids[start : start + _BATCH]),
                    )
                )
                if cid is not None
            )
        return had

    async def _new_keys(self, rows: Sequence[dict[str, Any]]) -> int:
        """How many of these outbox rows are not there yet (by dedupe key)."""
        keys = [row["dedupe_key"] for row in rows]
        existing = 0
        for start in range(0, len(keys), _BATCH):
            existing += len(
                list(
                    await self._session.scalars(
                        select(OutboxEntry.id).where(
                            OutboxEntry.dedupe_key.in_(keys[start : start + _BATCH])
                        )
                    )
                )
            )
        return len(keys) - existing

    async def broadcast(
        self,
        guideline: Guideline,
        contacts: Sequence[Contact],
        now: datetime,
        *,
        progress: Progress | None = None,
    ) -> BroadcastReport:
        """A delivery row and, where the contact has a chat, one outbox row per contact; and a
        copy for each chat subscribed to guidelines that is not one of those contacts' chats.

        Idempotent: a contact who already has the guideline queued or sent gets nothing new, so
        broadcasting twice, or to overlapping targets, notifies each contact once.
        """
        queued = already = unreachable = 0
        reached: set[tuple[Platform, str]] = set()
        for start in range(0, len(contacts), _BATCH):
            chunk = contacts[start : start + _BATCH]
            had = await self._had_before(guideline.id, [c.id for c in chunk])
            await self._ensure_deliveries(guideline.id, [c.id for c in chunk])
            rows = []
            for contact in chunk:
                chat = contact_chat(contact)
                if chat is not None:
                    reached.add(chat)
                if contact.id in had:
                    already += 1
                    continue
                if chat is None:
                    unreachable += 1
                    continue
                rows.append(self._row(
                    f"{GUIDELINE}:{guideline.id}:contact:{contact.id}", GUIDELINE, guideline,
                    chat, contact.locale.value, now, contact_id=contact.id,
                ))  # fmt: skip
            new = await insert_new(self._session, rows)
            queued += new
            already += len(rows) - new
            if progress is not None:
                progress(len(chunk))
        subscribers = await self._subscriber_copies(guideline, now, reached)
        return BroadcastReport(len(contacts), queued + subscribers, already, unreachable,
                               subscribers)  # fmt: skip

    async def ack_status(self, guideline_id: int) -> list[AckLine]:
        """Every contact the guideline was delivered to: not acknowledged first, then by body."""
        rows = await self._session.execute(
            select(
                Body,
                Contact.ref,
                Contact.name,
                (Contact.telegram_chat_id.is_not(None) | Contact.slack_channel.is_not(None)),
                Delivery.sent_at,
                Delivery.reminded_at,
                Delivery.acknowledged_at,
            )
            .select_from(Delivery)
            .join(Contact, Contact.id == Delivery.contact_id)
            .join(Body, Body.id == Contact.body_id)
            .where(Delivery.guideline_id == guideline_id)
            .order_by(Delivery.acknowledged_at.is_not(None), Body.code, Contact.ref)
        )
        return [AckLine(*row[:3], bool(row[3]), *row[4:]) for row in rows]

    async def due_ack_reminders(self, sent_before: datetime, limit: int) -> list[DueAckReminder]:
        """Deliveries sent before `sent_before`, unacknowledged, never reminded, whose contact is
        active and reachable; locked so that concurrent planners take each once (PostgreSQL)."""
        rows = await self._session.execute(
            select(Delivery, Contact, Guideline)
            .join(Contact, Contact.id == Delivery.contact_id)
            .join(Guideline, Guideline.id == Delivery.guideline_id)
            .where(
                Delivery.sent_at.is_not(None),
                Delivery.sent_at <= sent_before,
                Delivery.acknowledged_at.is_(None),
                Delivery.reminded_at.is_(None),
                Contact.active.is_(True),
                Contact.telegram_chat_id.is_not(None) | Contact.slack_channel.is_not(None),
            )
            .order_by(Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Delivery)
        )
        due = []
        for delivery, contact, guideline in rows:
            chat = contact_chat(contact)
            assert chat is not None  # the query asked for a chat
            due.append(DueAckReminder(
                delivery.id, guideline.id, contact.id, chat[0], chat[1], contact.locale.value,
                guideline_payload(guideline, ack=True),
            ))  # fmt: skip
        return due

    async def queue_ack_reminders(
        self, due: Sequence[DueAckReminder], at: datetime, now: datetime
    ) -> int:
        """One reminder row per due delivery (sent at `at`), and the deliveries marked reminded."""
        rows = [
            {
                "dedupe_key": f"{GUIDELINE_REMINDER}:{d.guideline_id}:contact:{d.contact_id}",
                "platform": d.platform,
                "chat_id": d.chat_id,
                "contact_id": d.contact_id,
                "kind": GUIDELINE_REMINDER,
                "item_type": GUIDELINE,
                "item_id": d.guideline_id,
                "item_version": None,
                "locale": d.locale,
                "payload": d.payload,
                "due_at": at,
                "state": OutboxState.PENDING,
                "attempts": 0,
            }
            for d in due
        ]
        created = await insert_new(self._session, rows)
        ids = [d.delivery_id for d in due]
        for start in range(0, len(ids), _BATCH):
            await self._session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids[start : start + _BATCH]))
                .values(reminded_at=now)
            )
        return created

    async def _ensure_deliveries(self, guideline_id: int, contact_ids: list[int]) -> None:
        values = [{"guideline_id": guideline_id, "contact_id": cid} for cid in contact_ids]
        if not values:
            return
        connection = await self._session.connection()
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        await connection.execute(
            insert(Delivery).on_conflict_do_nothing(index_elements=["guideline_id", "contact_id"]),
            values,
        )

    async def _subscriber_copies(
        self, guideline: Guideline, now: datetime, reached: set[tuple[Platform, str]]
    ) -> int:
        return await insert_new(self._session, await self._subscriber_rows(guideline, now, reached))

    async def _subscriber_rows(
        self, guideline: Guideline, now: datetime, reached: set[tuple[Platform, str]]
    ) -> list[dict[str, Any]]:
        """A copy for each chat subscribed to guidelines that is not one of `reached`."""
        subs = await self._session.scalars(
            select(Subscription)
            .outerjoin(Contact, Contact.id == Subscription.contact_id)
            .where(
                Subscription.topic == SubscriptionTopic.GUIDELINES,
                Subscription.active.is_(True),
                # A subscription of a deactivated contact (blocked the bot) stays quiet.
                (Subscription.contact_id.is_(None)) | (Contact.active.is_(True)),
            )
            .order_by(Subscription.id)
        )
        return [
            self._row(
                f"{GUIDELINE}:{guideline.id}:sub:{sub.id}",
                GUIDELINE,
                guideline,
                (sub.platform, sub.chat_id),
                sub.locale.value,
                now,
                subscription_id=sub.id,
            )
            for sub in subs
            if (sub.platform, sub.chat_id) not in reached
        ]

    @staticmethod
    def _row(
        key: str,
        kind: str,
        guideline: Guideline,
        chat: tuple[Platform, str],
        locale: str,
        due: datetime,
        *,
        contact_id: int | None = None,
        subscription_id: int | None = None,
    ) -> dict[str, Any]:
        return {
            "dedupe_key": key, "platform": chat[0], "chat_id": chat[1],
            "subscription_id": subscription_id, "contact_id": contact_id, "kind": kind,
            "item_type": GUIDELINE, "item_id": guideline.id, "item_version": None,
            "locale": locale, "due_at": due,
            "payload": guideline_payload(guideline, ack=contact_id is not None),
            "state": OutboxState.PENDING, "attempts": 0,
        }  # fmt: skip
