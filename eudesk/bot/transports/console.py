"""A chat in the terminal: interactive on a TTY, one message per line when piped."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.messages import Incoming, Reply
from eudesk.storage.models import Platform


def to_incoming(user_name: str, line: str) -> Incoming:
    """A typed line as a message from the console user."""
    return Incoming(
        platform=Platform.CONSOLE,
        chat_id=f"console:{user_name}",
        sender_id=user_name,
        sender_name=user_name,
        text=line,
    )


def render(reply: Reply) -> str:
    return reply.plain()


class ConsoleTransport:
    """Reads messages from a stream and writes each reply, until end of input or /quit."""

    def __init__(self, dispatcher: Dispatcher, user_name: str) -> None:
        self.dispatcher = dispatcher
        self.user_name = user_name

    async def run(self, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
        """Returns the number of messages answered."""
        interactive = stdin.isatty()
        answered = 0
        while True:
            if interactive:
                stdout.write(f"{self.user_name}> ")
                stdout.flush()
            # Reading a line blocks; keep the event loop free for everything else.
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            if interactive and line.strip() in {"/quit", "/exit"}:
                break
            reply = await self.dispatcher.handle(to_incoming(self.user_name, line))
            if not interactive:
                stdout.write(f"> {line[:200]}\n")
            stdout.write(render(reply) + "\n\n")
            stdout.flush()
            answered += 1
        return answered
