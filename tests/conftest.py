"""Shared fixtures: real databases (SQLite always, PostgreSQL when configured), one per backend."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from eudesk.handlers import command_table
from eudesk.handlers.context import HandlerConfig
from eudesk.handlers.dispatch import Dispatcher
from eudesk.storage.db import Database
from tests.databases import backends, discard_database, new_database_url, throwaway_database

os.environ.setdefault("PTB_TIMEDELTA", "1")

TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 09:00 in Belgrade, a Friday


@pytest.fixture(scope="session", params=backends())
def backend(request: pytest.FixtureRequest) -> str:
    """Each storage test runs once per backend."""
    return str(request.param)


@pytest.fixture(scope="session")
async def migrated_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """A database per backend for the whole run, migrated once with the real migrations."""
    async with throwaway_database(backend, tmp_path_factory.mktemp("db")) as database:
        yield database


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


@pytest.fixture(scope="session")
async def seeded_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """Reference and demo data (scale 1, relative to TODAY), once per backend."""
    async with throwaway_database(
        backend, tmp_path_factory.mktemp("seeded"), demo_today=TODAY
    ) as db:
        yield db


@pytest.fixture
async def demo_db(seeded_database: Database) -> AsyncIterator[Database]:
    """The seeded database inside a transaction that each test rolls back."""
    engine = seeded_database.bind
    async with engine.connect() as connection:  # type: ignore[union-attr]
        outer = await connection.begin()
        yield Database(connection)
        await outer.rollback()


@pytest.fixture
def dispatcher(demo_db: Database) -> Dispatcher:
    return Dispatcher(demo_db, command_table(), HandlerConfig(), clock=lambda: NOW)
