"""`eudesk run` and `eudesk console`: start what is configured, or chat in the terminal."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import func, select

from eudesk.bot.app import ServiceRole, build_dispatcher
from eudesk.bot.runtime import settings, with_database
from eudesk.bot.settings import Settings
from eudesk.bot.transports.console import ConsoleTransport
from eudesk.storage.db import Database, safe_url
from eudesk.storage.errors import RecordNotFound
from eudesk.storage.migrate import upgrade
from eudesk.storage.models import Platform, Project
from eudesk.storage.repositories import Repositories
from eudesk.storage.seed import seed_demo, seed_reference

console = Console(stderr=True, highlight=False, soft_wrap=True)
DEMO_USER = "demo"
NOTHING_TO_RUN = 2  # `--only` with no chat platform configured: a configuration error


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


async def chat_in_console(database: Database, name: str) -> int:
    await ensure_console_identity(database, name)
    dispatcher = build_dispatcher(settings(), database)
    return await ConsoleTransport(dispatcher, name).run()


def console_command(
    as_user: Annotated[str, typer.Option("--as", help="user name to speak as")] = DEMO_USER,
) -> None:
    """Chat with eudesk in the terminal; piped input is read one message per line."""

    async def work(database: Database) -> int:
        return await chat_in_console(database, as_user)

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
        with_database(prepare_demo)
    if not chat_configured(config):  # no chat platform: the console, as the demo coordinator
        console.print(f"eudesk: no chat platform configured; console as {DEMO_USER!r}")
        console_command(DEMO_USER)
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
        raise typer.Exit(1) from None
    console.print("eudesk: stopped")
