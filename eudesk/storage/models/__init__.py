"""Every table of the shared database, importable from one place (Alembic reads Base.metadata)."""

from eudesk.storage.models.base import Base, utcnow
from eudesk.storage.models.bodies import Body, Contact
from eudesk.storage.models.documents import (
    PassportRecord,
    PassportStatusEvent,
    VisaRecord,
    VisaStatusEvent,
)
from eudesk.storage.models.enums import (
    AgreementStatus,
    BodyKind,
    DeadlineKind,
    DeadlineStatus,
    DigestFrequency,
    DocumentStatus,
    GuidelineAudience,
    Locale,
    MeetingStatus,
    OutboxState,
    PassportKind,
    Platform,
    ProjectStatus,
    Role,
    SubscriptionTopic,
)
from eudesk.storage.models.negotiations import (
    Chapter,
    Cluster,
    GroupMember,
    Meeting,
    NegotiatingGroup,
)
from eudesk.storage.models.notifications import (
    AuditEntry,
    CalendarFeed,
    OutboxEntry,
    Subscription,
)
from eudesk.storage.models.outreach import (
    Agreement,
    BroadcastDraft,
    Guideline,
    GuidelineDelivery,
)
from eudesk.storage.models.people import ChatPreference, Identity, Invite, User, UserRole
from eudesk.storage.models.projects import (
    Deadline,
    DeadlineBody,
    Programme,
    Project,
    ProjectPartner,
)

__all__ = [
    "Agreement",
    "AgreementStatus",
    "AuditEntry",
    "Base",
    "Body",
    "BodyKind",
    "BroadcastDraft",
    "CalendarFeed",
    "Chapter",
    "ChatPreference",
    "Cluster",
    "Contact",
    "Deadline",
    "DeadlineBody",
    "DeadlineKind",
    "DeadlineStatus",
    "DigestFrequency",
    "DocumentStatus",
    "GroupMember",
    "Guideline",
    "GuidelineAudience",
    "GuidelineDelivery",
    "Identity",
    "Invite",
    "Locale",
    "Meeting",
    "MeetingStatus",
    "NegotiatingGroup",
    "OutboxEntry",
    "OutboxState",
    "PassportKind",
    "PassportRecord",
    "PassportStatusEvent",
    "Platform",
    "Programme",
    "Project",
    "ProjectPartner",
    "ProjectStatus",
    "Role",
    "Subscription",
    "SubscriptionTopic",
    "User",
    "UserRole",
    "VisaRecord",
    "VisaStatusEvent",
    "utcnow",
]
