"""Closed vocabularies of the domain, stored as their string values."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Enum


def enum_column(enum_cls: type[enum.StrEnum]) -> Enum:
    """A VARCHAR with a CHECK constraint: portable, and readable in SQL and in exports."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=32,
        name=enum_cls.__name__.lower(),
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )


class BodyKind(enum.StrEnum):
    PROVINCIAL_SECRETARIAT = "provincial_secretariat"
    PROVINCIAL_BODY = "provincial_body"
    CITY = "city"
    MUNICIPALITY = "municipality"
    SECTOR = "sector"
    REPRESENTATION = "representation"
    PARTNER_REGION = "partner_region"

    @property
    def is_lsgu(self) -> bool:
        return self in (BodyKind.CITY, BodyKind.MUNICIPALITY)


class Role(enum.StrEnum):
    STAFF = "staff"
    COORDINATOR = "coordinator"
    PASSPORT_OFFICER = "passport_officer"
    ADMIN = "admin"
    CONTACT = "contact"


class Platform(enum.StrEnum):
    TELEGRAM = "telegram"
    SLACK = "slack"
    CONSOLE = "console"


class Locale(enum.StrEnum):
    SR_LATN = "sr-Latn"
    SR_CYRL = "sr-Cyrl"
    HU = "hu"
    EN = "en"


class ProjectStatus(enum.StrEnum):
    PLANNED = "planned"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    ONGOING = "ongoing"
    COMPLETED = "completed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class DeadlineKind(enum.StrEnum):
    CALL = "call_for_proposals"
    REPORT = "report"
    COFINANCING = "cofinancing_request"
    PAYMENT_CLAIM = "payment_claim"
    OTHER = "other"


class DeadlineStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class MeetingStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class PassportKind(enum.StrEnum):
    DIPLOMATIC = "diplomatic"
    OFFICIAL = "official"


class DocumentStatus(enum.StrEnum):
    """The life of a passport or visa application, in order."""

    REQUESTED = "requested"
    SUBMITTED = "submitted"
    ISSUED = "issued"
    DELIVERED = "delivered"
    RETURNED = "returned"
    EXPIRED = "expired"
    REVOKED = "revoked"


class AgreementStatus(enum.StrEnum):
    IN_PREPARATION = "in_preparation"
    SIGNED = "signed"
    ACTIVE = "active"
    EXPIRED = "expired"


class GuidelineAudience(enum.StrEnum):
    ALL = "all"
    ALL_LSGU = "all_lsgu"
    PROVINCIAL = "provincial"
    BODIES = "bodies"


class SubscriptionTopic(enum.StrEnum):
    BODY_DEADLINES = "body_deadlines"
    PROJECT_DEADLINES = "project_deadlines"
    PROGRAMME_DEADLINES = "programme_deadlines"
    CALLS = "calls"
    CHAPTER_MEETINGS = "chapter_meetings"
    CLUSTER_MEETINGS = "cluster_meetings"
    GUIDELINES = "guidelines"
    DIGEST = "digest"


class DigestFrequency(enum.StrEnum):
    NONE = "none"
    DAILY = "daily"
    WEEKLY = "weekly"


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    LEASED = "leased"
    SENT = "sent"
    DEAD = "dead"
    CANCELLED = "cancelled"


def values(enum_cls: type[enum.StrEnum]) -> list[Any]:
    """The stored values of an enum, for messages that list what is allowed."""
    return [member.value for member in enum_cls]
