"""The migrations build the schema the models describe, on every backend."""

from __future__ import annotations

from eudesk.storage.db import Database
from eudesk.storage.migrate import current_revision, drift, head_revision, upgrade


async def test_upgrade_on_an_empty_database_reaches_head(empty_database_url: str) -> None:
    database = Database.from_url(empty_database_url)
    try:
        assert await current_revision(database) is None
        await upgrade(database)
        assert await current_revision(database) == head_revision()
        await upgrade(database)  # a second upgrade is a no-op
        assert await current_revision(database) == head_revision()
    finally:
        await database.dispose()


async def test_models_and_migrations_do_not_drift(db: Database) -> None:
    assert await drift(db) == []
