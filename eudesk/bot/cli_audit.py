"""`eudesk audit` (read the audit log) and `eudesk retention run` (anonymise old passport data)."""

from __future__ import annotations

import getpass
import re
import unicodedata
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Annotated, NoReturn, cast
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from eudesk.bot.cli_output import FORMAT_HELP, Cell, OutputFormat, aemit, emit
from eudesk.bot.runtime import settings, with_database
from eudesk.storage.db import Database
from eudesk.storage.models import utcnow
from eudesk.storage.repositories import Repositories
from eudesk.storage.repositories.audit import AuditFilter, AuditLine
from eudesk.storage.retention import (
    DEFAULT_YEARS,
    DueRecord,
    RetentionReport,
    anonymise_expired,
    due_records,
)

retention_app = typer.Typer(
    help="Retention: anonymise passport and visa records long after their validity ended.",
    no_args_is_help=True,
)
console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)

TABLE_LIMIT = 100  # rows a table shows unless --limit says otherwise (CSV, JSON: all)
MAX_YEARS = 100
CSV_HEADER = ("id", "at", "actor", "user", "platform", "action", "target_type", "target_ref",
              "allowed", "detail")  # fmt: skip
# A table is read at 80 columns: who is the user's name when known, the target one cell.
TABLE_HEADER = ("id", "at", "who", "action", "target", "allowed", "detail")
_AGE = re.compile(r"^(\d{1,5})([hdw])$")
_AGE_UNIT = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_YEARS_HELP = f"years after validity ends (default: EUDESK_RETENTION_YEARS or {DEFAULT_YEARS})"
_MOMENT_HELP = "YYYY-MM-DD, 'YYYY-MM-DD HH:MM' (local time), or an age like 12h, 7d, 2w"


def retention_years() -> int:
    """EUDESK_RETENTION_YEARS (default 5)."""
    return settings().retention_years


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _fail(message: str) -> NoReturn:
    """Bad input: one line on stderr and exit 1."""
    errors.print(f"eudesk: {message}", markup=False)
    raise typer.Exit(1)


def parse_moment(text: str, *, now: datetime, zone: ZoneInfo, end: bool = False) -> datetime:
    """An age ('7d' = 7 days before now), a local date (its midnight; with `end`, the next
    midnight, so the day is included) or a date and time (local unless it has an offset).
    Raises ValueError on anything else."""
    text = text.strip()
    if match := _AGE.match(text.lower()):
        return now - int(match[1]) * _AGE_UNIT[match[2]]
    if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
        day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
        return datetime.combine(day, datetime.min.time(), zone)
    if not re.fullmatch(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d.*", text):
        raise ValueError(text)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _moment(option: str, text: str | None, *, now: datetime, zone: ZoneInfo) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_moment(text, now=now, zone=zone, end=option == "--until")
    except ValueError:
        _fail(f"bad {option} {_printable(text)!r}: use {_MOMENT_HELP}")


def _printable(text: str, limit: int = 80) -> str:
    """Operator input as it may go into a message or an audit detail: cut, control and format
    characters (which could fake lines in a log viewer) replaced by '?'."""
    cut = text[:limit]
    return "".join("?" if unicodedata.category(c).startswith("C") else c for c in cut)


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds")


def _describe(wanted: AuditFilter, shape: OutputFormat, zone: ZoneInfo) -> str:
    """The filters of a read, for its own audit record."""
    parts = [f"{name}={_local(value, zone)}" for name, value in
             (("since", wanted.since), ("until", wanted.until)) if value is not None]  # fmt: skip
    if wanted.user is not None:
        parts.append(f"user={_printable(wanted.user)}")
    if wanted.action is not None:
        parts.append(f"action={_printable(wanted.action)}")
    if wanted.allowed is not None:
        parts.append("allowed" if wanted.allowed else "refused")
    if wanted.limit is not None:
        parts.append(f"limit={wanted.limit}")
    parts.append(f"format={shape.value}")
    return " ".join(parts)[:500]


def audit_command(
    since: Annotated[str | None, typer.Option(help=f"from this moment: {_MOMENT_HELP}")] = None,
    until: Annotated[
        str | None, typer.Option(help="before this moment (a date: to the end of that day)")
    ] = None,
    user: Annotated[
        str | None, typer.Option(help="a user name, or an actor as recorded (cli:NAME, ...)")
    ] = None,
    action: Annotated[
        str | None, typer.Option(help="an action or its prefix, e.g. passport. or user.grant")
    ] = None,
    allowed: Annotated[
        bool | None,
        typer.Option("--allowed/--refused", help="only allowed, or only refused"),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            min=1, help=f"at most N rows (default: {TABLE_LIMIT} in a table, all in csv and json)"
        ),
    ] = None,
    shape: Annotated[OutputFormat, typer.Option("--format", help=FORMAT_HELP)] = (
        OutputFormat.TABLE
    ),
) -> None:
    """The audit log, newest first: who looked up or changed what, when, allowed or refused.
    Reading it is itself recorded (action audit.read, with the filters)."""
    zone, now = settings().zone, utcnow()
    table = shape is OutputFormat.TABLE
    wanted = AuditFilter(
        since=_moment("--since", since, now=now, zone=zone),
        until=_moment("--until", until, now=now, zone=zone),
        user=user, action=action, allowed=allowed,
        limit=limit if limit is not None or not table else TABLE_LIMIT,
    )  # fmt: skip
    if wanted.since and wanted.until and wanted.since >= wanted.until:
        _fail("--since must be before --until")

    async def work(database: Database) -> int:
        # Recorded in a transaction of its own first, so a read that fails midway still shows.
        async with database.transaction() as session:
            entry = await Repositories(session).audit.record(
                actor=_actor(), platform="cli", action="audit.read", allowed=True,
                target_type="audit_log", detail=_describe(wanted, shape, zone),
            )  # fmt: skip
        reading = replace(wanted, skip_id=entry.id)
        # aclosing: a reader that leaves early (`| head`) closes the stream while its session
        # is still open, instead of at the interpreter's exit.
        async with (
            database.transaction() as session,
            aclosing(_generator(Repositories(session).audit.stream(reading))) as lines,
        ):
            if not table:
                return await aemit(CSV_HEADER, _script_rows(lines, zone), shape)
            rows = [_table_cells(line, zone) async for line in lines]
        if rows:
            emit(TABLE_HEADER, rows, shape)
        return len(rows)

    shown = with_database(work)
    if table:
        more = f" (the newest {shown}; --limit N for more)" if shown == wanted.limit else ""
        console.print(f"{shown} audit records{more}", markup=False)


def _generator(lines: AsyncIterator[AuditLine]) -> AsyncGenerator[AuditLine, None]:
    """The repository's stream is an async generator; typed as one, aclosing can close it."""
    return cast(AsyncGenerator[AuditLine, None], lines)


async def _script_rows(
    lines: AsyncIterator[AuditLine], zone: ZoneInfo
) -> AsyncIterator[Sequence[Cell]]:
    """Every column, for csv and json; the moment in local time with its offset."""
    async for line in lines:
        yield (
            line.id, _local(line.at, zone), line.actor, line.user, line.platform, line.action,
            line.target_type, line.target_ref, line.allowed, line.detail,
        )  # fmt: skip


def _table_cells(line: AuditLine, zone: ZoneInfo) -> Sequence[Cell]:
    target = " ".join(part for part in (line.target_type, line.target_ref) if part)
    who = f"{line.user} ({line.actor})" if line.user else line.actor
    at = line.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return (line.id, at, who, line.action, target, line.allowed, line.detail)


# --- retention --------------------------------------------------------------------------------


@retention_app.command("run")
def retention_run_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="list what would be anonymised; change nothing")
    ] = False,
    years: Annotated[
        int | None,
        typer.Option(min=1, max=MAX_YEARS, help=_YEARS_HELP),
    ] = None,
    shape: Annotated[
        OutputFormat, typer.Option("--format", help=f"the --dry-run listing: {FORMAT_HELP}")
    ] = OutputFormat.TABLE,
) -> None:
    """Anonymise passport and visa records whose validity ended more than N years ago (records
    without an end of validity are kept); the run is recorded in the audit log."""
    span = years if years is not None else retention_years()
    zone, now = settings().zone, utcnow()

    if dry_run:

        async def preview(database: Database) -> list[DueRecord]:
            return await due_records(database, years=span, now=now, zone=zone)

        due = with_database(preview)
        rows = [(record.kind, record.reference, record.valid_until) for record in due]
        if rows or shape is not OutputFormat.TABLE:
            emit(("kind", "reference", "valid until"), rows, shape)
        if shape is not OutputFormat.TABLE:
            return  # a script reads the listing alone
        passports = sum(1 for record in due if record.kind == "passport")
        console.print(
            f"would anonymise {passports} passports and {len(due) - passports} visas "
            f"(validity ended more than {span} years ago); dry run, nothing changed",
            markup=False,
        )
        return

    async def run(database: Database) -> RetentionReport:
        return await anonymise_expired(
            database, years=span, now=now, zone=zone, actor=_actor(), platform="cli"
        )

    report = with_database(run)
    console.print(
        f"anonymised {report.passports} passports and {report.visas} visas "
        f"(valid until before {report.cutoff.isoformat()})",
        markup=False,
    )
