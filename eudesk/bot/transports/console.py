"""A chat in the terminal: interactive on a TTY, one message per line when piped.

The console is a channel like the others: notifications for the session's chat (reminders,
digests, guidelines) are shown in the session, marked as such with their Belgrade time, through
`notify`. Piped, they are written between the replies as they come. On a TTY they never tear the
line being typed: when the user has typed nothing yet, the notification is printed above the
prompt and the prompt drawn again; when they are typing, it waits until they press Enter and is
printed after the reply, before the next prompt.

Attachments are written to files (see console_files) and shown as "(attached: /full/path)".
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from types import ModuleType
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from eudesk.bot.transports.console_files import ConsoleFiles
from eudesk.handlers import i18n
from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.messages import Incoming, Reply
from eudesk.handlers.notices import BELGRADE
from eudesk.storage.models import Platform
from eudesk.storage.repositories import Repositories

QUIT = frozenset({"/quit", "/exit"})
CLEAR_LINE = "\r\x1b[2K"  # back to the line's start and erase it (the prompt, nothing typed)

i18n.register(
    {
        "console.notice": i18n.texts("obaveštenje", "értesítés", "notification"),
        "console.attached": i18n.texts("prilog", "melléklet", "attached"),
        "console.not_saved": i18n.texts(
            "prilog {name} nije sačuvan: {reason}",
            "a(z) {name} melléklet nem menthető: {reason}",
            "attachment {name} not saved: {reason}",
        ),
    }
)


def chat_of(user_name: str) -> str:
    """The console chat of a user, as subscriptions and the outbox name it."""
    return f"console:{user_name}"


def to_incoming(user_name: str, line: str) -> Incoming:
    """A typed line as a message from the console user."""
    return Incoming(
        platform=Platform.CONSOLE,
        chat_id=chat_of(user_name),
        sender_id=user_name,
        sender_name=user_name,
        text=line,
    )


def render(
    reply: Reply, files: ConsoleFiles | None = None, user_name: str = "", locale: str = "en"
) -> str:
    """The reply as text; with `files`, each attachment is written and its real path shown."""
    if files is None or not reply.attachments:
        return reply.plain()
    lines = [dataclasses.replace(reply, attachments=[]).plain()]
    for attachment in reply.attachments:
        try:
            path = files.save(user_name, attachment)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            name = attachment.filename
            lines.append(
                f"({i18n.translate(locale, 'console.not_saved', name=name, reason=reason)})"
            )
        else:
            lines.append(f"({i18n.translate(locale, 'console.attached')}: {path})")
    return "\n".join(line for line in lines if line)


def notice_heading(at: datetime, locale: str, zone: ZoneInfo = BELGRADE) -> str:
    """The line that marks a notification: "— obaveštenje, 08.12.2026. 09:00 —"."""
    label = i18n.translate(locale, "console.notice")
    return f"— {label}, {i18n.format_datetime(at, locale, zone)} —"


def _readline() -> ModuleType | None:
    """GNU readline (line editing, and the typed text for `notify`), where Python has it."""
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows, or a Python built without it
        return None
    return readline


class ConsoleTransport:
    """Reads messages from a stream and writes each reply, until end of input or /quit."""

    platform = Platform.CONSOLE.value

    def __init__(
        self,
        dispatcher: Dispatcher,
        user_name: str,
        *,
        files: ConsoleFiles | None = None,
        zone: ZoneInfo = BELGRADE,
    ) -> None:
        self.dispatcher = dispatcher
        self.user_name = user_name
        self.chat_id = chat_of(user_name)
        self.files = files
        self.zone = zone
        self.locale: str = (
            dispatcher.config.default_locale.value
        )  # the user's, refreshed after each reply
        self.notified = 0  # notifications shown in this session
        self._out: TextIO | None = None
        self._interactive = False
        self._prompt = f"{user_name}> "
        self._prompting = False  # a prompt is on screen and the user may be typing
        self._typed: Callable[[], str] | None = None  # what is typed after the prompt
        self._drawn = False  # readline has drawn the prompt and waits for keys
        self._held: list[str] = []  # notifications waiting for the line to be sent

    async def run(self, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
        """Returns the number of messages answered."""
        interactive = stdin.isatty()
        self._out, self._interactive = stdout, interactive
        await self.refresh_locale()
        self._show_held()  # what arrived before the session opened
        answered = 0
        with self._terminal(stdin, stdout) as read_line:
            while True:
                line = await read_line()
                if line is None:
                    break
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                if interactive and line.strip() in QUIT:
                    break
                reply = await self.dispatcher.handle(to_incoming(self.user_name, line))
                await self.refresh_locale()  # /lang changes it
                text = render(reply, self.files, self.user_name, self.locale)
                if not interactive:
                    stdout.write(f"> {line[:200]}\n")
                stdout.write(text + "\n\n")
                stdout.flush()
                answered += 1
                self._show_held()
        return answered

    async def refresh_locale(self) -> str:
        """The user's reply language as stored now (for the words the console adds itself)."""
        async with self.dispatcher.db.transaction() as session:
            user = await Repositories(session).users.by_identity(Platform.CONSOLE, self.user_name)
        if user is not None and user.locale is not None:
            self.locale = user.locale.value
        return self.locale

    def notify(self, reply: Reply, at: datetime, locale: str | None = None) -> str:
        """Show a notification in this session (now, or once the typed line is sent); returns
        the message id the outbox records."""
        self.notified += 1
        heading = notice_heading(at, locale or self.locale, self.zone)
        body = render(reply, self.files, self.user_name, locale or self.locale)
        block = f"{heading}\n{body}\n\n"
        out = self._out
        if out is None or (self._prompting and not self._may_interrupt()):
            self._held.append(block)
        elif self._prompting:  # a prompt with nothing typed after it: print above it
            out.write(CLEAR_LINE + block + self._prompt)
            out.flush()
        else:
            out.write(block)
            out.flush()
        return f"{self.chat_id}#{self.notified}"

    def _may_interrupt(self) -> bool:
        """Whether the prompt line may be redrawn: only when nothing is typed on it."""
        if self._typed is None or not self._drawn:
            return False
        try:
            return self._typed() == ""
        except Exception:  # readline state read from another thread: never worth a crash
            return False

    def _show_held(self) -> None:
        if self._out is None or not self._held:
            return
        held, self._held = self._held, []
        self._out.write("".join(held))
        self._out.flush()

    @contextlib.contextmanager
    def _terminal(
        self, stdin: TextIO, stdout: TextIO
    ) -> Iterator[Callable[[], asyncio.Future[str | None]]]:
        """A function reading the next line without blocking the event loop (None at end of
        input); on the real terminal with readline's line editing, and its state restored."""
        loop = asyncio.get_running_loop()
        editing = self._interactive and stdin is sys.stdin and stdout is sys.stdout
        readline = _readline() if editing else None
        saved = _terminal_state(stdin) if self._interactive else None

        def blocking_read() -> str | None:
            if readline is not None:
                try:
                    return input(self._prompt)
                except EOFError:
                    return None
                finally:
                    self._drawn = False
            if self._interactive:
                stdout.write(self._prompt)
                stdout.flush()
            return stdin.readline() or None

        def read_line() -> asyncio.Future[str | None]:
            # A daemon thread of its own: a session ended by Ctrl-C must not wait for a line.
            future: asyncio.Future[str | None] = loop.create_future()

            def done(line: str | None, error: BaseException | None) -> None:
                self._prompting = False
                if future.done():
                    return
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(line)

            def work() -> None:
                try:
                    line = blocking_read()
                except BaseException as exc:  # handed to the loop, raised where it awaits
                    loop.call_soon_threadsafe(done, None, exc)
                else:
                    loop.call_soon_threadsafe(done, line, None)

            self._prompting = self._interactive
            threading.Thread(target=work, name="console-input", daemon=True).start()
            return future

        def drawn() -> None:  # readline's pre-input hook: the prompt is on screen
            self._drawn = True

        if readline is not None:
            self._typed = readline.get_line_buffer
            readline.set_pre_input_hook(drawn)
        try:
            yield read_line
        finally:
            self._prompting = False
            self._typed = None
            if readline is not None:
                readline.set_pre_input_hook(None)
            _restore_terminal(stdin, saved)


def _terminal_state(stream: TextIO) -> list[Any] | None:
    """The terminal's settings, to restore when a session ends in the middle of a line."""
    try:
        import termios

        return list(termios.tcgetattr(stream.fileno()))
    except (ImportError, OSError, ValueError, AttributeError):
        return None


def _restore_terminal(stream: TextIO, saved: list[Any] | None) -> None:
    if saved is None:
        return
    with contextlib.suppress(ImportError, OSError, ValueError):
        import termios

        termios.tcsetattr(stream.fileno(), termios.TCSADRAIN, saved)
