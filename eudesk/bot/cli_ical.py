"""`eudesk ical rotate`: replace a calendar feed address that leaked."""

from __future__ import annotations

import getpass
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from eudesk.bot.runtime import settings, with_database
from eudesk.handlers.calendar import feed_path
from eudesk.storage.db import Database
from eudesk.storage.models import Platform, utcnow
from eudesk.storage.repositories import Repositories

ical_app = typer.Typer(help="Calendar feeds (/ical/TOKEN.ics).", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str) -> NoReturn:
    errors.print(f"eudesk: {message}", markup=False)
    raise typer.Exit(1)


@ical_app.command("rotate")
def rotate_command(
    chat: Annotated[
        str | None, typer.Option(help="the feed of one chat: telegram:ID, slack:CHANNEL")
    ] = None,
    user: Annotated[str | None, typer.Option(help="every feed of a user (by user name)")] = None,
) -> None:
    """Give a feed a new secret address; the old one stops working at once.

    Print the new link, to be sent to its owner (or they ask /calendar again).
    """
    if (chat is None) == (user is None):
        _fail("give exactly one of --chat PLATFORM:ID or --user NAME")
    platform: Platform | None = None
    chat_id: str | None = None
    if chat is not None:
        name, _, chat_id = chat.partition(":")
        try:
            platform = Platform(name)
        except ValueError:
            _fail(f"--chat {chat!r}: use telegram:ID, slack:CHANNEL or console:NAME")
        if not chat_id:
            _fail(f"--chat {chat!r}: the chat id is missing")
    base = settings().public_base_url

    async def work(database: Database) -> list[str]:
        async with database.transaction() as session:
            repos = Repositories(session)
            user_id = None
            if user is not None:
                user_id = (await repos.users.get(user)).id  # RecordNotFound: one line
            feeds = await repos.feeds.chat_feeds(platform, chat_id, user_id)
            if not feeds:
                _fail(f"no calendar feed for {chat or user} (it is made by /calendar)")
            now = utcnow()
            links = []
            for feed in feeds:
                token = await repos.feeds.rotate(feed, now)
                links.append(f"{feed.platform.value}:{feed.chat_id}  {base}{feed_path(token)}")
                # The token itself is a credential: the audit log names the chat only.
                await repos.audit.record(
                    actor=f"cli:{getpass.getuser()}", platform="cli", action="ical.rotate",
                    allowed=True, target_type="calendar_feed",
                    target_ref=f"{feed.platform.value}:{feed.chat_id}", at=now,
                )  # fmt: skip
            return links

    for line in with_database(work):
        console.print(line, markup=False)
