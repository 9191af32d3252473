"""`eudesk db ...`: schema migrations."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

from eudesk.bot.runtime import open_database, settings, with_database
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

    before, after = with_database(work, create=True)  # the one command that makes a database
    url = safe_url(settings().database_url)
    if before == after:
        console.print(f"{url}: already at revision {after}")
    else:
        console.print(f"{url}: upgraded from {before or 'an empty database'} to {after}")


@app.command("current")
def current_command() -> None:
    """Print the schema revision of the configured database and the newest one shipped."""

    async def read() -> str | None:
        # No schema check: this is how an operator looks at a database that fails it.
        database = open_database(settings())
        try:
            return await current_revision(database)
        finally:
            await database.dispose()

    revision = asyncio.run(read())
    head = head_revision()
    state = "" if revision == head else " (run `eudesk db upgrade`)"
    console.print(f"database: {revision or 'empty'}; newest: {head}{state}")
