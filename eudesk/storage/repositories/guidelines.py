"""Queries over guidelines, their deliveries and acknowledgements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, null, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from eudesk.storage.errors import RecordNotFound
from eudesk.storage.models import (
    Body,
    BodyKind,
    Contact,
    Guideline,
    GuidelineAudience,
    OutboxEntry,
    OutboxState,
)
from eudesk.storage.models import GuidelineDelivery as Delivery
from eudesk.storage.repositories.broadcasts import GUIDELINE_REMINDER

_PROVINCIAL = (BodyKind.PROVINCIAL_SECRETARIAT, BodyKind.PROVINCIAL_BODY)


class GuidelineNotAddressed(RecordNotFound):
    """The guideline exists but is addressed to neither the contact nor their body's audience."""

    def __init__(self, ref: str) -> None:
        super().__init__("guideline delivery", ref)


@dataclass(frozen=True, slots=True)
class GuidelineView:
    """A guideline as a listing shows it: the contact's acknowledgement, or counts for staff."""

    id: int
    ref: str
    title: str
    summary: str
    link: str | None
    audience: GuidelineAudience
    published_at: datetime
    acknowledged_at: datetime | None  # the contact's own, when the listing is for a contact
    deliveries: int | None  # how many contacts it went to (staff listings only)
    acknowledgements: int | None  # how many of them acknowledged (staff listings only)


def covered_audiences(kind: BodyKind) -> set[GuidelineAudience]:
    """The audiences a body of this kind belongs to (BODIES is decided by deliveries)."""
    audiences = {GuidelineAudience.ALL}
    if kind.is_lsgu:
        audiences.add(GuidelineAudience.ALL_LSGU)
    if kind in _PROVINCIAL:
        audiences.add(GuidelineAudience.PROVINCIAL)
    return audiences


def _delivered_to_body(body_id: int) -> ColumnElement[bool]:
    """A delivery to any contact of the body: how a BODIES guideline names who it is for."""
    return (
        select(Delivery.id)
        .join(Contact, Contact.id == Delivery.contact_id)
        .where(Delivery.guideline_id == Guideline.id, Contact.body_id == body_id)
        .exists()
    )


def _count_deliveries(*where: ColumnElement[bool]) -> ColumnElement[Any]:
    return (
        select(func.count(Delivery.id))
        .where(Delivery.guideline_id == Guideline.id, *where)
        .correlate(Guideline)
        .scalar_subquery()
    )


class GuidelineRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_by_ref(self, ref: str) -> Guideline | None:
        """Refs are upper case codes; a lower-case "demo-gl-0001" finds the same guideline."""
        return await self._session.scalar(
            select(Guideline).where(Guideline.ref.in_({ref, ref.upper()})).limit(1)
        )

    async def latest_for(
        self,
        *,
        contact_id: int | None = None,
        body_id: int | None = None,
        see_all: bool = False,
        limit: int = 5,
    ) -> list[GuidelineView]:
        """Newest first: every guideline when see_all (staff), else those addressed to the body
        of the contact (or body_id), with the contact's acknowledgement; two queries at most."""
        mine = aliased(Delivery)
        acknowledged: ColumnElement[Any] = null()
        if contact_id is not None:
            acknowledged = mine.acknowledged_at.expression
        deliveries: ColumnElement[Any] = null()
        acks: ColumnElement[Any] = null()
        if see_all:
            deliveries = _count_deliveries()
            acks = _count_deliveries(Delivery.acknowledged_at.is_not(None))
        query = (
            select(
                Guideline.id,
                Guideline.ref,
                Guideline.title,
                Guideline.summary,
                Guideline.link,
                Guideline.audience,
                Guideline.published_at,
                acknowledged,
                deliveries,
                acks,
            )
            .order_by(Guideline.published_at.desc(), Guideline.id.desc())
            .limit(limit)
        )
        if contact_id is not None:
            query = query.outerjoin(
                mine, and_(mine.guideline_id == Guideline.id, mine.contact_id == contact_id)
            )
        if not see_all:
            body = await self._body(contact_id, body_id)
            if body is None:
                return []
            query = query.where(self._addressed_to(*body))
        rows = await self._session.execute(query)
        return [GuidelineView(*row) for row in rows]

    async def acknowledge(
        self, ref: str, contact_id: int, user_id: int, now: datetime
    ) -> tuple[Delivery, bool]:
        """Record the contact's acknowledgement once; (delivery, True) when it was already there.

        A guideline addressed to the contact's body but never delivered to this contact gets a
        delivery row (sent_at empty: it was read, not sent); one addressed elsewhere is refused.
        """
        guideline = await self.get_by_ref(ref)
        if guideline is None:
            raise RecordNotFound("guideline", ref)
        delivery = await self._delivery(guideline.id, contact_id)
        if delivery is None:
            body = await self._body(contact_id, None)
            addressed = body is not None and bool(
                await self._session.scalar(
                    select(self._addressed_to(*body)).where(Guideline.id == guideline.id)
                )
            )
            if not addressed:
                raise GuidelineNotAddressed(guideline.ref)
            delivery = await self._new_delivery(guideline.id, contact_id)
        if delivery.acknowledged_at is not None:
            return delivery, True
        delivery.acknowledged_at = now
        delivery.acknowledged_by = user_id
        # A reminder to acknowledge that has not gone out yet has nothing left to ask.
        await self._session.execute(
            update(OutboxEntry)
            .where(
                OutboxEntry.kind == GUIDELINE_REMINDER,
                OutboxEntry.item_id == guideline.id,
                OutboxEntry.contact_id == contact_id,
                OutboxEntry.state == OutboxState.PENDING,
            )
            .values(state=OutboxState.CANCELLED)
        )
        await self._session.flush()
        return delivery, False

    async def _body(
        self, contact_id: int | None, body_id: int | None
    ) -> tuple[int, BodyKind] | None:
        """The contact's body (or the given one) and its kind."""
        query = select(Body.id, Body.kind)
        if contact_id is not None:
            query = query.join(Contact, Contact.body_id == Body.id).where(Contact.id == contact_id)
        elif body_id is not None:
            query = query.where(Body.id == body_id)
        else:
            return None
        row = (await self._session.execute(query)).first()
        return None if row is None else (row[0], row[1])

    @staticmethod
    def _addressed_to(body_id: int, kind: BodyKind) -> ColumnElement[bool]:
        return or_(Guideline.audience.in_(covered_audiences(kind)), _delivered_to_body(body_id))

    async def _delivery(self, guideline_id: int, contact_id: int) -> Delivery | None:
        # Locked, so two presses of the button at once acknowledge once (PostgreSQL).
        return await self._session.scalar(
            select(Delivery)
            .where(Delivery.guideline_id == guideline_id, Delivery.contact_id == contact_id)
            .with_for_update()
        )

    async def _new_delivery(self, guideline_id: int, contact_id: int) -> Delivery:
        try:
            async with self._session.begin_nested():
                delivery = Delivery(guideline_id=guideline_id, contact_id=contact_id)
                self._session.add(delivery)
        except IntegrityError:
            # A concurrent press created it first (unique guideline_id, contact_id): use that one.
            existing = await self._delivery(guideline_id, contact_id)
            if existing is None:
                raise
            return existing
        return delivery
