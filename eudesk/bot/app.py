"""The composition root: settings in, the dispatcher out (lifecycle.py adds transports, HTTP)."""

from __future__ import annotations

from enum import StrEnum

from eudesk.bot.settings import Settings
from eudesk.handlers import command_table
from eudesk.handlers.context import HandlerConfig
from eudesk.handlers.dispatch import Dispatcher, Observer
from eudesk.storage.db import Database


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
    )


def build_dispatcher(
    settings: Settings, database: Database, observe: Observer | None = None
) -> Dispatcher:
    """The core's entry point; `observe` sees every answered message (metrics)."""
    return Dispatcher(database, command_table(), handler_config(settings), observe=observe)
