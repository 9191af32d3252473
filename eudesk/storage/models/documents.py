"""Diplomatic and official passports and visas: personal data, restricted and audited."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eudesk.storage.models.base import Base, CreatedAt, DemoFlag
from eudesk.storage.models.enums import DocumentStatus, PassportKind, enum_column
from eudesk.storage.types import UTCDateTime


class PassportRecord(CreatedAt, DemoFlag, Base):
    """An application for, and then the life of, a diplomatic or official passport."""

    __tablename__ = "passport_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[PassportKind] = mapped_column(enum_column(PassportKind))
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_position: Mapped[str | None] = mapped_column(String(200))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id", ondelete="SET NULL"))
    passport_number: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[DocumentStatus] = mapped_column(enum_column(DocumentStatus))
    issued_on: Mapped[date | None]
    valid_until: Mapped[date | None] = mapped_column(index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    history: Mapped[list[PassportStatusEvent]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="PassportStatusEvent.at"
    )


class PassportStatusEvent(Base):
    """One step in a passport's status history."""

    __tablename__ = "passport_status_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("passport_records.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[DocumentStatus] = mapped_column(enum_column(DocumentStatus))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(300))


class VisaRecord(CreatedAt, DemoFlag, Base):
    """A visa applied for on an official trip, usually tied to a passport record."""

    __tablename__ = "visa_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    passport_id: Mapped[int | None] = mapped_column(
        ForeignKey("passport_records.id", ondelete="SET NULL"), index=True
    )
    holder_name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(80))
    visa_type: Mapped[str] = mapped_column(String(60))
    visa_number: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[DocumentStatus] = mapped_column(enum_column(DocumentStatus))
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None] = mapped_column(index=True)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    history: Mapped[list[VisaStatusEvent]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="VisaStatusEvent.at"
    )


class VisaStatusEvent(Base):
    """One step in a visa's status history."""

    __tablename__ = "visa_status_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("visa_records.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[DocumentStatus] = mapped_column(enum_column(DocumentStatus))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(300))
