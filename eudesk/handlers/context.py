"""The typed context every handler receives: who asks, in which language, and the repositories."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from eudesk.handlers import i18n
from eudesk.handlers.messages import Incoming
from eudesk.storage.models import AuditEntry, Locale, Role, User
from eudesk.storage.repositories import Repositories

if TYPE_CHECKING:
    from eudesk.handlers.router import CommandTable


@dataclass(frozen=True, slots=True)
class HandlerConfig:
    """What handlers need from the settings, and nothing else."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Belgrade"))
    default_locale: Locale = Locale.SR_LATN
    passport_lookups_per_minute: int = 10
    max_message_chars: int = 4000
    page_size: int = 10
    public_url: str = "http://127.0.0.1:8080"  # where calendar apps reach /ical/TOKEN.ics


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """An audit record to write after the handler, whether its transaction commits or not."""

    action: str
    allowed: bool
    target_type: str | None = None
    target_ref: str | None = None
    detail: str | None = None


@dataclass(slots=True)
class Context:
    """One message's view of the world."""

    incoming: Incoming
    user: User | None
    locale: Locale
    repos: Repositories
    config: HandlerConfig
    clock: Callable[[], datetime]
    table: CommandTable
    command: str = ""
    args: list[str] = field(default_factory=list)
    rest: str = ""
    audit_events: list[AuditEvent] = field(default_factory=list)
    _user_id: int | None = None

    def __post_init__(self) -> None:
        self._user_id = self.user.id if self.user is not None else None

    @property
    def user_id(self) -> int | None:
        """Read once per message: after a rollback the User row may no longer be loadable."""
        return self._user_id

    @property
    def roles(self) -> frozenset[Role] | None:
        return None if self.user is None else self.user.role_set

    def has_role(self, *roles: Role) -> bool:
        return self.user is not None and bool(self.user.role_set & set(roles))

    @property
    def actor(self) -> str:
        return f"{self.incoming.platform.value}:{self.incoming.sender_id}"

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.now().astimezone(self.config.zone).date()

    def t(self, key: str, **params: object) -> str:
        return i18n.translate(self.locale, key, **params)

    def date(self, value: date | datetime) -> str:
        return i18n.format_date(value, self.locale, self.config.zone)

    def datetime(self, value: datetime) -> str:
        return i18n.format_datetime(value, self.locale, self.config.zone)

    def money(self, amount: Decimal) -> str:
        return i18n.format_money(amount, self.locale)

    async def audit_now(
        self,
        action: str,
        *,
        allowed: bool,
        target_type: str | None = None,
        target_ref: str | None = None,
        detail: str | None = None,
    ) -> AuditEntry:
        """Write an audit record inside this message's transaction: for lookups of personal
        data, where the record must exist before the data is shown (it commits with the reply,
        or neither happens)."""
        return await self.repos.audit.record(
            actor=self.actor,
            platform=self.incoming.platform.value,
            actor_user_id=self.user_id,
            action=action,
            allowed=allowed,
            target_type=target_type,
            target_ref=target_ref,
            detail=detail,
            at=self.now(),
        )

    def audit(self, action: str, *, allowed: bool, target_type: str | None = None,
              target_ref: str | None = None, detail: str | None = None) -> None:  # fmt: skip
        self.audit_events.append(AuditEvent(action, allowed, target_type, target_ref, detail))
