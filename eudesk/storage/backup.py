"""Backup and restore: every table as CSV in one zip, from and to SQLite or PostgreSQL.

The archive is a zip, not a tar.gz: its directory gives random access, so the manifest is read
and every member checked against its checksum before a single row is written; the standard
library streams members in and out (no temporary files); and it opens on any office computer.

It holds manifest.json (format version, eudesk version, schema revision, created_at, source
backend, per table its row count and the SHA-256 of its CSV) and one TABLE.csv per table:
UTF-8, RFC 4180 quoting, a header of column names, rows in primary-key order (text keys in byte
order, so both backends write the same bytes for the same data), and cells in a text form that
means the same on either backend:

    NULL        \\N, as in PostgreSQL COPY; a text that starts with a backslash gets one more
    datetime    ISO 8601 in UTC with its offset     2026-11-27T08:00:00+00:00
    date, time  ISO 8601                            2026-11-27, 08:00:00
    money       exact decimal text                  1234.50
    boolean     true / false
    enum        its stored value                    call_for_proposals

BackupError (StorageError)
├── ArchiveUnwritable  the backup file cannot be written (path, reason)
├── ArchiveInvalid     not a backup, unreadable, or disagrees with its manifest (path, reason)
├── SchemaMismatch     the database is not at the revision needed (needed, found)
└── RestoreRefused     the target database holds rows (revision, table, rows)
"""

from __future__ import annotations

import asyncio
import csv
import enum
import hashlib
import io
import json
import os
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Connection, String, Table, func, insert, literal, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.types import TypeDecorator, TypeEngine

from eudesk import __version__
from eudesk.storage.changes import announce
from eudesk.storage.db import Database
from eudesk.storage.errors import StorageError
from eudesk.storage.migrate import head_revision
from eudesk.storage.models import Base
from eudesk.storage.repositories.audit import AuditRepository

FORMAT = "eudesk-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
NULL = "\\N"
BATCH = 2000  # rows per read, write and insert: memory stays bounded whatever the table size
CHUNK = 1 << 20
# What a damaged or foreign file raises while it is read.
UNREADABLE = (zipfile.BadZipFile, zlib.error, csv.Error, UnicodeDecodeError, EOFError, OSError)

Progress = Callable[[int, int], None]


class BackupError(StorageError):
    """Root of the errors of backup and restore."""


class ArchiveUnwritable(BackupError):
    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot write {path}: {reason}")


class ArchiveInvalid(BackupError):
    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path.name} is not a usable eudesk backup: {reason}")


class SchemaMismatch(BackupError):
    def __init__(self, needed: str, found: str | None, message: str) -> None:
        self.needed = needed
        self.found = found
        super().__init__(message)


def _at(revision: str | None) -> str:
    return f"is at revision {revision}" if revision else "is not migrated"


class RestoreRefused(BackupError):
    def __init__(self, revision: str, table: str, rows: int) -> None:
        self.revision = revision
        self.table = table
        self.rows = rows
        super().__init__(
            f"restore needs an empty database at revision {revision}; "
            f"this one has {rows} rows in {table}"
        )


@dataclass(frozen=True)
class TableEntry:
    name: str
    rows: int
    sha256: str

    @property
    def member(self) -> str:
        return f"{self.name}.csv"


@dataclass(frozen=True)
class Manifest:
    schema_revision: str
    source_backend: str
    created_at: str
    tables: tuple[TableEntry, ...]
    eudesk_version: str = __version__
    format_version: int = FORMAT_VERSION

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def counts(self) -> dict[str, int]:
        return {t.name: t.rows for t in self.tables}

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "format_version": self.format_version,
                "eudesk_version": self.eudesk_version,
                "schema_revision": self.schema_revision,
                "created_at": self.created_at,
                "source_backend": self.source_backend,
                "null": NULL,
                "tables": [
                    {"name": t.name, "rows": t.rows, "sha256": t.sha256} for t in self.tables
                ],
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, raw: bytes, path: Path) -> Manifest:
        try:
            data = json.loads(raw)
            if data["format"] != FORMAT or data["format_version"] != FORMAT_VERSION:
                raise ValueError(f"format {data['format']} {data['format_version']} is unknown")
            tables = tuple(
                TableEntry(t["name"], int(t["rows"]), t["sha256"]) for t in data["tables"]
            )
            return cls(
                data["schema_revision"], data["source_backend"], data["created_at"], tables,
                data["eudesk_version"], data["format_version"],
            )  # fmt: skip
        except (ValueError, KeyError, TypeError) as exc:
            raise ArchiveInvalid(path, f"bad {MANIFEST}: {exc}") from exc


def tables() -> list[Table]:
    """Every table, parents before children: the order rows are restored in."""
    return list(Base.metadata.sorted_tables)


# Cells ------------------------------------------------------------------------------------------


def to_cell(value: object) -> str:
    """A column value as backend-neutral text (see the module docstring)."""
    match value:
        case None:
            return NULL
        case bool():
            return "true" if value else "false"
        case enum.Enum():
            return str(value.value)
        case str():
            return "\\" + value if value.startswith("\\") else value
        case datetime():
            if value.tzinfo is None:
                raise ValueError(f"naive datetime {value!r}: eudesk stores only aware datetimes")
            return value.astimezone(UTC).isoformat()
        case date() | time():
            return value.isoformat()
        case Decimal():
            return format(value, "f")
        case int():
            return str(value)
    raise TypeError(f"no text form for a {type(value).__name__}")


def _moment(cell: str) -> datetime:
    value = datetime.fromisoformat(cell)
    if value.tzinfo is None:
        raise ValueError(f"datetime {cell!r} has no offset")
    return value


def _boolean(cell: str) -> bool:
    if cell not in ("true", "false"):
        raise ValueError(f"{cell!r} is not true or false")
    return cell == "true"


def _decimal(cell: str) -> Decimal:
    value = Decimal(cell)
    if not value.is_finite():
        raise ValueError(f"{cell!r} is not a number")
    return value


PARSERS: dict[type, Callable[[str], object]] = {
    str: str,
    int: int,
    bool: _boolean,
    Decimal: _decimal,
    datetime: _moment,
    date: date.fromisoformat,
    time: time.fromisoformat,
}


def parser_for(column: Column[Any]) -> Callable[[str], object]:
    """How a cell of this column is read back; decorated types by the type they store."""
    kind: TypeEngine[Any] = column.type
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    python = kind.python_type
    if issubclass(python, enum.Enum):
        return python
    return PARSERS[python]


def from_cell(cell: str, parse: Callable[[str], object]) -> object:
    """The inverse of to_cell for one column's parser."""
    if cell == NULL:
        return None
    if cell.startswith("\\"):
        if parse is not str or not cell.startswith("\\\\"):
            raise ValueError(f"{cell[:20]!r} is neither \\N nor an escaped text")
        return cell[1:]
    return parse(cell)


def csv_bytes(rows: Sequence[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)  # the excel dialect is RFC 4180: quotes, CRLF
    return buffer.getvalue().encode("utf-8")


# Backup -----------------------------------------------------------------------------------------


async def backup(
    db: Database, path: Path, *, actor: str = "system", progress: Progress | None = None
) -> Manifest:
    """Write every table of `db` to the zip `path` from one consistent snapshot, then record
    `backup.create` in its audit log. The file appears only when complete (NAME.part first)."""
    partial = path.with_name(path.name + ".part")
    try:
        archive = await asyncio.to_thread(zipfile.ZipFile, partial, "w", zipfile.ZIP_DEFLATED)
    except OSError as exc:
        raise ArchiveUnwritable(path, exc.strerror or str(exc)) from exc
    try:
        async with db.transaction() as session:
            # PostgreSQL: every table from one snapshot (REPEATABLE READ), and nothing written.
            # SQLite: one transaction is a snapshot already (db.py begins it IMMEDIATE, so
            # writers wait for the backup to finish; busy_timeout bounds how long).
            options = (
                {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
                if db.dialect == "postgresql"
                else None
            )
            connection = await session.connection(execution_options=options)
            manifest = await _snapshot(connection, archive, progress)
        await asyncio.to_thread(archive.writestr, MANIFEST, manifest.to_json())
        await asyncio.to_thread(archive.close)
    except BaseException as exc:
        await asyncio.to_thread(_discard, archive, partial)
        if isinstance(exc, OSError):  # the disk, not the database (that is DatabaseUnavailable)
            raise ArchiveUnwritable(path, exc.strerror or str(exc)) from exc
        raise
    await asyncio.to_thread(os.replace, partial, path)
    async with db.transaction() as session:
        await _audit(session, actor, "backup.create", path, manifest)
    return manifest


async def _snapshot(
    connection: AsyncConnection, archive: zipfile.ZipFile, progress: Progress | None
) -> Manifest:
    revision = await connection.run_sync(_revision)
    head = head_revision()
    if revision != head:
        raise SchemaMismatch(
            head, revision, f"backup needs the database at revision {head}, the schema of this "
            f"eudesk; this one {_at(revision)} (`eudesk db upgrade` migrates it)",
        )  # fmt: skip
    total = 0
    for table in tables():
        total += int(await connection.scalar(select(func.count()).select_from(table)) or 0)
    done = 0

    def advance(rows: int) -> None:
        nonlocal done
        done += rows
        if progress is not None:
            progress(done, total)

    entries = [await _write_table(connection, archive, table, advance) for table in tables()]
    return Manifest(
        revision, connection.dialect.name, datetime.now(UTC).isoformat(), tuple(entries)
    )


async def _write_table(
    connection: AsyncConnection,
    archive: zipfile.ZipFile,
    table: Table,
    advance: Callable[[int], None],
) -> TableEntry:
    digest = hashlib.sha256()
    rows = 0
    member = zipfile.ZipInfo(f"{table.name}.csv", date_time=_local_now())
    member.compress_type = zipfile.ZIP_DEFLATED
    sink = await asyncio.to_thread(archive.open, member, "w", force_zip64=True)
    try:
        await asyncio.to_thread(_put, sink, digest, [[c.name for c in table.columns]])
        query = select(table).order_by(*_key_order(table, connection.dialect.name))
        result = await connection.stream(query.execution_options(yield_per=BATCH))
        async for partition in result.partitions():
            await asyncio.to_thread(_put, sink, digest, partition)
            rows += len(partition)
            advance(len(partition))
    finally:
        await asyncio.to_thread(sink.close)
    return TableEntry(table.name, rows, digest.hexdigest())


def _local_now() -> tuple[int, int, int, int, int, int]:
    """Zip stores member times as local wall-clock time, without a zone."""
    now = datetime.now(UTC).astimezone()
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)


def _key_order(table: Table, dialect: str) -> list[Any]:
    """Primary-key order; text keys in byte order ("C"), which is SQLite's order too."""
    return [
        column.collate("C")
        if dialect == "postgresql" and isinstance(column.type, String)
        else column
        for column in table.primary_key.columns
    ]


def _put(sink: IO[bytes], digest: Any, rows: Sequence[Sequence[Any]]) -> None:
    data = csv_bytes([[to_cell(value) for value in row] for row in rows])
    digest.update(data)
    sink.write(data)


def _discard(archive: zipfile.ZipFile, partial: Path) -> None:
    try:
        archive.close()
    finally:
        partial.unlink(missing_ok=True)


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _audit(
    session: AsyncSession, actor: str, action: str, path: Path, manifest: Manifest
) -> None:
    """File name and counts only: a backup's rows include personal data."""
    counts = ", ".join(f"{t.name} {t.rows}" for t in manifest.tables if t.rows)
    detail = f"{path.name}: {manifest.total_rows} rows ({counts})"
    await AuditRepository(session).record(
        actor=actor,
        platform="cli",
        action=action,
        allowed=True,
        target_type="backup",
        target_ref=path.name[:80],
        detail=detail if len(detail) <= 500 else detail[:499] + "…",
    )


# Restore ----------------------------------------------------------------------------------------


def read_archive(path: Path) -> Manifest:
    """The manifest of a backup, once every table's CSV matched its checksum."""
    try:
        with zipfile.ZipFile(path) as archive:
            if MANIFEST not in archive.namelist():
                raise ArchiveInvalid(path, f"it holds no {MANIFEST}")
            manifest = Manifest.from_json(archive.read(MANIFEST), path)
            wanted = [t.name for t in tables()]
            if sorted(t.name for t in manifest.tables) != sorted(wanted):
                raise ArchiveInvalid(path, "its tables are not those of this schema")
            for entry in manifest.tables:
                if _sha256(archive, entry.member) != entry.sha256:
                    raise ArchiveInvalid(path, f"{entry.member} does not match its checksum")
    except (*UNREADABLE, KeyError) as exc:
        raise ArchiveInvalid(path, str(exc)) from exc
    return manifest


def _sha256(archive: zipfile.ZipFile, member: str) -> str:
    digest = hashlib.sha256()
    with archive.open(member) as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


async def restore(
    db: Database, path: Path, *, actor: str = "system", progress: Progress | None = None
) -> Manifest:
    """Load a backup into an empty database at the backup's schema revision, in one
    transaction (a failure leaves it empty), then record `backup.restore` in its audit log."""
    manifest = await asyncio.to_thread(read_archive, path)
    head = head_revision()
    if manifest.schema_revision != head:
        raise SchemaMismatch(
            manifest.schema_revision, head, f"{path.name} is a backup at schema revision "
            f"{manifest.schema_revision}, but this eudesk knows revision {head}: restore it with "
            f"eudesk {manifest.eudesk_version}, then upgrade",
        )  # fmt: skip
    archive = await asyncio.to_thread(zipfile.ZipFile, path)
    try:
        async with db.transaction() as session:
            connection = await session.connection()
            # Also what starts the transaction on PostgreSQL before COPY goes round SQLAlchemy.
            await _refuse_unless_empty(connection, manifest.schema_revision)
            loader = Loader(connection, archive, path, manifest.total_rows, progress)
            postgres = db.dialect == "postgresql"
            if postgres:
                await _user_triggers(connection, "DISABLE")
            for table in tables():
                await loader.load(table)
            if postgres:
                await _user_triggers(connection, "ENABLE")
                await _advance_sequences(connection)
            await _check_counts(connection, manifest, path)
            await _audit(session, actor, "backup.restore", path, manifest)
            await announce(session)  # running workers plan the restored reminders now
    finally:
        await asyncio.to_thread(archive.close)
    async with db.transaction() as session:
        await session.execute(text("ANALYZE"))  # fresh planner statistics after a bulk load
    return manifest


async def _refuse_unless_empty(connection: AsyncConnection, revision: str) -> None:
    found = await connection.run_sync(_revision)
    if found != revision:
        raise SchemaMismatch(
            revision, found, f"restore needs an empty database at revision {revision}; "
            f"this one {_at(found)}",
        )  # fmt: skip
    for table in tables():
        if await connection.scalar(select(literal(1)).select_from(table).limit(1)) is not None:
            rows = int(await connection.scalar(select(func.count()).select_from(table)) or 0)
            raise RestoreRefused(revision, table.name, rows)


class Loader:
    """Reads each table's CSV in batches and inserts the rows through the column types."""

    def __init__(
        self,
        connection: AsyncConnection,
        archive: zipfile.ZipFile,
        path: Path,
        total: int,
        progress: Progress | None,
    ) -> None:
        self.connection = connection
        self.archive = archive
        self.path = path
        self.total = total
        self.done = 0
        self.progress = progress

    async def load(self, table: Table) -> None:
        member = f"{table.name}.csv"
        handle = await self._read(_open_text, self.archive, member)
        try:
            reader = csv.reader(handle)
            names = [c.name for c in table.columns]
            header = await self._read(next, reader, None)
            if header != names:
                raise ArchiveInvalid(self.path, f"{member} has columns {header}, not {names}")
            parsers = [parser_for(c) for c in table.columns]
            number = 0
            while lines := await self._read(_take, reader, BATCH):
                rows = [
                    self._decode(member, number + i, names, parsers, r)
                    for i, r in enumerate(lines, 1)
                ]
                number += len(rows)
                await self._insert(table, names, rows)
                self.done += len(rows)
                if self.progress is not None:
                    self.progress(self.done, self.total)
        finally:
            await asyncio.to_thread(handle.close)

    def _decode(
        self,
        member: str,
        number: int,
        names: list[str],
        parsers: list[Callable[[str], object]],
        cells: list[str],
    ) -> dict[str, object]:
        try:
            if len(cells) != len(names):
                raise ValueError(f"{len(cells)} cells, {len(names)} columns")
            return {n: from_cell(c, p) for n, c, p in zip(names, cells, parsers, strict=True)}
        except ValueError as exc:
            raise ArchiveInvalid(self.path, f"{member} row {number}: {exc}") from exc

    async def _insert(self, table: Table, names: list[str], rows: list[dict[str, object]]) -> None:
        if self.connection.dialect.name != "postgresql":
            await self.connection.execute(insert(table), rows)
            return
        # COPY, several times faster than executemany; values still go through each column's
        # bind processing, so they are stored exactly as an INSERT would store them.
        dialect = self.connection.dialect
        processors = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
        records = [
            tuple(
                value if process is None else process(value)
                for value, process in zip(row.values(), processors, strict=True)
            )
            for row in rows
        ]
        raw = await self.connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            table.name, records=records, columns=names
        )

    async def _read(self, function: Callable[..., Any], *args: Any) -> Any:
        """Archive reading, off the event loop; damage becomes ArchiveInvalid."""
        try:
            return await asyncio.to_thread(function, *args)
        except UNREADABLE as exc:
            raise ArchiveInvalid(self.path, str(exc)) from exc


def _open_text(archive: zipfile.ZipFile, member: str) -> IO[str]:
    return io.TextIOWrapper(archive.open(member), encoding="utf-8", newline="")


def _take(reader: Iterator[list[str]], count: int) -> list[list[str]]:
    return [row for _, row in zip(range(count), reader, strict=False)]


async def _check_counts(connection: AsyncConnection, manifest: Manifest, path: Path) -> None:
    for entry in manifest.tables:
        table = Base.metadata.tables[entry.name]
        rows = int(await connection.scalar(select(func.count()).select_from(table)) or 0)
        if rows != entry.rows:
            raise ArchiveInvalid(
                path, f"{rows} rows in {entry.name}, the manifest says {entry.rows}"
            )


async def _advance_sequences(connection: AsyncConnection) -> None:
    """Ids came from the archive, so PostgreSQL's sequences must be moved past them."""
    for table in tables():
        column = table.autoincrement_column
        if column is None:
            continue
        sequence = func.pg_get_serial_sequence(table.name, column.name)
        # max() of an empty table is NULL, and setval(…, NULL) leaves the sequence alone.
        await connection.execute(select(func.setval(sequence, func.max(column))))


async def _user_triggers(connection: AsyncConnection, verb: str) -> None:
    """What pg_restore --disable-triggers does: the rows passed the source's triggers once, and
    a per-row trigger (the audit log's, migration 0005, keeps a growing list of inserted ids)
    makes a big load quadratic. Foreign keys are system triggers and stay on. The change is
    part of the transaction: a failed restore leaves the triggers as they were."""
    preparer = connection.dialect.identifier_preparer
    for table in tables():
        await connection.exec_driver_sql(
            f"ALTER TABLE {preparer.format_table(table)} {verb} TRIGGER USER"
        )
