"""What every CLI command shares: settings, logging, and a database opened for one command."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from eudesk.bot.settings import Settings, load_settings
from eudesk.storage.db import Database, safe_url
from eudesk.storage.errors import DatabaseUnavailable

T = TypeVar("T")

_settings: Settings | None = None


def settings() -> Settings:
    """Settings built once per process (a bad value raises SettingsError naming the variable)."""
    global _settings
    if _settings is None:
        _settings = load_settings()
        configure_logging(_settings.log_level)
    return _settings


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs request URLs at INFO, and a Bot API URL contains the token.
    for noisy in ("httpx", "httpcore", "aiosqlite", "asyncio", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # PTB's bot logs each request's parameters at DEBUG, setWebhook's secret_token included.
    logging.getLogger("telegram.ext.ExtBot").setLevel(logging.INFO)
    logging.getLogger("telegram.Bot").setLevel(logging.INFO)


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
