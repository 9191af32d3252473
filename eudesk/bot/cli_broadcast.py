"""`eudesk broadcast GUIDELINE --to ...` and `eudesk ack-status GUIDELINE`."""

from __future__ import annotations

import asyncio
import getpass
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from sqlalchemy import func, select

from eudesk.bot.cli_data import progress_bar
from eudesk.bot.cli_output import FORMAT_HELP, OutputFormat, emit, stdout_closed
from eudesk.bot.runtime import settings, with_database
from eudesk.handlers.broadcasts import ack_order
from eudesk.storage.changes import announce
from eudesk.storage.db import Database
from eudesk.storage.models import (
    Guideline,
    GuidelineAudience,
    Locale,
    OutboxEntry,
    OutboxState,
    utcnow,
)
from eudesk.storage.repositories import Repositories
from eudesk.storage.repositories.broadcasts import (
    AUDIENCE_TARGETS,
    GUIDELINE,
    BroadcastReport,
    UnknownTarget,
)

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)
WAIT_POLL_SECONDS = 1.0


def _fail(message: str) -> typer.Exit:
    errors.print(f"eudesk: {message}", markup=False)
    return typer.Exit(1)


def broadcast_command(
    guideline_ref: Annotated[str, typer.Argument(metavar="GUIDELINE", help="guideline reference")],
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to",
            help="all-lsgu, provincial, all, or a body's code or exact name; repeat or separate "
            "with commas. Default: the guideline's own audience.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="show who would receive it; queue nothing")
    ] = False,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="stay and show delivery progress (a worker must be running)"),
    ] = False,
) -> None:
    """Send a guideline to every active contact of the target bodies, with an Acknowledge button.

    One notification per contact (never twice, however often it is run); contacts without a
    Telegram chat or Slack channel are recorded as delivered-to but cannot be messaged.
    """
    parts = [part for value in (to or []) for part in value.split(",")]

    async def work(database: Database) -> tuple[Guideline, BroadcastReport | None]:
        async with database.transaction() as session:
            repos = Repositories(session)
            guideline = await repos.guidelines.get_by_ref(guideline_ref)
            if guideline is None:
                raise _fail(f"no guideline {guideline_ref!r} (see /guidelines)")
            targets = await _targets(repos, guideline, parts)
            bodies = await repos.broadcasts.bodies_for(targets)
            audience = await repos.broadcasts.audience(guideline, bodies, utcnow())
            contacts = audience.contacts
            console.print(
                f"{guideline.ref} “{guideline.title}”: {len(contacts)} contacts in "
                f"{len(bodies)} bodies ({', '.join(targets)}); {audience.no_chat} without a chat",
                markup=False,
            )
            console.print(
                f"by chat now {audience.by_chat}, had it before {audience.already}, "
                f"deactivated (blocked the bot) {audience.blocked}, "
                f"guideline subscribers {audience.subscribers}",
                markup=False,
            )
            if dry_run or not contacts:
                return guideline, None
            with progress_bar("queueing") as update:
                done = 0

                def advance(count: int) -> None:
                    nonlocal done
                    done += count
                    update(done, len(contacts))

                report = await repos.broadcasts.broadcast(
                    guideline, contacts, utcnow(), progress=advance
                )
            await repos.audit.record(
                actor=f"cli:{getpass.getuser()}", platform="cli", action="guideline.broadcast",
                allowed=True, target_type="guideline", target_ref=guideline.ref,
                detail=f"to {', '.join(targets)}: queued {report.queued}, already "
                f"{report.already}, no chat {report.unreachable}",
            )  # fmt: skip
            await announce(session)  # a running worker sends at once, not at its next poll
            return guideline, report

    guideline, report = with_database(work)
    if report is None:
        if dry_run:
            console.print("dry run: nothing queued")
        else:
            console.print("nobody to send to: nothing queued")
        return
    console.print(
        f"queued {report.queued} notifications ({report.subscribers} to guideline subscribers); "
        f"{report.already} contacts had it already; {report.unreachable} without a chat"
    )
    if wait and report.queued:
        with_database(lambda database: _follow(database, guideline.id))


async def _targets(repos: Repositories, guideline: Guideline, parts: list[str]) -> list[str]:
    if not parts:
        target = AUDIENCE_TARGETS.get(guideline.audience)
        if guideline.audience is GuidelineAudience.BODIES or target is None:
            raise _fail(f"{guideline.ref} is for particular bodies: name them with --to")
        return [target]
    try:
        return await repos.broadcasts.resolve_targets(parts)
    except UnknownTarget as exc:
        similar = ", ".join(f"{body.code} ({body.name_sr_latn})" for body in exc.similar[:5])
        hint = f"; did you mean {similar}?" if similar else ""
        raise _fail(f"unknown target {exc.text!r}: use all-lsgu, provincial, all, or a body's "
                    f"code or exact name{hint}") from None  # fmt: skip


async def _follow(database: Database, guideline_id: int) -> None:
    """A progress bar of this guideline's notifications until none is pending or leased."""
    counts = await _states(database, guideline_id)
    total = sum(counts.values())
    with progress_bar("sending") as update:
        while True:
            counts = await _states(database, guideline_id)
            waiting = counts.get(OutboxState.PENDING, 0) + counts.get(OutboxState.LEASED, 0)
            update(total - waiting, total)
            if not waiting:
                break
            await asyncio.sleep(WAIT_POLL_SECONDS)
    console.print(
        ", ".join(f"{state.value} {count}" for state, count in sorted(counts.items()) if count)
    )


async def _states(database: Database, guideline_id: int) -> dict[OutboxState, int]:
    async with database.transaction() as session:
        rows = await session.execute(
            select(OutboxEntry.state, func.count())
            .where(OutboxEntry.kind == GUIDELINE, OutboxEntry.item_id == guideline_id)
            .group_by(OutboxEntry.state)
        )
        return {state: count for state, count in rows}


def ack_status_command(
    guideline_ref: Annotated[str, typer.Argument(metavar="GUIDELINE", help="guideline reference")],
    shape: Annotated[OutputFormat, typer.Option("--format", help=FORMAT_HELP)] = OutputFormat.TABLE,
    locale: Annotated[
        str, typer.Option("--locale", help="sr-Latn, sr-Cyrl, hu or en: names and their order")
    ] = Locale.SR_LATN.value,
) -> None:
    """Everyone a guideline was delivered to: not acknowledged first, then acknowledged, each
    sorted by body and name in the locale's alphabet (as /ack_status shows them)."""
    zone = settings().zone
    if locale not in {item.value for item in Locale}:
        raise _fail(f"unknown locale {locale!r}: use sr-Latn, sr-Cyrl, hu or en")

    async def work(database: Database) -> None:
        async with database.transaction() as session:
            repos = Repositories(session)
            guideline = await repos.guidelines.get_by_ref(guideline_ref)
            if guideline is None:
                raise _fail(f"no guideline {guideline_ref!r}")
            lines = ack_order(await repos.broadcasts.ack_status(guideline.id), locale)
        rows = [
            (
                line.body.code,
                line.body.name(locale),
                line.contact_ref,
                line.contact_name,
                _day(line.sent_at, zone) if line.reachable or line.sent_at else "no chat",
                _day(line.reminded_at, zone),
                _day(line.acknowledged_at, zone),
            )
            for line in lines
        ]
        headers = ("code", "body", "contact_ref", "contact", "sent", "reminded", "acknowledged")
        try:
            emit(
                headers, rows, shape, title=f"{guideline.ref} “{guideline.title}”", console=console
            )
        except BrokenPipeError:
            raise stdout_closed() from None
        if shape is OutputFormat.TABLE:
            acked = sum(1 for line in lines if line.acknowledged_at is not None)
            console.print(f"{acked} of {len(lines)} acknowledged")

    with_database(work)


def _day(moment: datetime | None, zone: ZoneInfo) -> str:
    return "-" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
