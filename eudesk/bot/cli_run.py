"""`eudesk run`: start what is configured; on first use, prepare a demo database."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import func, select

from eudesk.bot.runtime import settings, with_database
from eudesk.bot.settings import Settings
from eudesk.storage.db import Database, safe_url
from eudesk.storage.migrate import upgrade
from eudesk.storage.models import Project
from eudesk.storage.seed import seed_demo, seed_reference

console = Console(stderr=True, highlight=False)


async def prepare_demo(database: Database) -> None:
    """Migrate, load reference data, and add demo data when there are no projects yet."""
    await upgrade(database)
    async with database.transaction() as session:
        await seed_reference(session)
        has_projects = bool(await session.scalar(select(func.count()).select_from(Project)))
    if not has_projects:
        counts = await seed_demo(database)
        console.print(f"eudesk: demo data added ({counts.get('projects', 0)} projects)")


def planned_components(config: Settings) -> list[str]:
    """What `run` starts with this configuration, in start order."""
    parts = [f"database {safe_url(config.database_url)}"]
    if config.telegram_enabled:
        mode = "webhook" if config.telegram_webhook_url else "polling"
        parts.append(f"telegram ({mode})")
    if config.slack_enabled:
        mode = "socket mode" if config.slack_app_token else "HTTP events"
        parts.append(f"slack ({mode})")
    if config.telegram_enabled or config.slack_enabled:
        parts.append(f"http server on {config.http_host}:{config.http_port}")
    else:
        parts.append("console (no chat platform is configured)")
    return parts


def run_command(
    init_demo: Annotated[
        bool, typer.Option(help="migrate and seed reference + demo data on first use")
    ] = False,
) -> None:
    """Start every configured transport (not yet built: prints what it would start)."""
    config = settings()
    if init_demo:
        with_database(prepare_demo)
    console.print("eudesk would start: " + "; ".join(planned_components(config)))
    console.print("eudesk: the chat transports are not built yet (see the open issues).")
