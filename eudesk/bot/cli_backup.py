"""`eudesk backup FILE` and `eudesk restore FILE`: all data in one zip, SQLite or PostgreSQL."""

from __future__ import annotations

import getpass
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from eudesk.bot.cli_data import progress_bar
from eudesk.bot.runtime import with_database
from eudesk.storage.backup import BackupError, Manifest, backup, restore
from eudesk.storage.db import Database

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def backup_command(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="the .zip file to write")],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="replace FILE if it exists")
    ] = False,
) -> None:
    """Write a consistent backup of all data to a zip file.

    One CSV per table and a manifest.json (schema revision, row counts,
    a SHA-256 of each CSV), all read from one snapshot of the database.
    NULL is written as \\N, times in UTC ISO 8601, amounts as exact decimals.
    `eudesk restore FILE` loads it into an empty database, SQLite or
    PostgreSQL, whichever backend it came from.
    """
    if file.exists() and not overwrite:
        errors.print(f"eudesk: {file} exists; pass --overwrite to replace it", markup=False)
        raise typer.Exit(1)

    async def work(database: Database) -> Manifest:
        with progress_bar("backing up") as update:
            return await backup(database, file, actor=_actor(), progress=update)

    manifest = _run(work)
    console.print(
        f"backed up {manifest.total_rows} rows of {len(manifest.tables)} tables "
        f"(schema revision {manifest.schema_revision}) to {file}",
        markup=False,
    )


def restore_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="a zip written by eudesk backup")
    ],
) -> None:
    """Load a backup into an empty database at the backup's schema revision.

    Run `eudesk db upgrade` on the new database first. The archive is checked
    against its manifest before anything is written; all rows go in in one
    transaction, so a failure leaves the database empty. A database that
    already holds rows, or is at another schema revision, is refused.
    """

    async def work(database: Database) -> Manifest:
        with progress_bar("restoring") as update:
            return await restore(database, file, actor=_actor(), progress=update)

    manifest = _run(work)
    console.print(
        f"restored {manifest.total_rows} rows of {len(manifest.tables)} tables from {file} "
        f"({manifest.source_backend} backup of {manifest.created_at}, "
        f"schema revision {manifest.schema_revision})",
        markup=False,
    )


def _run(work: Callable[[Database], Awaitable[Manifest]]) -> Manifest:
    """Run the work; a refusal or a bad archive is one line on stderr and exit status 1."""
    try:
        return with_database(work)
    except BackupError as exc:
        errors.print(f"eudesk: {exc}", markup=False)
        raise typer.Exit(1) from None
