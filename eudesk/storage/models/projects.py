"""EU programmes, the projects the province takes part in, their partners and their deadlines."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eudesk.storage.models.base import Base, CreatedAt, DemoFlag
from eudesk.storage.models.bodies import Body
from eudesk.storage.models.enums import (
    DeadlineKind,
    DeadlineStatus,
    ProjectStatus,
    enum_column,
)
from eudesk.storage.types import Money, UTCDateTime


class Programme(Base):
    """An EU funding programme or strategy (Interreg VI-A IPA Hungary-Serbia, IPA III, ...)."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(80))
    period: Mapped[str | None] = mapped_column(String(40))
    partner_countries: Mapped[str | None] = mapped_column(Text)
    eligible_area: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    search_key: Mapped[str] = mapped_column(String(600), default="")


class Project(CreatedAt, DemoFlag, Base):
    """An EU-funded project with its financing in EUR."""

    __tablename__ = "projects"
    __table_args__ = (Index(None, "programme_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    acronym: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(400))
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="RESTRICT"))
    status: Mapped[ProjectStatus] = mapped_column(enum_column(ProjectStatus), index=True)
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    total_budget: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    eu_contribution: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    provincial_cofinancing: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    prefinancing: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    responsible_officer: Mapped[str | None] = mapped_column(String(200))
    search_key: Mapped[str] = mapped_column(String(1200), default="")

    programme: Mapped[Programme] = relationship(lazy="raise")
    partners: Mapped[list[ProjectPartner]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="(ProjectPartner.is_lead.desc(), ProjectPartner.ordinal)",
    )


class ProjectPartner(Base):
    """A partner of a project: a body we know, or a foreign organisation by name."""

    __tablename__ = "project_partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(300))
    country: Mapped[str | None] = mapped_column(String(80))
    body_id: Mapped[int | None] = mapped_column(
        ForeignKey("bodies.id", ondelete="SET NULL"), index=True
    )
    is_lead: Mapped[bool] = mapped_column(default=False)

    body: Mapped[Body | None] = relationship(lazy="raise")


class Deadline(CreatedAt, DemoFlag, Base):
    """A due moment: a call closing, a report, a co-financing request, a payment claim."""

    __tablename__ = "deadlines"
    __table_args__ = (
        Index(None, "status", "due_at"),
        # A project's next deadlines; without it SQLite walks every open deadline by due_at.
        Index(None, "project_id", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[DeadlineKind] = mapped_column(enum_column(DeadlineKind))
    title: Mapped[str] = mapped_column(String(400))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programmes.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[DeadlineStatus] = mapped_column(
        enum_column(DeadlineStatus), default=DeadlineStatus.OPEN
    )
    # Bumped whenever the due moment moves, so reminders planned for the old moment are re-planned.
    version: Mapped[int] = mapped_column(default=1)
    notes: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project | None] = relationship(lazy="raise")
    programme: Mapped[Programme | None] = relationship(lazy="raise")
    bodies: Mapped[list[Body]] = relationship(secondary="deadline_bodies", lazy="raise")


class DeadlineBody(Base):
    """Which bodies a deadline concerns (a contact sees the deadlines of their body)."""

    __tablename__ = "deadline_bodies"
    # From a body to its deadlines without touching the table (a contact's listing).
    __table_args__ = (Index(None, "body_id", "deadline_id"),)

    deadline_id: Mapped[int] = mapped_column(
        ForeignKey("deadlines.id", ondelete="CASCADE"), primary_key=True
    )
    body_id: Mapped[int] = mapped_column(
        ForeignKey("bodies.id", ondelete="CASCADE"), primary_key=True
    )
