"""Outbox rows added once: INSERT ... ON CONFLICT DO NOTHING on the dedupe key, in key order."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.models import OutboxEntry

_BATCH = 500  # rows per statement: bound parameters stay far below either driver's limit


async def insert_new(session: AsyncSession, rows: Iterable[dict[str, Any]]) -> int:
    """Insert outbox rows, skipping those whose dedupe key exists; returns how many were new.

    Rows go in dedupe-key order, so concurrent writers take the key locks in one order and wait
    for each other instead of deadlocking.
    """
    ordered = sorted({row["dedupe_key"]: row for row in rows}.items())
    values = [row for _, row in ordered]
    if not values:
        return 0
    connection = await session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    # One statement with a parameter list: compiled once (cached), sent in batches of rows by
    # SQLAlchemy's insertmanyvalues; RETURNING yields only the rows inserted.
    statement = (
        insert(OutboxEntry)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxEntry.id)
    )
    created = 0
    for start in range(0, len(values), _BATCH):
        result = await connection.execute(statement, values[start : start + _BATCH])
        created += len(result.all())
    return created
