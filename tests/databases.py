"""Throwaway test databases: a SQLite file always, a PostgreSQL database when configured."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import asyncpg  # the test helpers create and drop databases, which needs no ORM
from sqlalchemy.engine import make_url

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
