"""What every CLI command shares: settings, logging, and a database opened for one command
(which must exist and be at this eudesk's schema)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url

from eudesk.bot.logging_setup import configure_logging
from eudesk.bot.settings import Settings, load_settings
from eudesk.storage.db import Database, safe_url
from eudesk.storage.errors import DatabaseNotReady, DatabaseUnavailable
from eudesk.storage.migrate import alembic_config, current_revision

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


def open_database(config: Settings, create: bool = False) -> Database:
    """The configured database. A SQLite file that does not exist is an error that says what
    to run, unless `create` (only `eudesk db upgrade` and `eudesk run --init-demo` create a
    database): then its folder is made and SQLite makes the file on first use."""
    path = config.sqlite_path()
    if path is not None:
        if create:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnavailable(safe_url(config.database_url), str(exc)) from exc
        elif not path.is_file():
            raise DatabaseNotReady.missing_file(safe_url(config.database_url), str(path.resolve()))
    return Database.from_url(config.database_url)


def location(url: URL) -> str:
    """Where a database is, as an operator would look for it: a SQLite file's absolute path
    (a relative one depends on the working directory), else the URL without its password."""
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return str(Path(url.database).resolve())
    return safe_url(url.set(drivername=url.get_backend_name()))  # as written: no +asyncpg


@lru_cache(maxsize=1)
def _migrations() -> tuple[str, frozenset[str]]:
    """The head revision this eudesk ships and every revision it knows."""
    scripts = ScriptDirectory.from_config(alembic_config())
    head = scripts.get_current_head()
    assert head is not None, "the package ships no migrations"
    return head, frozenset(script.revision for script in scripts.walk_revisions())


async def require_schema(database: Database) -> str:
    """The database's revision, if it is the one this eudesk needs; else DatabaseNotReady,
    whose one line says what to run. Cheap: one look at alembic_version."""
    revision = await current_revision(database)
    head, known = _migrations()
    where = location(database.url)
    if revision is None:
        raise DatabaseNotReady.no_schema(where)
    if revision not in known:
        raise DatabaseNotReady.unknown(where, revision, head)
    if revision != head:
        raise DatabaseNotReady.behind(where, revision, head)
    return revision


def with_database(work: Callable[[Database], Awaitable[T]], create: bool = False) -> T:
    """Run one async unit of CLI work against the configured database, then close it.

    Without `create` the database must exist and be at this eudesk's schema (DatabaseNotReady
    says what to run otherwise); with it, the work is the one that makes it so."""

    async def main() -> T:
        database = open_database(settings(), create=create)
        try:
            if not create:
                await require_schema(database)
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(main())
