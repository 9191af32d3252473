"""Throwaway test databases: a SQLite file always, a PostgreSQL database when configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import asyncpg  # the test helpers create and drop databases, which needs no ORM
from sqlalchemy.engine import make_url

from eudesk.storage.db import Database
from eudesk.storage.migrate import upgrade
from eudesk.storage.seed import seed_demo, seed_reference

PG_ENV = "EUDESK_TEST_DATABASE_URL"


def postgres_base_url() -> str | None:
    """EUDESK_TEST_DATABASE_URL, when it names a PostgreSQL server (CI sets it)."""
    url = os.environ.get(PG_ENV)
    if not url or not make_url(url).get_backend_name().startswith("postgres"):
        return None
    return url


def backends() -> list[str]:
    """The backends to run storage tests on: SQLite always, PostgreSQL when configured."""
    return ["sqlite", "postgresql"] if postgres_base_url() else ["sqlite"]


def _admin_dsn(base_url: str) -> str:
    url = make_url(base_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def create_postgres_database(base_url: str) -> str:
    """A new, empty database on the server of `base_url`; returns its URL."""
    name = f"eudesk_t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_admin_dsn(base_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(base_url: str, url: str) -> None:
    name = make_url(url).database
    conn = await asyncpg.connect(_admin_dsn(base_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def new_database_url(backend: str, tmp_path: Path) -> str:
    """An empty database of the given backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'eudesk-{uuid.uuid4().hex[:8]}.db'}"
    base = postgres_base_url()
    assert base is not None
    return await create_postgres_database(base)


async def discard_database(backend: str, url: str) -> None:
    if backend == "postgresql":
        base = postgres_base_url()
        assert base is not None
        await drop_postgres_database(base, url)


@asynccontextmanager
async def throwaway_database(
    backend: str, tmp_path: Path, *, demo_today: date | None = None
) -> AsyncIterator[Database]:
    """A migrated database of its own (with reference and demo data when demo_today is given),
    disposed and dropped afterwards."""
    url = await new_database_url(backend, tmp_path)
    database = Database.from_url(url)
    try:
        await upgrade(database)
        if demo_today is not None:
            async with database.transaction() as session:
                await seed_reference(session)
            await seed_demo(database, today=demo_today)
        yield database
    finally:
        await database.dispose()
        await discard_database(backend, url)
