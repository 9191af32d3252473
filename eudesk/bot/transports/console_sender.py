"""The console as a Sender: the outbox dispatcher delivers console notifications through it.

A notification for the chat of the running session ("console:NAME") is shown in the session,
marked as a notification with its Belgrade time. One for another console user, who has no
session here, is appended to the console's outbox log (var/console-outbox.log beside the
database, mode 0600) with the same marking and the chat it was for, and recorded as sent: the
console has no inbox to keep it in, and an outbox row pending forever helps no one. Their
attachments go to that user's own folder, as in their own session.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from eudesk.bot.transports.console import ConsoleTransport, notice_heading, render
from eudesk.bot.transports.console_files import ConsoleFiles
from eudesk.handlers.messages import Reply
from eudesk.handlers.notices import BELGRADE
from eudesk.schedules.delivery import TransportError
from eudesk.storage.models import Platform, utcnow

CHAT_PREFIX = "console:"


class ConsoleSender:
    """Delivers to the running session, or to the outbox log for other console chats."""

    platform = Platform.CONSOLE.value

    def __init__(
        self,
        session: ConsoleTransport | None,
        files: ConsoleFiles,
        *,
        zone: ZoneInfo = BELGRADE,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.session = session
        self.files = files
        self.zone = zone
        self.clock = clock
        self.logged = 0  # notifications written to the outbox log

    async def send(self, chat_id: str, reply: Reply) -> str:
        at = self.clock()
        if self.session is not None and chat_id == self.session.chat_id:
            return self.session.notify(reply, at)
        user_name = chat_id.removeprefix(CHAT_PREFIX)
        locale = self.session.locale if self.session is not None else "sr-Latn"
        entry = f"{notice_heading(at, locale, self.zone)} {chat_id}\n"
        entry += render(reply, self.files, user_name, locale) + "\n\n"
        try:
            self.files.append_log(entry)
        except OSError as exc:  # retried with backoff, dead after the last attempt
            raise TransportError(
                self.platform, f"cannot write {self.files.outbox_log}: {exc}"
            ) from exc
        self.logged += 1
        return f"log:{self.logged}"
