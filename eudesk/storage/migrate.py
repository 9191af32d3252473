"""Alembic, driven from code: `eudesk db upgrade`, the current revision, and drift checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from eudesk.storage.db import Database
from eudesk.storage.models import Base

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    """A Config without an alembic.ini: the script location is inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the package ships no migrations"
    return head


async def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to `revision` on the database's own connection."""

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with db.transaction() as session:
        connection = await session.connection()
        await connection.run_sync(run)


async def current_revision(db: Database) -> str | None:
    """The revision the database is at, or None for an empty database."""

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with db.transaction() as session:
        connection = await session.connection()
        return await connection.run_sync(read)


async def drift(db: Database) -> list[Any]:
    """Differences between the migrated schema and the models; empty when they agree."""

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": False}
        )
        return list(compare_metadata(context, Base.metadata))

    async with db.transaction() as session:
        connection = await session.connection()
        return await connection.run_sync(compare)
