"""`eudesk db ...`: schema migrations."""

from __future__ import annotations

import typer
from rich.console import Console

from eudesk.bot.runtime import settings, with_database
from eudesk.storage.db import Database, safe_url
from eudesk.storage.migrate import current_revision, head_revision, upgrade

app = typer.Typer(help="Database schema: upgrade, current revision.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Migrate the configured database to the newest schema (safe to run again)."""

    async def work(database: Database) -> tuple[str | None, str | None]:
        before = await current_revision(database)
        await upgrade(database)
        return before, await current_revision(database)

    before, after = with_database(work)
    url = safe_url(settings().database_url)
    if before == after:
        console.print(f"{url}: already at revision {after}")
    else:
        console.print(f"{url}: upgraded from {before or 'an empty database'} to {after}")


@app.command("current")
def current_command() -> None:
    """Print the schema revision of the configured database and the newest one shipped."""
    revision = with_database(current_revision)
    console.print(f"database: {revision or 'empty'}; newest: {head_revision()}")
