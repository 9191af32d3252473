"""`eudesk users ...`: who may talk to eudesk, with which roles and from which chats."""

from __future__ import annotations

import getpass
import re
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from eudesk.bot.runtime import with_database
from eudesk.storage.db import Database
from eudesk.storage.models import Locale, Platform, Role, User
from eudesk.storage.repositories import Repositories

app = typer.Typer(help="Users: add, list, grant and revoke roles.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)

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
    body: Annotated[str | None, typer.Option(help="body code, e.g. LSGU-80071")] = None,
    lang: Annotated[Locale, typer.Option(help="reply language")] = Locale.SR_LATN,
) -> None:
    """Add a user with roles, and optionally the chat accounts that speak for them."""
    identities = _identities(telegram, slack)

    async def work(database: Database) -> str:
        async with database.transaction() as session:
            repos = Repositories(session)
            user = await repos.users.add(
                name, role, locale=lang, body_code=body, identities=identities
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

    console.print(f"added {with_database(work)}", markup=False)


@app.command("list")
def list_command() -> None:
    """List users with their roles, language and chat accounts."""

    async def work(database: Database) -> list[tuple[str, str, str, str]]:
        async with database.transaction() as session:
            users = await Repositories(session).users.list()
            return [
                (
                    u.name,
                    ", ".join(r.role.value for r in u.roles),
                    u.locale.value,
                    ", ".join(f"{i.platform.value}:{i.external_id}" for i in u.identities),
                )
                for u in users
            ]

    table = Table("name", "roles", "lang", "chats")
    for row in with_database(work):
        table.add_row(*row)
    console.print(table)


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
