"""What the core needs from a chat platform to deliver a Reply, and the errors it may meet.

TransportError                  the platform refused or failed; carries the platform
├── RateLimited                 429: carries retry_after in seconds
└── ChatUnavailable             the chat blocked the bot, left, or does not exist: carries chat_id

Transports (eudesk/bot/transports/) map their SDK's exceptions to these with `raise ... from
exc`, so the reminder dispatcher (schedules) and the handlers never see an SDK exception.
"""

from __future__ import annotations

from typing import Protocol

from eudesk.handlers.messages import Reply


class TransportError(Exception):
    def __init__(self, platform: str, reason: str) -> None:
        self.platform = platform
        self.reason = reason
        super().__init__(f"{platform}: {reason}")


class RateLimited(TransportError):
    def __init__(self, platform: str, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(platform, f"rate limited, retry after {retry_after:g} s")


class ChatUnavailable(TransportError):
    def __init__(self, platform: str, chat_id: str, reason: str) -> None:
        self.chat_id = chat_id
        super().__init__(platform, f"chat {chat_id} unavailable: {reason}")


class Sender(Protocol):
    """Sends a Reply to a chat on one platform; returns the platform's id of the (first) message."""

    platform: str

    async def send(self, chat_id: str, reply: Reply) -> str: ...
