"""Declarative base, a naming convention (same constraint names everywhere) and mixins."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from eudesk.storage.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current moment, aware, in UTC (everything is stored in UTC)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Every eudesk table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CreatedAt:
    """When the row was written."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DemoFlag:
    """Invented rows from `eudesk seed demo` say so, and can be removed together."""

    is_demo: Mapped[bool] = mapped_column(default=False)
