"""Import a CSV/XLSX file of one kind: validate every row, then upsert all of it or nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.db import Database
from eudesk.storage.models import (
    Body,
    Chapter,
    Cluster,
    Programme,
    Project,
)
from eudesk.storage.transfer.cells import DEFAULT_ZONE
from eudesk.storage.transfer.readers import read_rows
from eudesk.storage.transfer.rows import (
    ContactRow,
    DeadlineRow,
    ImportRejected,
    MeetingRow,
    PassportRow,
    ProjectRow,
    RowError,
    columns,
    row_model,
)
from eudesk.storage.transfer.upsert import Line, Writer, batched

Progress = Callable[[int, int | None], None]
BATCH = 500
# Reference tables a row may point into, and the column that holds the natural key.
REFERENCE_KEYS: dict[str, Any] = {
    "programme": Programme.code,
    "project": Project.code,
    "body": Body.code,
    "chapter": Chapter.number,
    "cluster": Cluster.number,
}


@dataclass(frozen=True)
class ImportReport:
    """What an import did: rows created, rows changed, rows already as in the file."""

    kind: str
    path: Path
    created: int
    updated: int
    unchanged: int

    def __str__(self) -> str:
        return (
            f"{self.kind} from {self.path.name}: {self.created} created, "
            f"{self.updated} updated, {self.unchanged} unchanged"
        )


async def import_file(
    db: Database,
    kind: str,
    path: Path,
    *,
    progress: Progress | None = None,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> ImportReport:
    """Validate the whole file, then write it in one transaction; ImportRejected writes nothing.

    `progress(done, total)` is called as rows are written; times without an offset are in `zone`.
    """
    model = row_model(kind)
    # Parsing is plain CPU and file work: a thread keeps the bot answering meanwhile.
    lines, errors = await asyncio.to_thread(parse_file, path, kind, model, zone)
    total = len(lines)
    async with db.transaction() as session:
        refs = await _load_references(session, lines)
        errors += [
            RowError(line.number, column, f"unknown {table} {value!r}")
            for line in lines
            for column, table, value in references(line.row)
            if value not in refs[table]
        ]
        if errors:
            raise ImportRejected(kind, path, errors)
        writer = Writer(session, refs, f"import {path.name}")
        done = 0
        for batch in batched(lines, BATCH):
            await writer.write(kind, batch)
            await session.flush()
            done += len(batch)
            if progress:
                progress(done, total)
        if writer.errors:
            raise ImportRejected(kind, path, writer.errors)
    return ImportReport(kind, path, writer.created, writer.updated, writer.unchanged)


def parse_file(
    path: Path, kind: str, model: type[BaseModel], zone: ZoneInfo = DEFAULT_ZONE
) -> tuple[list[Line], list[RowError]]:
    """Every row validated; every bad cell and duplicate key (as stored, after normalising)."""
    key = columns(model)[0]
    lines: list[Line] = []
    errors: list[RowError] = []
    first_seen: dict[Any, int] = {}
    for number, cells in read_rows(path, kind):
        try:
            row = model.model_validate(cells, context={"zone": zone})
        except ValidationError as exc:
            errors += [_readable(number, error) for error in exc.errors()]
            continue
        value = getattr(row, key)
        if value in first_seen:
            errors.append(RowError(number, key, f"{value!r} also on line {first_seen[value]}"))
            continue
        first_seen[value] = number
        lines.append(Line(number, row))
    return lines, errors


def _readable(line: int, error: Any) -> RowError:
    column = str(error["loc"][0]) if error["loc"] else None
    if error["type"] == "extra_forbidden":
        message = "a value under no column header (is a cell missing its quotes?)"
    elif error["type"] == "missing" or error.get("input", "") is None:
        message = "a value is required"
    else:
        message = str(error["msg"]).removeprefix("Value error, ")
    return RowError(line, column, message)


def references(row: Any) -> Iterable[tuple[str, str, Any]]:
    """(column, table, key) for each natural key a row points to."""
    match row:
        case ProjectRow():
            yield "programme", "programme", row.programme
            for column, partners in (
                ("lead_partner", [row.lead_partner]),
                ("partners", row.partners),
            ):
                for partner in partners or ():
                    if partner is not None and partner.body_code:
                        yield column, "body", partner.body_code
        case DeadlineRow():
            yield from (
                ("project", "project", row.project),
                ("programme", "programme", row.programme),
            )
            yield from (("bodies", "body", code) for code in row.bodies or ())
        case MeetingRow():
            yield from (("chapter", "chapter", row.chapter), ("cluster", "cluster", row.cluster))
        case ContactRow() | PassportRow():
            yield "body", "body", row.body


async def _load_references(
    session: AsyncSession, lines: Sequence[Line]
) -> dict[str, dict[Any, Any]]:
    """table -> key -> id (bodies: the Body itself), in chunked IN queries, not one per row."""
    wanted: dict[str, set[Any]] = {table: set() for table in REFERENCE_KEYS}
    for line in lines:
        for _column, table, value in references(line.row):
            if value is not None:
                wanted[table].add(value)
    found: dict[str, dict[Any, Any]] = {table: {None: None} for table in REFERENCE_KEYS}
    for table, keys in wanted.items():
        column = REFERENCE_KEYS[table]
        for chunk in batched(sorted(keys), BATCH):
            if table == "body":
                bodies = await session.scalars(select(Body).where(Body.code.in_(chunk)))
                found[table].update((body.code, body) for body in bodies)
            else:
                entity = column.class_
                pairs = await session.execute(
                    select(column, entity.__mapper__.primary_key[0]).where(column.in_(chunk))
                )
                found[table].update((key, ident) for key, ident in pairs)
    return found
