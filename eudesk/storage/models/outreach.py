"""Guidelines sent to bodies (with deliveries and acknowledgements) and interregional agreements."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eudesk.storage.models.base import Base, CreatedAt, DemoFlag
from eudesk.storage.models.enums import (
    AgreementStatus,
    GuidelineAudience,
    Locale,
    enum_column,
)
from eudesk.storage.types import UTCDateTime


class Guideline(CreatedAt, DemoFlag, Base):
    """A guideline for inclusion in EU project activities, addressed to an audience of bodies."""

    __tablename__ = "guidelines"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    audience: Mapped[GuidelineAudience] = mapped_column(enum_column(GuidelineAudience))
    locale: Mapped[Locale] = mapped_column(enum_column(Locale), default=Locale.SR_LATN)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class GuidelineDelivery(Base):
    """A guideline sent to one contact, and whether and when it was acknowledged."""

    __tablename__ = "guideline_deliveries"
    __table_args__ = (UniqueConstraint("guideline_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guideline_id: Mapped[int] = mapped_column(ForeignKey("guidelines.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Agreement(CreatedAt, DemoFlag, Base):
    """An interregional cooperation agreement with a partner region."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_region: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(80))
    signed_on: Mapped[date | None]
    areas: Mapped[str | None] = mapped_column(Text)
    status: Mapped[AgreementStatus] = mapped_column(enum_column(AgreementStatus))
    search_key: Mapped[str] = mapped_column(String(600), default="")


class BroadcastDraft(CreatedAt, Base):
    """A previewed broadcast waiting for its author's Send: the button carries only `token`.

    The audience is stored as it was previewed (body ids), so pressing Send queues exactly what
    the preview counted; `sent_at` is set once, by the first press that claims it.
    """

    __tablename__ = "broadcast_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # opaque, random
    guideline_id: Mapped[int] = mapped_column(ForeignKey("guidelines.id", ondelete="CASCADE"))
    author_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body_ids: Mapped[str] = mapped_column(Text)  # comma-separated ids of the previewed bodies
    contact_ids: Mapped[str] = mapped_column(Text)  # comma-separated: the contacts it counted
    targets: Mapped[str] = mapped_column(String(400))  # what the author typed, for the audit
    text: Mapped[str] = mapped_column(Text)  # the preview as shown
    locale: Mapped[Locale] = mapped_column(enum_column(Locale))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the Send did, so that a second press can say it: new messages, contacts who had it
    # already, contacts without a chat.
    queued: Mapped[int | None]
    already: Mapped[int | None]
    unreachable: Mapped[int | None]
