"""`eudesk users ...`: who may talk to eudesk, with which roles and from which chats."""

from __future__ import annotations

import getpass
import re
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.console import Console

from eudesk.bot.cli_output import FORMAT_HELP, Cell, OutputFormat, emit
from eudesk.bot.runtime import with_database
from eudesk.storage.db import Database
from eudesk.storage.models import Body, Locale, Platform, Role, User
from eudesk.storage.repositories import Repositories
from eudesk.storage.repositories.bodies import AmbiguousBody

app = typer.Typer(help="Users: add, list, grant and revoke roles.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)

_TELEGRAM_ID = re.compile(r"^\d{1,20}$")
_SLACK_ID = re.compile(r"^T[A-Z0-9]{2,20}:[UW][A-Z0-9]{2,20}$")


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _identities(telegram: str | None, slack: str | None) -> list[tuple[Platform, str]]:
    found: list[tuple[Platform, str]] = []
    if telegram is not None:
        if not _TELEGRAM_ID.match(telegram):
            raise typer.BadParameter("a Telegram user id is a number", param_hint="--telegram")
        found.append((Platform.TELEGRAM, telegram))
    if slack is not None:
        if not _SLACK_ID.match(slack):
            raise typer.BadParameter("use TEAM:USER, e.g. T0123ABC:U0456DEF", param_hint="--slack")
        found.append((Platform.SLACK, slack))
    return found


def _describe(user: User) -> str:
    roles = ", ".join(r.role.value for r in user.roles) or "no roles"
    return f"{user.name} ({roles})"


@app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="unique user name, e.g. jovana.petrovic")],
    role: Annotated[list[Role], typer.Option("--role", help="repeat for several roles")],
    telegram: Annotated[str | None, typer.Option(help="Telegram numeric user id")] = None,
    slack: Annotated[str | None, typer.Option(help="Slack TEAM:USER id")] = None,
    body: Annotated[
        str | None,
        typer.Option(
            help="the user's body: its code (LSGU-80071) or its name in any script "
            "(Бачка Топола, Backa Topola, Topolya); `eudesk bodies list` shows them"
        ),
    ] = None,
    lang: Annotated[Locale, typer.Option(help="reply language")] = Locale.SR_LATN,
) -> None:
    """Add a user with roles, and optionally the chat accounts that speak for them."""
    identities = _identities(telegram, slack)

    async def work(database: Database) -> str:
        async with database.transaction() as session:
            repos = Repositories(session)
            found = None if body is None else await _body(repos, body)
            user = await repos.users.add(
                name,
                role,
                locale=lang,
                body_code=None if found is None else found.code,
                identities=identities,
            )
            await repos.audit.record(
                actor=_actor(),
                platform="cli",
                action="user.add",
                allowed=True,
                target_type="user",
                target_ref=name,
                detail=",".join(sorted(role)),
            )
            return _describe(user)

    try:
        added = with_database(work)
    except _BodyNotFound as exc:
        errors.print(f"eudesk: {exc.message}", markup=False)
        raise typer.Exit(1) from None
    console.print(f"added {added}", markup=False)


class _BodyNotFound(Exception):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


async def _body(repos: Repositories, text: str) -> Body:
    """The body a --body names, by code or by name; otherwise one line saying what to type."""
    try:
        found = await repos.bodies.find_one(text)
    except AmbiguousBody as exc:
        names = "; ".join(f"{b.code} {b.name_sr_latn}" for b in exc.candidates)
        raise _BodyNotFound(f"--body {text!r} matches several bodies: {names}") from None
    if found is None:
        raise _BodyNotFound(f"no body {text!r}; `eudesk bodies list` shows the codes and names")
    return found


@app.command("list")
def list_command(
    shape: Annotated[OutputFormat, typer.Option("--format", help=FORMAT_HELP)] = (
        OutputFormat.TABLE
    ),
) -> None:
    """List users with their roles, language, body and chat accounts."""

    async def work(database: Database) -> list[Sequence[Cell]]:
        async with database.transaction() as session:
            repos = Repositories(session)
            codes = {body.id: body.code for body in await repos.bodies.all()}
            return [
                (
                    u.name,
                    ", ".join(r.role.value for r in u.roles),
                    u.locale.value,
                    codes.get(u.body_id) if u.body_id is not None else None,
                    ", ".join(f"{i.platform.value}:{i.external_id}" for i in u.identities),
                )
                for u in await repos.users.list()
            ]

    emit(("name", "roles", "lang", "body", "chats"), with_database(work), shape)


def _change_role(name: str, role: Role, *, grant: bool) -> str:
    async def work(database: Database) -> str:
        async with database.transaction() as session:
            repos = Repositories(session)
            change = repos.users.grant if grant else repos.users.revoke
            user = await change(name, role)
            await repos.audit.record(
                actor=_actor(),
                platform="cli",
                action="user.grant" if grant else "user.revoke",
                allowed=True,
                target_type="user",
                target_ref=name,
                detail=role.value,
            )
            return _describe(user)

    return with_database(work)


@app.command("grant")
def grant_command(name: str, role: Role) -> None:
    """Give a user a role."""
    console.print(_change_role(name, role, grant=True), markup=False)


@app.command("revoke")
def revoke_command(name: str, role: Role) -> None:
    """Take a role from a user."""
    console.print(_change_role(name, role, grant=False), markup=False)
