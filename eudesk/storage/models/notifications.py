"""Who wants which reminders (subscriptions), what is to be sent (the outbox), and the audit log."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eudesk.storage.models.base import Base, CreatedAt, utcnow
from eudesk.storage.models.enums import (
    DigestFrequency,
    Locale,
    OutboxState,
    Platform,
    SubscriptionTopic,
    enum_column,
)
from eudesk.storage.types import UTCDateTime


class Subscription(CreatedAt, Base):
    """A chat's wish to be told about a topic, ahead of time, within its quiet hours."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "topic", "topic_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[Platform] = mapped_column(enum_column(Platform))
    chat_id: Mapped[str] = mapped_column(String(80))
    topic: Mapped[SubscriptionTopic] = mapped_column(enum_column(SubscriptionTopic))
    topic_key: Mapped[str] = mapped_column(String(60), default="")  # project code, chapter no, ...
    # Lead times as canonical tokens, largest first (eudesk.storage.leads): calendar days "14d",
    # working days "3wd", hours "2h", minutes "30m".
    leads: Mapped[str] = mapped_column(String(120), default="14d,3d,1d")
    quiet_start: Mapped[time] = mapped_column(default=time(8, 0))  # allowed window start (local)
    quiet_end: Mapped[time] = mapped_column(default=time(18, 0))  # allowed window end (local)
    locale: Mapped[Locale] = mapped_column(enum_column(Locale), default=Locale.SR_LATN)
    digest: Mapped[DigestFrequency] = mapped_column(
        enum_column(DigestFrequency), default=DigestFrequency.NONE
    )
    active: Mapped[bool] = mapped_column(default=True)


class CalendarFeed(CreatedAt, Base):
    """A chat's secret calendar address (/ical/TOKEN.ics): what it follows, as an .ics feed.

    The token is the only credential of the feed (calendar apps cannot log in), so it is long,
    random, and replaced by `eudesk ical rotate` when it leaks.
    """

    __tablename__ = "calendar_feeds"
    __table_args__ = (UniqueConstraint("platform", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    platform: Mapped[Platform] = mapped_column(enum_column(Platform))
    chat_id: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    locale: Mapped[Locale] = mapped_column(enum_column(Locale), default=Locale.SR_LATN)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxEntry(CreatedAt, Base):
    """One notification to send; the dedupe key makes planning it twice a no-op."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(None, "state", "due_at"),
        # A chat's rows in order: claims keep one chat on one worker, retries defer the rest.
        Index(None, "platform", "chat_id", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    platform: Mapped[Platform] = mapped_column(enum_column(Platform))
    chat_id: Mapped[str] = mapped_column(String(80))
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="SET NULL"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))  # reminder, digest, guideline, cancellation ...
    item_type: Mapped[str | None] = mapped_column(String(40))
    item_id: Mapped[int | None]
    item_version: Mapped[int | None]
    locale: Mapped[Locale] = mapped_column(enum_column(Locale), default=Locale.SR_LATN)
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON the renderer needs
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[OutboxState] = mapped_column(
        enum_column(OutboxState), default=OutboxState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    leased_by: Mapped[str | None] = mapped_column(String(80))
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[str | None] = mapped_column(String(80))


class AuditEntry(Base):
    """An append-only record: who looked up or changed what, when, from where, allowed or not."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "actor_user_id", "at"), Index(None, "action", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(120))  # platform identity or "cli:NAME"
    platform: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_ref: Mapped[str | None] = mapped_column(String(80))
    allowed: Mapped[bool]
    detail: Mapped[str | None] = mapped_column(String(500))
