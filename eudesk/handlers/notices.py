"""What the renderers of outbox rows share: the row as they see it, and moments in its payload."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

BELGRADE = ZoneInfo("Europe/Belgrade")  # the default zone notifications are shown in


class Notification(Protocol):
    """What rendering needs of an outbox row."""

    kind: str
    locale: str
    payload: str


def payload_moment(text: object) -> datetime | None:
    """An ISO moment from a payload field; None when it is missing or not a moment."""
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
