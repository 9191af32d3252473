"""The console is a channel like the others: notifications reach the session, files reach disk.

Each test runs a console session in process (or `eudesk console` in a subprocess) on demo data
in a database of its own, with the reminder service running alongside it for real: it commits,
plans and sends through the console Sender.
"""

from __future__ import annotations

import asyncio
import io
import os
import pty
import select as io_select
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from eudesk.bot.cli_run import StartReminders, chat_in_console
from eudesk.bot.settings import Settings
from eudesk.bot.transports.console_files import ConsoleFiles
from eudesk.handlers.messages import Attachment
from eudesk.handlers.notices import BELGRADE
from eudesk.schedules.delivery import Sender
from eudesk.schedules.reminders import ReminderService
from eudesk.storage.db import Database
from eudesk.storage.migrate import upgrade
from eudesk.storage.models import (
    Guideline,
    Locale,
    Meeting,
    OutboxEntry,
    OutboxState,
    Platform,
    SubscriptionTopic,
    utcnow,
)
from eudesk.storage.repositories import Repositories
from eudesk.storage.repositories.broadcasts import BroadcastRepository
from eudesk.storage.seed import seed_demo, seed_reference
from tests.cli import run_cli
from tests.conftest import NOW, TODAY
from tests.databases import discard_database, new_database_url


@pytest.fixture
async def demo_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated demo database of its own (relative to TODAY): sessions commit for real."""
    url = await new_database_url(backend, tmp_path)
    database = Database.from_url(url)
    try:
        await upgrade(database)
        async with database.transaction() as session:
            await seed_reference(session)
        await seed_demo(database, today=TODAY)
    finally:
        await database.dispose()
    yield url
    await discard_database(backend, url)


@pytest.fixture
async def database(demo_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(demo_url)
    yield database
    await database.dispose()


def reminders_at(database: Database, clock: Callable[[], datetime]) -> StartReminders:
    """The reminder service as the console starts it, on a fixed clock."""

    async def start(stack: AsyncExitStack, senders: Mapping[str, Sender]) -> None:
        service = ReminderService(database, senders, zone=BELGRADE, clock=clock)
        await service.start()
        stack.push_async_callback(service.stop)

    return start


async def session(
    database: Database, user: str, script: str, files: ConsoleFiles, *, clock: datetime = NOW
) -> str:
    """Run a piped console session as `user`; returns what it wrote."""
    stdout = io.StringIO()
    await chat_in_console(
        database, user, config=Settings(), files=files, stdin=io.StringIO(script),
        stdout=stdout, reminders=reminders_at(database, lambda: clock), clock=lambda: clock,
    )  # fmt: skip
    return stdout.getvalue()


async def subscribe(database: Database, chat_id: str, topic: SubscriptionTopic) -> None:
    async with database.transaction() as session:
        await Repositories(session).subscriptions.subscribe(
            platform=Platform.CONSOLE, chat_id=chat_id, topic=topic, locale=Locale.EN
        )


async def console_rows(
    database: Database, chat_id: str, *, guideline: int | None = None
) -> list[OutboxEntry]:
    """The chat's outbox rows (the demo seeds console subscriptions too); with `guideline`,
    only that guideline's copies."""
    query = select(OutboxEntry).where(
        OutboxEntry.platform == Platform.CONSOLE, OutboxEntry.chat_id == chat_id
    )
    if guideline is not None:
        query = query.where(OutboxEntry.kind == "guideline", OutboxEntry.item_id == guideline)
    async with database.transaction() as session:
        return list(await session.scalars(query.order_by(OutboxEntry.id)))


async def all_sent(database: Database, chat_id: str, guideline: int) -> bool:
    states = [row.state for row in await console_rows(database, chat_id, guideline=guideline)]
    return bool(states) and set(states) == {OutboxState.SENT}


def read_bytes(path: Path) -> bytes:
    return path.read_bytes()


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


async def broadcast_latest_guideline(database: Database, now: datetime) -> Guideline:
    """A guideline broadcast: chats subscribed to guidelines get their copy, due at `now`."""
    async with database.transaction() as session:
        guideline = await session.scalar(
            select(Guideline).order_by(Guideline.published_at.desc()).limit(1)
        )
        assert guideline is not None
        await BroadcastRepository(session).broadcast(guideline, [], now)
    return guideline


async def test_a_due_reminder_appears_in_the_session_and_its_row_is_sent(
    database: Database, tmp_path: Path
) -> None:
    await subscribe(database, "console:demo", SubscriptionTopic.CALLS)
    out = await session(database, "demo", "/whoami\n", ConsoleFiles(tmp_path))
    assert "— obaveštenje, 27.11.2026. 09:00 —" in out  # demo speaks sr-Latn; Belgrade time
    assert "Reminder: deadline" in out  # the subscription's language
    assert "Vaš nalog" in out  # the conversation went on around it
    rows = await console_rows(database, "console:demo")
    due = [row for row in rows if row.due_at <= NOW]
    assert due
    assert all(row.state == OutboxState.SENT for row in due)
    assert all((row.message_id or "").startswith("console:demo#") for row in due)
    assert out.count("— obaveštenje,") == len(due)  # each shown once


async def test_a_guideline_broadcast_reaches_the_console_session(
    database: Database, tmp_path: Path
) -> None:
    await subscribe(database, "console:demo", SubscriptionTopic.GUIDELINES)
    guideline = await broadcast_latest_guideline(database, NOW)
    out = await session(database, "demo", "/whoami\n", ConsoleFiles(tmp_path))
    notice = out[out.index("— obaveštenje, 27.11.2026. 09:00 —") :]
    assert guideline.title in notice
    [row] = await console_rows(database, "console:demo", guideline=guideline.id)
    assert row.state == OutboxState.SENT


async def test_another_console_users_notification_goes_to_the_outbox_log(
    database: Database, tmp_path: Path
) -> None:
    await subscribe(database, "console:demo-staff", SubscriptionTopic.GUIDELINES)
    guideline = await broadcast_latest_guideline(database, NOW)
    files = ConsoleFiles(tmp_path)
    await session(database, "demo", "/whoami\n", files)
    log = files.outbox_log.read_text(encoding="utf-8")
    assert " console:demo\n" not in log  # demo's own are shown in the session, never logged
    assert "console:demo-staff" in log
    assert guideline.title in log
    assert mode(files.outbox_log) == 0o600
    [row] = await console_rows(database, "console:demo-staff", guideline=guideline.id)
    assert row.state == OutboxState.SENT
    assert (row.message_id or "").startswith("log:")


async def test_meeting_ics_is_written_where_the_console_says_and_parses(
    database: Database, tmp_path: Path
) -> None:
    async with database.transaction() as s:
        meeting = await s.scalar(select(Meeting).order_by(Meeting.id).limit(1))
    assert meeting is not None
    files = ConsoleFiles(tmp_path / "var")
    paths = []
    for user in ("demo", "demo-staff"):
        out = await session(database, user, f"/meeting {meeting.id}\n", files)
        [line] = [line for line in out.splitlines() if line.startswith("(prilog: ")]
        paths.append(Path(line.removeprefix("(prilog: ").removesuffix(")")))
    for path in paths:
        assert path.is_absolute()
        [event] = Calendar.from_ical(read_bytes(path)).walk("VEVENT")
        assert meeting.title in str(event["SUMMARY"])
        assert mode(path) == 0o600
        assert mode(path.parent) == 0o700
    # The same file name for two users: each keeps their own.
    assert paths[0].name == paths[1].name
    assert paths[0] != paths[1]


def test_eudesk_console_delivers_what_is_due_and_ends_with_its_input(
    demo_url: str, tmp_path: Path
) -> None:
    """The real command, the real reminder service and clock: a guideline queued for the demo
    user's console before the session starts is in its output, and the row is sent."""

    async def queue() -> Guideline:
        database = Database.from_url(demo_url)
        try:
            await subscribe(database, "console:demo", SubscriptionTopic.GUIDELINES)
            return await broadcast_latest_guideline(database, utcnow())
        finally:
            await database.dispose()

    guideline = asyncio.run(queue())
    title = guideline.title
    result = run_cli("console", "--files", str(tmp_path / "files"), database_url=demo_url,
                     cwd=tmp_path, stdin="/whoami\n")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "— obaveštenje, " in result.stdout
    assert title in result.stdout

    async def state() -> list[OutboxState]:
        database = Database.from_url(demo_url)
        try:
            rows = await console_rows(database, "console:demo", guideline=guideline.id)
            return [row.state for row in rows]
        finally:
            await database.dispose()

    assert asyncio.run(state()) == [OutboxState.SENT]


def test_console_files_are_private(tmp_path: Path) -> None:
    files = ConsoleFiles(tmp_path)
    first = files.save("ana/x", Attachment("../../etc/passwd", b"a", "text/plain"))
    second = files.save("ana_x", Attachment("passwd", b"b", "text/plain"))
    assert first.parent.parent == files.files  # no escape from the user's folder
    assert first != second  # two users whose names fold alike keep their own files
    assert first.read_bytes() == b"a"
    assert second.read_bytes() == b"b"
    again = files.save("ana_x", Attachment("passwd", b"c", "text/plain"))
    assert again == second
    assert second.read_bytes() == b"c"  # a user's own latest replaces their older one
    assert not [p for p in second.parent.iterdir() if p.name.startswith(".part-")]
    assert mode(second) == 0o600


class Terminal:
    """The master side of a pseudo-terminal: what the program wrote, waited for by content."""

    def __init__(self, master: int) -> None:
        self.master = master
        self.text = ""

    def wait_for(self, wanted: str, *, start: int = 0, within: float = 60.0) -> int:
        """Read until `wanted` appears at or after `start`; returns where (a bound, not a
        timing: the program is given `within` seconds)."""
        deadline = time.monotonic() + within
        while (found := self.text.find(wanted, start)) < 0:
            left = deadline - time.monotonic()
            assert left > 0, f"{wanted!r} never appeared in:\n{self.text}"
            ready, _, _ = io_select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the program closed the terminal
                    chunk = b""
                assert chunk, f"{wanted!r} never appeared before the end:\n{self.text}"
                self.text += chunk.decode("utf-8", errors="replace")
        return found

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())


def test_on_a_terminal_a_notification_waits_for_the_line_being_typed(
    demo_url: str, tmp_path: Path
) -> None:
    """`eudesk console` on a TTY: a notification that falls due while the user is typing is
    shown after the reply to that line, not in the middle of it; Ctrl-D ends the session."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EUDESK_")}
    env |= {"EUDESK_DATABASE_URL": demo_url, "EUDESK_LOG_LEVEL": "WARNING", "TERM": "dumb"}
    process = subprocess.Popen(
        [sys.executable, "-m", "eudesk", "console", "--files", str(tmp_path / "files")],
        stdin=slave, stdout=slave, stderr=slave, cwd=tmp_path, env=env, close_fds=True,
    )  # fmt: skip
    os.close(slave)
    terminal = Terminal(master)
    try:
        terminal.wait_for("demo> ")
        terminal.type("/whoa")
        typed = terminal.wait_for("/whoa")

        async def queue_and_wait_until_sent() -> str:
            """Queue a guideline for demo; return its title once the session has sent it."""
            database = Database.from_url(demo_url)
            try:
                await subscribe(database, "console:demo", SubscriptionTopic.GUIDELINES)
                guideline = await broadcast_latest_guideline(database, utcnow())
                async with asyncio.timeout(60):  # the session's dispatcher looks every second
                    while not await all_sent(database, "console:demo", guideline.id):  # noqa: ASYNC110
                        await asyncio.sleep(0.2)  # rows another process writes: polled
                return guideline.title
            finally:
                await database.dispose()

        title = asyncio.run(queue_and_wait_until_sent())
        assert title not in terminal.text[typed:]  # delivered, but held: the user is typing
        terminal.type("mi\r")
        reply = terminal.wait_for("Vaš nalog", start=typed)
        notice = terminal.wait_for(title, start=typed)
        assert reply < notice
        terminal.wait_for("demo> ", start=notice)
        terminal.type("\x04")  # Ctrl-D
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
