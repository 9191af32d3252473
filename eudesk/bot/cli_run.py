"""`eudesk run` and `eudesk console`: start what is configured, or chat in the terminal."""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from datetime import datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from sqlalchemy import func, select

from eudesk.bot.app import ServiceRole, build_dispatcher
from eudesk.bot.runtime import settings, with_database
from eudesk.bot.settings import Settings
from eudesk.bot.transports.console import ConsoleTransport
from eudesk.bot.transports.console_files import ConsoleFiles
from eudesk.bot.transports.console_sender import ConsoleSender
from eudesk.handlers.notifications import render_notification
from eudesk.schedules.delivery import Sender
from eudesk.schedules.outbox import OutboxDispatcher
from eudesk.storage.db import Database, safe_url
from eudesk.storage.errors import RecordNotFound
from eudesk.storage.migrate import upgrade
from eudesk.storage.models import Platform, Project, utcnow
from eudesk.storage.repositories import Repositories
from eudesk.storage.seed import seed_demo, seed_reference

console = Console(stderr=True, highlight=False, soft_wrap=True)
DEMO_USER = "demo"
NOTHING_TO_RUN = 2  # `--only` with no chat platform configured: a configuration error
DRAIN_ROUNDS = 10  # at the end of a session, outbox rounds for what is due already

# Starts the reminder service with these senders; stopped when the stack closes.
StartReminders = Callable[[AsyncExitStack, Mapping[str, Sender]], Awaitable[None]]


class Only(StrEnum):
    """The roles `eudesk run --only` accepts (without it: everything in one process)."""

    WORKER = "worker"
    WEB = "web"


async def prepare_demo(database: Database) -> None:
    """Migrate, load reference data, and add demo data when there are no projects yet."""
    await upgrade(database)
    async with database.transaction() as session:
        await seed_reference(session)
        has_projects = bool(await session.scalar(select(func.count()).select_from(Project)))
    if not has_projects:
        counts = await seed_demo(database)
        console.print(f"eudesk: demo data added ({counts.get('projects', 0)} projects)")


def chat_configured(config: Settings) -> bool:
    return config.telegram_enabled or config.slack_enabled


def planned_components(config: Settings, role: ServiceRole = ServiceRole.ALL) -> list[str]:
    """What `run` starts with this configuration and role, in start order."""
    parts = [f"database {safe_url(config.database_url)}"]
    if config.telegram_enabled:
        mode = "webhook" if config.telegram_webhook_url else "polling"
        parts.append(f"telegram ({mode if role.receives else 'send only'})")
    if config.slack_enabled:
        mode = "socket mode" if config.slack_app_token else "HTTP events"
        parts.append(f"slack ({mode if role.receives else 'send only'})")
    if chat_configured(config):
        if role.reminds:
            parts.append("reminders")
        routes = "" if role.receives else " (/healthz, /metrics)"
        parts.append(f"http server on {config.http_host}:{config.http_port}{routes}")
    return parts


async def ensure_console_identity(database: Database, name: str) -> None:
    """The console speaks as an existing user; their console identity is added on first use."""
    async with database.transaction() as session:
        repos = Repositories(session)
        if await repos.users.by_identity(Platform.CONSOLE, name) is not None:
            return
        user = await repos.users.get(name)  # RecordNotFound: one line from the CLI
        await repos.users.add_identity(user, Platform.CONSOLE, name)
        await repos.audit.record(
            actor=f"console:{name}",
            platform="cli",
            action="identity.add",
            allowed=True,
            target_type="user",
            target_ref=name,
        )


async def chat_in_console(
    database: Database,
    name: str,
    *,
    config: Settings | None = None,
    files: ConsoleFiles | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    reminders: StartReminders | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> int:
    """A console session as `name`, with the reminder service running alongside it: what is
    due for the session's chat is shown in it (see ConsoleSender). At the end of input the
    notifications due by then are delivered, then the service stops. Returns the messages
    answered."""
    config = config if config is not None else settings()
    await ensure_console_identity(database, name)
    files = files if files is not None else ConsoleFiles.beside(config.sqlite_path())
    session = ConsoleTransport(
        build_dispatcher(config, database), name, files=files, zone=config.zone
    )
    sender = ConsoleSender(session, files, zone=config.zone, clock=clock)
    if reminders is None:

        def reminders(stack: AsyncExitStack, senders: Mapping[str, Sender]) -> Awaitable[None]:
            return start_console_reminders(stack, config, database, senders)

    async with AsyncExitStack() as stack:
        await reminders(stack, {sender.platform: sender})
        answered = await session.run(stdin or sys.stdin, stdout or sys.stdout)
        await deliver_due(database, sender, config, clock)
    return answered


async def start_console_reminders(
    stack: AsyncExitStack, config: Settings, database: Database, senders: Mapping[str, Sender]
) -> None:
    """The same reminder service as `eudesk run`, sending through the console."""
    # Imported here: the lifecycle brings the HTTP server along, which the console never uses.
    from eudesk.bot.lifecycle import start_reminders

    await start_reminders(stack, config, database, senders)


async def deliver_due(
    database: Database,
    sender: ConsoleSender,
    config: Settings,
    clock: Callable[[], datetime] = utcnow,
) -> int:
    """Send the console notifications due now, in a few rounds (each chat's rows in order);
    the running service may be sending some of them too: a claim is exclusive."""
    outbox = OutboxDispatcher(
        database,
        {sender.platform: sender},
        partial(render_notification, zone=config.zone),
        worker=f"console-{os.getpid()}",
        clock=clock,
    )
    for _ in range(DRAIN_ROUNDS):
        if not await outbox.run_once():
            break
    return outbox.sent


def console_command(
    as_user: Annotated[str, typer.Option("--as", help="user name to speak as")] = DEMO_USER,
    files: Annotated[
        Path | None,
        typer.Option(
            "--files",
            help="folder for attachments (USER/FILE, mode 0600) and for other console users' "
            "notifications (console-outbox.log); default: next to the SQLite database, or ./var",
        ),
    ] = None,
) -> None:
    """Chat with eudesk in the terminal; piped input is read one message per line.

    Reminders, digests and guidelines for you appear in the session as they fall due; files
    (a meeting's .ics) are written to disk and their path shown. Stop with Ctrl-D or /quit.
    """
    folder = ConsoleFiles(files.absolute()) if files is not None else None

    async def work(database: Database) -> int:
        return await chat_in_console(database, as_user, files=folder)

    try:
        with_database(work)
    except RecordNotFound:
        console.print(f"eudesk: no user named {as_user!r} (see `eudesk users list`)", markup=False)
        raise typer.Exit(1) from None


def run_command(
    init_demo: Annotated[
        bool, typer.Option(help="migrate and seed reference + demo data on first use")
    ] = False,
    only: Annotated[
        Only | None,
        typer.Option(
            "--only",
            help="run one role: worker (reminders, send-only transports) or web (receive and "
            "answer messages); default: both",
        ),
    ] = None,
) -> None:
    """Start the configured transports and the reminders; with no chat platform, the console.

    Roles, to run the parts as separate processes against one PostgreSQL (default: all in one):

    --only web: receive and answer messages (polling, webhook, Socket Mode); no reminders.

    --only worker: plan reminders and send the outbox; transports only send (no polling).

    A worker's HTTP server answers /healthz and /metrics only, never the webhook routes.

    Several workers on one machine need their own ports: EUDESK_HTTP_PORT=0 picks a free one.
    """
    config = settings()
    role = ServiceRole(only.value) if only is not None else ServiceRole.ALL
    if only is not None and not chat_configured(config):
        console.print(
            f"eudesk: --only {only.value} needs a chat platform "
            "(EUDESK_TELEGRAM_TOKEN, or EUDESK_SLACK_BOT_TOKEN with a signing or app token)",
            markup=False,
        )
        raise typer.Exit(NOTHING_TO_RUN)
    if init_demo:
        with_database(prepare_demo, create=True)
    if not chat_configured(config):  # no chat platform: the console, as the demo coordinator
        console.print(f"eudesk: no chat platform configured; console as {DEMO_USER!r}")
        console_command(DEMO_USER, None)
        return
    # Imported here: the console and the other commands need no HTTP server or chat SDK.
    from eudesk.bot.lifecycle import StartupError, run_service

    parts = planned_components(config, role)
    console.print(f"eudesk: starting ({role.value}) " + "; ".join(parts), markup=False)

    def ready(port: int) -> None:
        console.print(f"eudesk: running, HTTP on port {port}; stop with Ctrl-C or SIGTERM")

    try:
        with_database(lambda database: run_service(config, database, role=role, on_ready=ready))
    except StartupError as exc:
        console.print(f"eudesk: {exc}", markup=False)
        raise typer.Exit(getattr(exc, "exit_status", 1)) from None
    console.print("eudesk: stopped")
