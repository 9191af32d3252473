"""Alembic environment: runs on the connection eudesk hands over, or on EUDESK_DATABASE_URL."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection

from eudesk.storage.db import create_engine
from eudesk.storage.models import Base

target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only ALTER through table copies
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_url(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(run_on)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:  # the `alembic` command line, for developers writing a new revision
    asyncio.run(run_from_url(os.environ.get("EUDESK_DATABASE_URL", "sqlite:///eudesk.db")))
