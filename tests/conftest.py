"""Shared fixtures: real databases (SQLite always, PostgreSQL when configured), one per backend."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from eudesk.storage.db import Database
from eudesk.storage.migrate import upgrade
from tests.databases import backends, discard_database, new_database_url

os.environ.setdefault("PTB_TIMEDELTA", "1")


@pytest.fixture(scope="session", params=backends())
def backend(request: pytest.FixtureRequest) -> str:
    """Each storage test runs once per backend."""
    return str(request.param)


@pytest.fixture(scope="session")
async def migrated_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """A database per backend for the whole run, migrated once with the real migrations."""
    url = await new_database_url(backend, tmp_path_factory.mktemp("db"))
    database = Database.from_url(url)
    try:
        await upgrade(database)
        yield database
    finally:
        await database.dispose()
        await discard_database(backend, url)


@pytest.fixture
async def db(migrated_database: Database) -> AsyncIterator[Database]:
    """A Database on one connection inside a transaction that is rolled back after the test."""
    engine = migrated_database.bind
    async with engine.connect() as connection:  # type: ignore[union-attr]
        outer = await connection.begin()
        yield Database(connection)
        await outer.rollback()


@pytest.fixture
async def empty_database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a brand-new, empty database (for migrations and CLI tests)."""
    url = await new_database_url(backend, tmp_path)
    yield url
    await discard_database(backend, url)
