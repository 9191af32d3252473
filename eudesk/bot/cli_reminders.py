"""`eudesk outbox|subscriptions|reminders ...`: the operator's view of reminders and their queue."""

from __future__ import annotations

import enum
import getpass
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from eudesk.bot.cli_output import FORMAT_HELP, OutputFormat, emit
from eudesk.bot.runtime import settings, with_database
from eudesk.handlers import i18n
from eudesk.handlers.leads import BadLead, format_leads, parse_leads
from eudesk.handlers.notifications import render_notification
from eudesk.handlers.subscriptions import NUMBERED
from eudesk.schedules import digest as digest_module
from eudesk.schedules import planner as planner_module
from eudesk.schedules.calendar import WorkingCalendar
from eudesk.schedules.digest import DigestPlanner
from eudesk.schedules.planner import MARGIN, Planner, calendar_place
from eudesk.storage.db import Database
from eudesk.storage.errors import RecordNotFound
from eudesk.storage.leads import Lead
from eudesk.storage.models import (
    Contact,
    DigestFrequency,
    Locale,
    OutboxEntry,
    OutboxState,
    Platform,
    Subscription,
    SubscriptionTopic,
    User,
    utcnow,
)
from eudesk.storage.repositories import Repositories
from eudesk.storage.repositories.bodies import AmbiguousBody
from eudesk.storage.repositories.outbox import OutboxRepository, OutboxStatus
from eudesk.storage.repositories.subscriptions import MAX_LEAD_REACH, subscription_leads

outbox_app = typer.Typer(
    help="The outbox: what waits to be sent, and dead rows.", no_args_is_help=True
)
subscriptions_app = typer.Typer(help="Who receives which reminders.", no_args_is_help=True)
reminders_app = typer.Typer(help="Reminders: preview what is coming.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)

T = SubscriptionTopic
FormatOption = Annotated[OutputFormat, typer.Option("--format", help=FORMAT_HELP)]


class ChatPlatform(enum.StrEnum):
    TELEGRAM = "telegram"
    SLACK = "slack"


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _fail(message: str) -> NoReturn:
    """Bad input: one line on stderr and exit 1; an open transaction rolls back."""
    errors.print(f"eudesk: {message}", markup=False)
    raise typer.Exit(1)


def _chat(platform: Platform, chat_id: str) -> str:
    """ "telegram:4242"; a console chat's id already names its platform ("console:demo")."""
    prefix = f"{platform.value}:"
    return chat_id if chat_id.startswith(prefix) else prefix + chat_id


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return "-" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


# --- outbox -----------------------------------------------------------------------------------


@outbox_app.command("status")
def status_command(shape: FormatOption = OutputFormat.TABLE) -> None:
    """Counts by state, the oldest pending row, and dead rows with their last error."""

    async def work(database: Database) -> OutboxStatus:
        async with database.transaction() as session:
            return await OutboxRepository(session).status()

    zone = settings().zone
    report = with_database(work)
    if shape is not OutputFormat.TABLE:  # one row per dead row; the counts are on stderr
        errors.print(", ".join(f"{n} {state.value}" for state, n in report.counts.items()))
        emit(
            ("id", "chat", "kind", "attempts", "due", "last_error"),
            [(row.id, f"{row.platform}:{row.chat_id}", row.kind, row.attempts,
              _local(row.due_at, zone), row.last_error or "") for row in report.dead],
            shape,
        )  # fmt: skip
        return
    console.print(", ".join(f"{n} {state.value}" for state, n in report.counts.items()))
    console.print(f"oldest pending: {_local(report.oldest_pending, zone)} ({zone.key})")
    if not report.dead:
        console.print("no dead rows")
        return
    table = Table("id", "chat", "kind", "attempts", "due", "last error", title="dead rows")
    for row in report.dead:
        table.add_row(
            str(row.id), f"{row.platform}:{row.chat_id}", row.kind, str(row.attempts),
            _local(row.due_at, zone), row.last_error or "",
        )  # fmt: skip
    console.print(table)


@outbox_app.command("retry")
def retry_command(
    ids: Annotated[
        list[int] | None, typer.Argument(help="outbox row ids", show_default=False)
    ] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="every dead row")] = False,
) -> None:
    """Send dead rows again (due now, attempts reset): the given ids, or --all-dead."""
    wanted = sorted(set(ids or []))
    if bool(wanted) == all_dead:
        _fail("give outbox row ids or --all-dead (not both)")

    async def work(database: Database) -> int:
        async with database.transaction() as session:
            if wanted:
                found = dict(
                    (await session.execute(
                        select(OutboxEntry.id, OutboxEntry.state).where(OutboxEntry.id.in_(wanted))
                    )).tuples().all()
                )  # fmt: skip
                for entry_id in wanted:
                    if entry_id not in found:
                        raise RecordNotFound("outbox row", entry_id)
                    if found[entry_id] != OutboxState.DEAD:
                        _fail(f"outbox row {entry_id} is {found[entry_id].value}, not dead")
            target = "all-dead" if all_dead else ",".join(map(str, wanted))[:80]
            revived = await OutboxRepository(session).retry(wanted, all_dead=all_dead, now=utcnow())
            await Repositories(session).audit.record(
                actor=_actor(), platform="cli", action="outbox.retry", allowed=True,
                target_type="outbox", target_ref=target,
                detail=f"{revived} rows back to pending",
            )  # fmt: skip
            return revived

    console.print(f"{with_database(work)} dead rows back to pending")


# --- subscriptions ----------------------------------------------------------------------------


def parse_lead_option(text: str) -> tuple[Lead, ...]:
    """Lead times as the chat takes them (14d,3wd,2h,30m; "3 radna dana"), or exit 1 saying
    which forms are accepted."""
    try:
        return parse_leads(text)
    except BadLead as exc:
        _fail(i18n.translate(Locale.EN, exc.key, **exc.params))


def leads(subscription: Subscription) -> str:
    """A subscription's leads as the operator reads them: "14 days, 3 working days"."""
    return format_leads(subscription_leads(subscription.leads, subscription.topic), Locale.EN)


async def _topic_key(session: AsyncSession, topic: T, key: str) -> tuple[str, DigestFrequency]:
    """The key as the planner matches it; unknown codes and numbers out of range refused."""
    repos = Repositories(session)
    if topic is T.DIGEST:
        if key not in ("", "daily", "weekly"):
            _fail(f"a digest is daily or weekly, not {key!r}")
        frequency = DigestFrequency(key or "daily")
        return frequency.value, frequency
    if topic in (T.CALLS, T.GUIDELINES):
        if key:
            _fail(f"{topic.value} takes no key")
        return "", DigestFrequency.NONE
    if not key:
        _fail(f"{topic.value} needs a key (a code or a number)")
    if topic is T.BODY_DEADLINES:
        try:
            body = await repos.bodies.find_one(key)  # its code, or its name in any script
        except AmbiguousBody as exc:
            _fail(str(exc))
        if body is None:
            raise RecordNotFound("body", key)
        return body.code, DigestFrequency.NONE
    if topic is T.PROJECT_DEADLINES:
        project = await repos.projects.get_by_code(key)
        if project is None:
            raise RecordNotFound("project", key)
        return project.code, DigestFrequency.NONE
    if topic is T.PROGRAMME_DEADLINES:
        code = await repos.subscriptions.programme_code(key)
        if code is None:
            raise RecordNotFound("programme", key)
        return code, DigestFrequency.NONE
    valid = NUMBERED[topic]
    if not key.isdigit() or int(key) not in valid:
        noun = topic.value.split("_")[0]
        _fail(f"{noun} must be a number from {valid.start} to {valid.stop - 1}, not {key!r}")
    return str(int(key)), DigestFrequency.NONE


@subscriptions_app.command("add")
def add_command(
    topic: Annotated[str, typer.Argument(help=f"one of: {', '.join(t.value for t in T)}")],
    key: Annotated[str, typer.Argument(help="code, number, or daily|weekly")] = "",
    contact: Annotated[str | None, typer.Option(help="contact ref")] = None,
    user: Annotated[str | None, typer.Option(help="user name")] = None,
    platform: Annotated[ChatPlatform, typer.Option(help="where to send")] = ChatPlatform.TELEGRAM,
    chat: Annotated[str | None, typer.Option(help="chat id (default: the recipient's)")] = None,
    lead: Annotated[
        str | None, typer.Option(help="lead times, e.g. 14d,3wd,2h (days, working days, hours)")
    ] = None,
    lang: Annotated[Locale | None, typer.Option(help="language (default: the recipient's)")] = None,
) -> None:
    """Subscribe a contact (or a user) to a topic, e.g. `--contact REF chapter_meetings 23`."""
    if (contact is None) == (user is None):
        _fail("give exactly one of --contact REF or --user NAME")
    try:
        chosen = T(topic.strip().lower())
    except ValueError:
        _fail(f"unknown topic {topic!r}: use one of {', '.join(t.value for t in T)}")
    wanted = parse_lead_option(lead) if lead is not None else None
    where = Platform(platform.value)

    async def work(database: Database) -> str:
        async with database.transaction() as session:
            repos = Repositories(session)
            user_id: int | None = None
            contact_id: int | None
            if contact is not None:
                found = await session.scalar(select(Contact).where(Contact.ref == contact))
                if found is None:
                    raise RecordNotFound("contact", contact)
                own = found.telegram_chat_id if where is Platform.TELEGRAM else found.slack_channel
                contact_id, locale, who = found.id, found.locale, f"contact {found.ref}"
            else:
                person = await repos.users.get(user or "")
                user_id, contact_id, locale = person.id, person.contact_id, person.locale
                # A Telegram private chat's id is the user's id; a Slack user id is no channel.
                ids = [i.external_id for i in person.identities if i.platform is where]
                own = ids[0] if ids and where is Platform.TELEGRAM else None
                who = f"user {person.name}"
            chat_id = (chat or own or "").strip()
            if not chat_id:
                _fail(f"{who} has no {where.value} chat; give --chat CHAT_ID")
            topic_key, digest = await _topic_key(session, chosen, key.strip())
            subscription, new = await repos.subscriptions.subscribe(
                platform=where, chat_id=chat_id, topic=chosen, topic_key=topic_key,
                locale=lang or locale, user_id=user_id, contact_id=contact_id, digest=digest,
                leads=wanted,
            )  # fmt: skip
            await repos.audit.record(
                actor=_actor(), platform="cli", action="subscription.add", allowed=True,
                target_type="subscription", target_ref=str(subscription.id),
                detail=f"{who} {where.value}:{chat_id} {chosen.value} {topic_key}".strip(),
            )  # fmt: skip
            state = "subscribed" if new else "already subscribed"
            return (
                f"{state} #{subscription.id}: {who} on {where.value}:{chat_id}, "
                f"{chosen.value} {topic_key}".rstrip()
                + f", leads {leads(subscription)}"
            )

    console.print(with_database(work), markup=False)


@subscriptions_app.command("list")
def list_command(
    chat: Annotated[str | None, typer.Option(help="only this chat id")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="stopped ones too")] = False,
    shape: FormatOption = OutputFormat.TABLE,
) -> None:
    """List subscriptions: id, chat, topic, key, lead times, language, recipient."""

    async def work(database: Database) -> Sequence[tuple[str, ...]]:
        query = (
            select(Subscription, Contact.ref, User.name)
            .outerjoin(Contact, Contact.id == Subscription.contact_id)
            .outerjoin(User, User.id == Subscription.user_id)
            .order_by(Subscription.id)
        )
        if chat is not None:
            query = query.where(Subscription.chat_id == chat)
        if not show_all:
            query = query.where(Subscription.active.is_(True))
        async with database.transaction() as session:
            return [_listed(s, ref or name) for s, ref, name in await session.execute(query)]

    headers = ("id", "chat", "topic", "key", "leads", "lang", "recipient", "active")
    emit(headers, with_database(work), shape)


def _listed(s: Subscription, recipient: str | None) -> tuple[str, ...]:
    chat, active = _chat(s.platform, s.chat_id), "yes" if s.active else "no"
    return (str(s.id), chat, s.topic.value, s.topic_key, leads(s), s.locale.value,
            recipient or "", active)  # fmt: skip


# --- reminders --------------------------------------------------------------------------------


@reminders_app.command("preview")
def preview_command(
    days: Annotated[int, typer.Option(min=1, max=90, help="how many days ahead")] = 7,
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="plan as if it were this local moment, ISO 8601 (2027-03-15T09:00); default now",
            show_default=False,
        ),
    ] = None,
    shape: Annotated[
        OutputFormat | None,
        typer.Option("--format", help=f"{FORMAT_HELP}; default one line each", show_default=False),
    ] = None,
) -> None:
    """What would be sent in the next N days (from now, or --from), one line each; writes
    nothing: the real planners run inside a transaction that is rolled back."""
    zone, at = settings().zone, settings().digest_time
    origin = _from_option(start, zone) if start is not None else None
    # The planners log what they "planned"; here that is rolled back, so counts would mislead.
    for module in (planner_module, digest_module):
        logging.getLogger(module.__name__).setLevel(logging.WARNING)

    async def work(database: Database) -> list[tuple[str, str, str, str]]:
        await database.ping()  # an unreachable database: one line, not a traceback
        assert isinstance(database.bind, AsyncEngine)
        now = origin or utcnow()
        until = now + timedelta(days=days)
        # Past the planner's own reach (largest lead + MARGIN) its later ticks would plan more:
        # read far enough that rows due within the window exist now.
        reach = MAX_LEAD_REACH + timedelta(days=days)
        horizon = None if timedelta(days=days) <= MARGIN else int(reach.total_seconds()) // 60
        async with database.bind.connect() as connection:
            outer = await connection.begin()
            try:
                scratch = Database(connection)  # its commits are savepoints inside `outer`
                calendar = WorkingCalendar(zone)
                planner = Planner(
                    scratch, place=calendar_place(calendar), clock=lambda: now,
                    horizon_minutes=horizon, calendar=calendar,
                )  # fmt: skip
                await planner.plan_once()
                # The digest planner plans only today's digest, so it runs at each moment its
                # tick would find one due; plan_today, not plan_once, which would cancel the
                # digests of the earlier days of this dry run as old news.
                digests = DigestPlanner(scratch, calendar=calendar, zone=zone, at=at,
                                        clock=lambda: now)  # fmt: skip
                async with scratch.transaction() as session:
                    windows = await session.scalars(
                        select(Subscription.quiet_start)
                        .where(Subscription.topic == T.DIGEST, Subscription.active.is_(True))
                        .distinct()
                    )
                    starts = {at} | {start for start in windows if start > at}
                for moment in digest_moments(calendar, starts, now, until):
                    await digests.plan_today(moment)
                async with scratch.transaction() as session:
                    query = select(OutboxEntry).where(
                        OutboxEntry.state == OutboxState.PENDING, OutboxEntry.due_at < until
                    )
                    if origin is not None:  # what is due before --from is sent before it
                        query = query.where(OutboxEntry.due_at >= origin)
                    rows = await session.scalars(query.order_by(OutboxEntry.due_at, OutboxEntry.id))
                    return [_preview_row(entry, zone) for entry in rows]
            finally:
                await outer.rollback()

    since = f"from {_local(origin, zone)} ({zone.key})" if origin else "from now"
    errors.print(f"planning {days} days {since} (a dry run: nothing is written)…")
    entries = with_database(work)
    if shape is not None:
        emit(("due", "chat", "subscription", "what"), entries, shape)
        return
    for entry in entries:
        console.print("  ".join(entry), markup=False)
    console.print(f"{len(entries)} notifications in the next {days} days {since}")


def _from_option(text: str, zone: ZoneInfo) -> datetime:
    """--from as an aware moment: a local ISO 8601 date-time (an offset given is kept)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        _fail(f"--from wants a local date and time like 2027-03-15T09:00, not {text!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)  # fold=0: the rule lead times use
    return moment.astimezone(UTC)


def digest_moments(
    calendar: WorkingCalendar, starts: Iterable[time], now: datetime, until: datetime
) -> list[datetime]:
    """When a digest can first be due on each working day in [now, until), in UTC: at each of
    `starts` (the digest time, and allowed hours that begin later), or now once that passed."""
    zone, ordered = calendar.zone, sorted(set(starts))
    local_now = now.astimezone(zone)
    today = calendar.is_working_day(local_now.date())
    moments = [now] if ordered and today and local_now.time() >= ordered[0] else []
    day, last = local_now.date(), until.astimezone(zone).date()
    while day <= last:
        if calendar.is_working_day(day):
            wanted = (datetime.combine(day, start, zone) for start in ordered)
            moments += [moment.astimezone(UTC) for moment in wanted if now < moment < until]
        day += timedelta(days=1)
    return moments


def _preview_row(entry: OutboxEntry, zone: ZoneInfo) -> tuple[str, str, str, str]:
    reply = render_notification(_Rendered(entry.kind, entry.locale.value, entry.payload), zone)
    title = reply.title or (reply.lines[0] if reply.lines else entry.kind)
    # A digest's heading names its date and count; its first item alone would mislead.
    what = reply.lines[0] if reply.title and reply.lines and entry.kind != "digest" else ""
    subscription = f"#{entry.subscription_id}" if entry.subscription_id else "-"
    text = f"{title} · {what}" if what else title
    chat = _chat(entry.platform, entry.chat_id)
    return _local(entry.due_at, zone), chat, subscription, text


@dataclass(slots=True)
class _Rendered:
    """What render_notification reads of an outbox row."""

    kind: str
    locale: str
    payload: str
