"""Repositories: typed queries over one session; callers get objects, never the session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.repositories.agreements import AgreementRepository
from eudesk.storage.repositories.audit import AuditRepository
from eudesk.storage.repositories.bodies import BodyRepository
from eudesk.storage.repositories.broadcasts import BroadcastRepository
from eudesk.storage.repositories.deadlines import DeadlineRepository, UpcomingDeadline
from eudesk.storage.repositories.documents import DocumentRepository
from eudesk.storage.repositories.drafts import DraftRepository
from eudesk.storage.repositories.feeds import FeedRepository
from eudesk.storage.repositories.guidelines import GuidelineRepository
from eudesk.storage.repositories.invites import InviteRepository
from eudesk.storage.repositories.meetings import MeetingRepository
from eudesk.storage.repositories.preferences import PreferenceRepository
from eudesk.storage.repositories.projects import ProjectRepository
from eudesk.storage.repositories.subscriptions import SubscriptionRepository
from eudesk.storage.repositories.users import UserRepository


class Repositories:
    """Every repository on one session, i.e. inside one transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.users = UserRepository(session)
        self.preferences = PreferenceRepository(session)
        self.invites = InviteRepository(session)
        self.audit = AuditRepository(session)
        self.bodies = BodyRepository(session)
        self.projects = ProjectRepository(session)
        self.deadlines = DeadlineRepository(session)
        self.meetings = MeetingRepository(session)
        self.documents = DocumentRepository(session)
        self.guidelines = GuidelineRepository(session)
        self.broadcasts = BroadcastRepository(session)
        self.drafts = DraftRepository(session)
        self.agreements = AgreementRepository(session)
        self.subscriptions = SubscriptionRepository(session)
        self.feeds = FeedRepository(session)


__all__ = [
    "AgreementRepository",
    "AuditRepository",
    "BodyRepository",
    "BroadcastRepository",
    "DeadlineRepository",
    "DocumentRepository",
    "DraftRepository",
    "FeedRepository",
    "GuidelineRepository",
    "InviteRepository",
    "MeetingRepository",
    "PreferenceRepository",
    "ProjectRepository",
    "Repositories",
    "SubscriptionRepository",
    "UpcomingDeadline",
    "UserRepository",
]
