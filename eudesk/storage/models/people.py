"""Users of the bot, their chat identities, roles and invite codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eudesk.storage.models.base import Base, CreatedAt, DemoFlag
from eudesk.storage.models.enums import Locale, Platform, Role, enum_column
from eudesk.storage.types import UTCDateTime


class User(CreatedAt, DemoFlag, Base):
    """Someone who talks to eudesk: staff, coordinator, passport officer, admin or contact."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    locale: Mapped[Locale] = mapped_column(enum_column(Locale), default=Locale.SR_LATN)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)

    roles: Mapped[list[UserRole]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="UserRole.role"
    )
    identities: Mapped[list[Identity]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="Identity.id"
    )

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.roles)


class UserRole(Base):
    """One role granted to one user."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role), primary_key=True)


class Identity(CreatedAt, Base):
    """A chat account (platform + external id) that speaks for a user; unique per platform."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    platform: Mapped[Platform] = mapped_column(enum_column(Platform))
    # Telegram: the numeric user id; Slack: "TEAM:USER"; console: the user name.
    external_id: Mapped[str] = mapped_column(String(80))


class Invite(CreatedAt, Base):
    """A one-time code that links a new chat to a role or to a contact (/start CODE)."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    role: Mapped[Role | None] = mapped_column(enum_column(Role))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    contact = relationship("Contact", lazy="raise")


class ChatPreference(Base):
    """The language a chat account chose with /lang, kept even before it is linked to a user."""

    __tablename__ = "chat_preferences"

    platform: Mapped[Platform] = mapped_column(enum_column(Platform), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    locale: Mapped[Locale] = mapped_column(enum_column(Locale))
