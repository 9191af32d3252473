"""The composition root: settings in, the dispatcher out (lifecycle.py adds transports, HTTP)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum

from eudesk.bot.settings import Settings
from eudesk.handlers import command_table
from eudesk.handlers.context import HandlerConfig
from eudesk.handlers.dispatch import Dispatcher, Observer
from eudesk.handlers.feeds import feed_calendar
from eudesk.storage.db import Database
from eudesk.storage.models import utcnow
from eudesk.storage.repositories import Repositories


class ServiceRole(StrEnum):
    """What one `eudesk run` process does; several processes share one PostgreSQL.

    all: everything in one process. web: receive messages (polling or webhook) and answer them,
    plus the HTTP server. worker: plan reminders and send the outbox through send-only
    transports, plus an HTTP server with /healthz and /metrics only.
    """

    ALL = "all"
    WEB = "web"
    WORKER = "worker"

    @property
    def receives(self) -> bool:
        """Polls or serves webhooks, and answers messages."""
        return self is not ServiceRole.WORKER

    @property
    def reminds(self) -> bool:
        """Runs the reminder service: the planner and the outbox dispatcher."""
        return self is not ServiceRole.WEB


def handler_config(settings: Settings) -> HandlerConfig:
    return HandlerConfig(
        zone=settings.zone,
        default_locale=settings.default_locale,
        passport_lookups_per_minute=settings.passport_lookups_per_minute,
        public_url=settings.public_base_url,
    )


def build_dispatcher(
    settings: Settings, database: Database, observe: Observer | None = None
) -> Dispatcher:
    """The core's entry point; `observe` sees every answered message (metrics)."""
    return Dispatcher(database, command_table(), handler_config(settings), observe=observe)


def feed_source(settings: Settings, database: Database) -> Callable[[str], Awaitable[bytes | None]]:
    """The .ics of a calendar feed token, for the HTTP server's /ical/TOKEN.ics."""

    async def calendar(token: str) -> bytes | None:
        async with database.transaction() as session:
            return await feed_calendar(Repositories(session), token, utcnow(), settings.zone)

    return calendar
