"""A recording Sender: the seam between the dispatcher and a chat platform, faked for tests."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from eudesk.handlers.messages import Reply
from eudesk.schedules.delivery import ChatUnavailable, RateLimited, TransportError


@dataclass
class RecordingSender:
    """Records (chat_id, reply) per delivered message; fails the sends it is told to fail.

    Like Telegram, a chat told to wait `retry_after` answers 429 again if asked too early; such
    early sends are counted in `too_early` (given a clock), which a test expects to stay 0.
    """

    platform: str = "telegram"
    clock: Callable[[], datetime] | None = None
    sent: list[tuple[str, Reply]] = field(default_factory=list)
    attempts: int = 0
    too_early: int = 0
    _next_failures: list[TransportError] = field(default_factory=list)
    _failing_chats: dict[str, TransportError] = field(default_factory=dict)
    _blocked_until: dict[str, datetime] = field(default_factory=dict)
    _flaky: tuple[random.Random, float] | None = None

    def fail_next(self, *errors: TransportError) -> None:
        """The next sends, whatever the chat, raise these, one each."""
        self._next_failures.extend(errors)

    def fail_chat(self, chat_id: str, error: TransportError) -> None:
        """Every send to this chat raises `error` (until `heal_chat`)."""
        self._failing_chats[chat_id] = error

    def heal_chat(self, chat_id: str) -> None:
        self._failing_chats.pop(chat_id, None)

    def flaky(self, rng: random.Random, rate: float) -> None:
        """Fail that share of sends, half with a 5xx-like TransportError, half with a 429."""
        self._flaky = (rng, rate)

    def texts(self, chat_id: str) -> list[str]:
        return [reply.plain() for chat, reply in self.sent if chat == chat_id]

    async def send(self, chat_id: str, reply: Reply) -> str:
        await asyncio.sleep(0)  # a network call yields to the loop, so dispatchers interleave
        self.attempts += 1
        error = self._failure(chat_id)
        if error is not None:
            if isinstance(error, RateLimited) and self.clock is not None:
                until = self.clock() + timedelta(seconds=error.retry_after)
                self._blocked_until[chat_id] = until
            raise error
        self.sent.append((chat_id, reply))
        return f"m{len(self.sent)}"

    def _failure(self, chat_id: str) -> TransportError | None:
        if self.clock is not None and chat_id in self._blocked_until:
            if self.clock() < self._blocked_until[chat_id]:
                self.too_early += 1
                return RateLimited(self.platform, 1)
            del self._blocked_until[chat_id]
        if self._next_failures:
            return self._next_failures.pop(0)
        if chat_id in self._failing_chats:
            return self._failing_chats[chat_id]
        if self._flaky is not None:
            rng, rate = self._flaky
            if rng.random() < rate:
                if rng.random() < 0.5:
                    return TransportError(self.platform, "502 Bad Gateway")
                return RateLimited(self.platform, rng.choice([1, 3, 7, 30]))
        return None


def unavailable(chat_id: str, platform: str = "telegram") -> ChatUnavailable:
    return ChatUnavailable(platform, chat_id, "Forbidden: bot was blocked by the user")
