"""Repositories: typed queries over one session; callers get objects, never the session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.repositories.audit import AuditRepository
from eudesk.storage.repositories.deadlines import DeadlineRepository, UpcomingDeadline
from eudesk.storage.repositories.invites import InviteRepository
from eudesk.storage.repositories.preferences import PreferenceRepository
from eudesk.storage.repositories.users import UserRepository


class Repositories:
    """Every repository on one session, i.e. inside one transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.users = UserRepository(session)
        self.deadlines = DeadlineRepository(session)
        self.audit = AuditRepository(session)
        self.preferences = PreferenceRepository(session)
        self.invites = InviteRepository(session)


__all__ = [
    "AuditRepository",
    "DeadlineRepository",
    "InviteRepository",
    "PreferenceRepository",
    "Repositories",
    "UpcomingDeadline",
    "UserRepository",
]
