"""A conversation harness: FakeChat talks to the real dispatcher (fixtures: tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.messages import Incoming, Reply
from eudesk.storage.models import Platform
from tests.conftest import NOW, TODAY

__all__ = ["NOW", "TODAY", "Answer", "FakeChat"]


@dataclass
class Answer:
    """What the user saw: the reply and its plain text."""

    reply: Reply

    @property
    def text(self) -> str:
        return self.reply.plain()


class FakeChat:
    """A person typing to eudesk on one platform, as one identity."""

    def __init__(self, dispatcher: Dispatcher, sender: str,
                 platform: Platform = Platform.CONSOLE) -> None:  # fmt: skip
        self.dispatcher = dispatcher
        self.sender = sender
        self.platform = platform

    async def send(self, text: str) -> Answer:
        incoming = Incoming(
            platform=self.platform,
            chat_id=f"chat-{self.sender}",
            sender_id=self.sender,
            sender_name=self.sender,
            text=text,
        )
        return Answer(await self.dispatcher.handle(incoming))

    async def press(self, callback: str) -> Answer:
        incoming = Incoming(
            platform=self.platform,
            chat_id=f"chat-{self.sender}",
            sender_id=self.sender,
            text=callback,
            is_callback=True,
        )
        return Answer(await self.dispatcher.handle(incoming))


@pytest.fixture
def chat(dispatcher: Dispatcher) -> FakeChat:
    """The demo coordinator (roles coordinator + staff)."""
    return FakeChat(dispatcher, "demo")


@pytest.fixture
def staff_chat(dispatcher: Dispatcher) -> FakeChat:
    return FakeChat(dispatcher, "demo-staff")


@pytest.fixture
def officer_chat(dispatcher: Dispatcher) -> FakeChat:
    return FakeChat(dispatcher, "demo-officer")


@pytest.fixture
def admin_chat(dispatcher: Dispatcher) -> FakeChat:
    return FakeChat(dispatcher, "demo-admin")


@pytest.fixture
def contact_chat(dispatcher: Dispatcher) -> FakeChat:
    return FakeChat(dispatcher, "demo-contact")


@pytest.fixture
def stranger_chat(dispatcher: Dispatcher) -> FakeChat:
    return FakeChat(dispatcher, "987654321", platform=Platform.TELEGRAM)
