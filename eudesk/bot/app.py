"""The composition root: settings in, the dispatcher out (lifecycle.py adds transports, HTTP)."""

from __future__ import annotations

from eudesk.bot.settings import Settings
from eudesk.handlers import command_table
from eudesk.handlers.context import HandlerConfig
from eudesk.handlers.dispatch import Dispatcher, Observer
from eudesk.storage.db import Database


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
