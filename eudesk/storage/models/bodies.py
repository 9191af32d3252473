"""Provincial bodies, local self-government units, the Sector, partner regions, contacts."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eudesk.storage.models.base import Base, CreatedAt, DemoFlag
from eudesk.storage.models.enums import BodyKind, Locale, enum_column


class Body(Base):
    """An organisation eudesk coordinates or works with, named in four languages."""

    __tablename__ = "bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[BodyKind] = mapped_column(enum_column(BodyKind))
    name_sr_latn: Mapped[str] = mapped_column(String(300))
    name_sr_cyrl: Mapped[str] = mapped_column(String(300))
    name_hu: Mapped[str | None] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    district_sr_latn: Mapped[str | None] = mapped_column(String(120))
    district_sr_cyrl: Mapped[str | None] = mapped_column(String(120))
    district_en: Mapped[str | None] = mapped_column(String(120))
    district_code: Mapped[str | None] = mapped_column(String(8))
    municipality_code: Mapped[str | None] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(80))
    address: Mapped[str | None] = mapped_column(String(300))
    search_key: Mapped[str] = mapped_column(String(1200), default="")

    def name(self, locale: str) -> str:
        """The body's name in a locale, falling back to Serbian Latin."""
        match locale:
            case Locale.SR_CYRL:
                return self.name_sr_cyrl
            case Locale.HU:
                return self.name_hu or self.name_sr_latn
            case Locale.EN:
                return self.name_en
        return self.name_sr_latn


class Contact(CreatedAt, DemoFlag, Base):
    """A person at a body who receives alerts and guidelines; may later link a chat via /start."""

    __tablename__ = "contacts"
    __table_args__ = (Index(None, "body_id", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(60))
    locale: Mapped[Locale] = mapped_column(enum_column(Locale), default=Locale.SR_LATN)
    telegram_chat_id: Mapped[str | None] = mapped_column(String(40))
    slack_channel: Mapped[str | None] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(default=True)

    body: Mapped[Body] = relationship(lazy="raise")
