"""Serbia's EU accession negotiations: clusters, chapters, negotiating groups and their meetings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eudesk.storage.models.base import Base, CreatedAt, DemoFlag
from eudesk.storage.models.enums import MeetingStatus, enum_column
from eudesk.storage.types import UTCDateTime


class Cluster(Base):
    """One of the six negotiating clusters."""

    __tablename__ = "clusters"

    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name_en: Mapped[str] = mapped_column(String(120))
    name_sr_latn: Mapped[str] = mapped_column(String(120))
    status: Mapped[str | None] = mapped_column(String(120))


class Chapter(Base):
    """One of the 35 negotiating chapters; 34 and 35 belong to no cluster."""

    __tablename__ = "chapters"

    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    cluster_number: Mapped[int | None] = mapped_column(ForeignKey("clusters.number"))
    title_en: Mapped[str] = mapped_column(String(200))
    title_sr_latn: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(120))
    opened_on: Mapped[str | None] = mapped_column(String(10))  # sources give a month at best


class NegotiatingGroup(Base):
    """The negotiating group for a chapter, where AP Vojvodina has representatives."""

    __tablename__ = "negotiating_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    chapter_number: Mapped[int] = mapped_column(ForeignKey("chapters.number"), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class GroupMember(Base):
    """A representative of the province in a negotiating group."""

    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("negotiating_groups.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )


class Meeting(CreatedAt, DemoFlag, Base):
    """A negotiating-group meeting, with place and agenda."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    chapter_number: Mapped[int | None] = mapped_column(ForeignKey("chapters.number"), index=True)
    cluster_number: Mapped[int | None] = mapped_column(ForeignKey("clusters.number"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    place: Mapped[str] = mapped_column(String(300))
    agenda: Mapped[str | None] = mapped_column(Text)
    status: Mapped[MeetingStatus] = mapped_column(
        enum_column(MeetingStatus), default=MeetingStatus.SCHEDULED
    )
    version: Mapped[int] = mapped_column(default=1)

    chapter: Mapped[Chapter | None] = relationship(lazy="raise")
