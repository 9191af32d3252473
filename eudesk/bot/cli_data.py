"""`eudesk seed|import|export`: reference and demo data, and spreadsheets in and out."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from eudesk.bot.runtime import settings, with_database
from eudesk.storage.changes import announce_now
from eudesk.storage.db import Database
from eudesk.storage.repositories import Repositories
from eudesk.storage.seed import seed_demo, seed_reference
from eudesk.storage.transfer import KINDS, ImportRejected, export_file, import_file

seed_app = typer.Typer(
    help="Load reference data (real) or demo data (invented).", no_args_is_help=True
)
console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int | None], None]]:
    """A rich progress bar on stderr, driven by (done, total) callbacks."""
    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=errors, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update


async def _audit_passports(database: Database, action: str, detail: str) -> None:
    """Passport files carry personal data: who moved them in or out is recorded."""
    async with database.transaction() as session:
        await Repositories(session).audit.record(
            actor=f"cli:{getpass.getuser()}",
            platform="cli",
            action=action,
            allowed=True,
            target_type="passport",
            detail=detail,
        )


def _print_counts(title: str, counts: dict[str, int]) -> None:
    console.print(f"{title}: " + ", ".join(f"{n} {table}" for table, n in counts.items()))


async def _seed_reference(database: Database) -> dict[str, int]:
    async with database.transaction() as session:
        return await seed_reference(session)


@seed_app.command("reference")
def seed_reference_command() -> None:
    """Load the real bodies, programmes, chapters and clusters (safe to run again)."""
    _print_counts("reference data", with_database(_seed_reference))


@seed_app.command("demo")
def seed_demo_command(
    scale: Annotated[int, typer.Option(min=1, max=1000, help="N times the demo set")] = 1,
    replace: Annotated[bool, typer.Option(help="remove earlier demo data first")] = False,
    today: Annotated[str | None, typer.Option(help="date the demo is relative to")] = None,
) -> None:
    """Add invented, clearly marked demo data (projects, deadlines, meetings, passports...)."""
    as_of = date.fromisoformat(today) if today else None

    async def work(database: Database) -> dict[str, int]:
        await _seed_reference(database)
        with progress_bar("seeding demo data") as update:
            return await seed_demo(
                database,
                scale=scale,
                today=as_of,
                replace=replace,
                progress=lambda done, total: update(done, total),
            )

    _print_counts("demo data", with_database(work))


def import_command(
    kind: Annotated[str, typer.Argument(help=f"one of: {', '.join(KINDS)}")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a .csv or .xlsx file")],
) -> None:
    """Import rows from CSV or XLSX; any bad row rejects the whole file, naming every bad row."""
    if kind not in KINDS:
        raise typer.BadParameter(f"choose one of: {', '.join(KINDS)}", param_hint="KIND")

    async def work(database: Database) -> str:
        with progress_bar(f"importing {kind}") as update:
            report = await import_file(database, kind, file, progress=update, zone=settings().zone)
        await announce_now(database)  # running workers plan the imported items at once
        if kind == "passports":
            rows = report.created + report.updated + report.unchanged
            detail = (
                f"{rows} rows from {file.name}: {report.created} created, {report.updated} updated"
            )
            await _audit_passports(database, "passport.import", detail)
        return str(report)

    try:
        summary = with_database(work)
    except ImportRejected as exc:
        errors.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    console.print(summary, markup=False)


def export_command(
    kind: Annotated[str, typer.Argument(help=f"one of: {', '.join(KINDS)}")],
    output: Annotated[Path, typer.Option("--output", "-o", help="file to write")],
    fmt: Annotated[
        str, typer.Option("--format", help="csv or xlsx (default: from the file name)")
    ] = "",
) -> None:
    """Export rows in the same columns that import reads."""
    if kind not in KINDS:
        raise typer.BadParameter(f"choose one of: {', '.join(KINDS)}", param_hint="KIND")
    chosen = fmt or output.suffix.lstrip(".").lower() or "csv"
    if chosen not in ("csv", "xlsx"):
        raise typer.BadParameter("use csv or xlsx", param_hint="--format")
    file_format: Literal["csv", "xlsx"] = "csv" if chosen == "csv" else "xlsx"

    async def work(database: Database) -> int:
        count = await export_file(database, kind, output, file_format, zone=settings().zone)
        if kind == "passports":
            await _audit_passports(database, "passport.export", f"{count} rows to {output.name}")
        return count

    count = with_database(work)
    console.print(f"exported {count} {kind} to {output}", markup=False)
