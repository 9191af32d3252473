"""What every CLI command shares: settings, logging, and a database opened for one command."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.engine import make_url

from eudesk.bot.logging_setup import configure_logging
from eudesk.bot.settings import Settings, load_settings
from eudesk.storage.db import Database, safe_url
from eudesk.storage.errors import DatabaseUnavailable

T = TypeVar("T")

_settings: Settings | None = None


def settings() -> Settings:
    """Settings built once per process (a bad value raises SettingsError naming the variable);
    logging is configured from them at the same time."""
    global _settings
    if _settings is None:
        config = load_settings()
        configure_logging(config.log_level, log_format(config), secrets=secrets_of(config))
        _settings = config
    return _settings


def log_format(config: Settings) -> str:
    """EUDESK_LOG_FORMAT, text or json (validated by Settings)."""
    return config.log_format


def secrets_of(config: Settings) -> list[str]:
    """Every configured secret, for the log formatter to mask in case a library logs one."""
    values = [
        secret.get_secret_value()
        for secret in (
            config.telegram_token,
            config.telegram_webhook_secret,
            config.slack_bot_token,
            config.slack_signing_secret,
            config.slack_app_token,
        )
        if secret is not None
    ]
    if config.telegram_token is not None:
        # "<bot id>:<secret>": the id is public, the part after the colon is the secret.
        values.append(config.telegram_token.get_secret_value().partition(":")[2])
    password = make_url(config.database_url).password
    if password:
        values.append(str(password))
    return values


def open_database(config: Settings) -> Database:
    """The configured database; a SQLite file's folder is created on first use."""
    path = config.sqlite_path()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailable(safe_url(config.database_url), str(exc)) from exc
    return Database.from_url(config.database_url)


def with_database(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run one async unit of CLI work against the configured database, then close it."""

    async def main() -> T:
        database = open_database(settings())
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(main())
