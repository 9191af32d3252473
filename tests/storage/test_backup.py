"""Backup and restore: exact round trips on each backend and across them, and every refusal."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import Table, func, inspect, select, text

from eudesk.storage.backup import (
    NULL,
    ArchiveInvalid,
    Manifest,
    RestoreRefused,
    SchemaMismatch,
    backup,
    from_cell,
    parser_for,
    restore,
    tables,
    to_cell,
)
from eudesk.storage.db import Database
from eudesk.storage.migrate import alembic_config, current_revision, head_revision, upgrade
from eudesk.storage.models import (
    AuditEntry,
    Base,
    Body,
    ChatPreference,
    Contact,
    Deadline,
    DeadlineKind,
    Locale,
    Platform,
    Programme,
    Project,
    ProjectStatus,
    Subscription,
    SubscriptionTopic,
)
from eudesk.storage.seed import seed_demo, seed_reference
from eudesk.storage.transfer import KINDS, export_file
from tests.databases import (
    discard_database,
    new_database_url,
    postgres_base_url,
    throwaway_database,
)

TODAY = date(2026, 11, 27)
# The cross-backend test needs PostgreSQL; without it, it is reported as skipped.
ON_POSTGRES = pytest.mark.parametrize("pg", ["postgresql"] if postgres_base_url() else [])
# Texts that a careless encoding would confuse with NULL, with each other, or break a row on.
AWKWARD = ("", NULL, "\\\\N", "\\", 'a "quoted", comma', "two\r\nlines\n", "Ђорђе Čović ő")

Rows = dict[str, list[tuple[Any, ...]]]


# Helpers --------------------------------------------------------------------------------------


async def dump(db: Database) -> Rows:
    """Every row of every table, as Python values, in primary-key order."""
    async with db.transaction() as session:
        return {
            table.name: [
                tuple(row)
                for row in await session.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in tables()
        }


async def counts(db: Database) -> dict[str, int]:
    """Rows per table, of the tables the database has (an older schema lacks newer ones)."""
    async with db.transaction() as session:
        connection = await session.connection()
        present = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in tables()
            if table.name in present
        }


async def audit_actions(db: Database) -> list[tuple[str, str | None, str | None]]:
    async with db.transaction() as session:
        entries = await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(e.action, e.target_ref, e.detail) for e in entries]


async def triggers(db: Database) -> list[tuple[str, object]]:
    """PostgreSQL's user triggers and whether each is enabled ("O"); SQLite has no switch."""
    if db.dialect != "postgresql":
        return []
    query = text("SELECT tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname")
    async with db.transaction() as session:
        return [(name, enabled) for name, enabled in await session.execute(query)]


def tamper(source: Path, target: Path, change: Callable[[str, bytes], bytes]) -> None:
    """A copy of a zip with each member's bytes passed through `change(name, data)`."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            new.writestr(name, change(name, old.read(name)))


def flip_byte(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


async def add_awkward_rows(db: Database) -> None:
    """Rows whose values test the text form: NULL against empty text and a literal \\N,
    quotes and line breaks, cents, microseconds, a time of day, text primary keys."""
    async with db.transaction() as session:
        body = await session.scalar(select(Body.id).order_by(Body.id).limit(1))
        programme = await session.scalar(select(Programme.id).order_by(Programme.id).limit(1))
        project = Project(
            code="AWK-1", acronym="AWK", title=AWKWARD[4], programme_id=programme,
            status=ProjectStatus.ONGOING, total_budget=Decimal("1234567.89"),
            eu_contribution=Decimal("0.01"), responsible_officer="",
            created_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        )  # fmt: skip
        session.add(project)
        for n, value in enumerate(AWKWARD):
            session.add(
                Deadline(ref=f"AWK-D{n}", kind=DeadlineKind.OTHER, title=f"t{n}", notes=value,
                         due_at=datetime(2026, 12, 1, 11, n, tzinfo=UTC), project=project)
            )  # fmt: skip
            session.add(
                Contact(ref=f"AWK-C{n}", body_id=body, name=value or "x", position=value,
                        phone=None, locale=Locale.HU, active=n % 2 == 0)
            )  # fmt: skip
        session.add(
            Subscription(platform=Platform.SLACK, chat_id="C1", topic=SubscriptionTopic.CALLS,
                         quiet_start=time(7, 30), quiet_end=time(19, 45, 10))
        )  # fmt: skip
        # Text keys whose order differs between byte order and most PostgreSQL collations.
        for external_id in ("b", "B", "a-1", "a1", "Ä", "_"):
            session.add(
                ChatPreference(
                    platform=Platform.TELEGRAM, external_id=external_id, locale=Locale.EN
                )
            )
        session.add(
            AuditEntry(actor="cli:test", platform="cli", action="test.awkward", allowed=False,
                       detail=AWKWARD[5], at=datetime(2026, 1, 1, tzinfo=UTC))
        )  # fmt: skip


@pytest.fixture
async def source(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database with reference data, demo data (scale 1) and awkward rows."""
    async with throwaway_database(backend, tmp_path, demo_today=TODAY) as db:
        await add_awkward_rows(db)
        yield db


@pytest.fixture
async def target(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty database migrated to the newest revision."""
    async with throwaway_database(backend, tmp_path) as db:
        yield db


def previous_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config()).get_revision(head_revision())
    assert script is not None
    assert isinstance(script.down_revision, str)
    return script.down_revision


# Cells ----------------------------------------------------------------------------------------


def column(table: Table, name: str) -> Any:
    return table.c[name]


@given(st.text())
@example("")
@example(NULL)
@example("\\\\N")
@example("\\")
def test_any_text_survives_a_csv_round_trip(value: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([to_cell(value), to_cell(None)])
    cells = next(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert from_cell(cells[0], str) == value
    assert from_cell(cells[1], str) is None


@pytest.mark.parametrize(
    ("table", "name", "value", "cell"),
    [
        ("projects", "total_budget", Decimal("1234567.89"), "1234567.89"),
        ("projects", "total_budget", Decimal("0.00"), "0.00"),
        ("projects", "is_demo", True, "true"),
        ("projects", "status", ProjectStatus.ONGOING, "ongoing"),
        ("projects", "starts_on", date(2026, 2, 1), "2026-02-01"),
        ("projects", "programme_id", 42, "42"),
        ("deadlines", "due_at", datetime(2026, 3, 29, 0, 30, 0, 5, tzinfo=UTC),
         "2026-03-29T00:30:00.000005+00:00"),
        ("subscriptions", "quiet_start", time(7, 30), "07:30:00"),
        ("deadlines", "notes", None, "\\N"),
    ],
)  # fmt: skip
def test_each_type_has_one_text_form(table: str, name: str, value: object, cell: str) -> None:
    parse = parser_for(column(Base.metadata.tables[table], name))
    assert to_cell(value) == cell
    assert from_cell(cell, parse) == value


def test_datetimes_are_written_in_utc_and_read_only_with_an_offset() -> None:
    belgrade = datetime.fromisoformat("2026-07-01T10:00:00+02:00")
    assert to_cell(belgrade) == "2026-07-01T08:00:00+00:00"
    parse = parser_for(column(Base.metadata.tables["deadlines"], "due_at"))
    with pytest.raises(ValueError, match="offset"):
        from_cell("2026-07-01T08:00:00", parse)
    with pytest.raises(ValueError, match="neither"):
        from_cell("\\1", parser_for(column(Base.metadata.tables["projects"], "id")))


# Round trips ----------------------------------------------------------------------------------


async def test_round_trip_reproduces_every_row(
    source: Database, target: Database, tmp_path: Path
) -> None:
    before = await dump(source)
    archive = tmp_path / "eudesk.zip"
    made = await backup(source, archive, actor="cli:test")
    assert made.counts() == {name: len(rows) for name, rows in before.items()}
    assert made.schema_revision == head_revision()
    assert made.source_backend == source.dialect
    assert not (tmp_path / "eudesk.zip.part").exists()
    assert (await audit_actions(source))[-1][:2] == ("backup.create", "eudesk.zip")

    seen: list[tuple[int, int]] = []
    restored = await restore(
        target, archive, actor="cli:test", progress=lambda d, t: seen.append((d, t))
    )
    assert restored == made
    assert seen[-1] == (made.total_rows, made.total_rows)
    after = await dump(target)
    for name, rows in before.items():
        if name != "audit_log":
            assert after[name] == rows, name
    assert after["audit_log"][:-1] == before["audit_log"]
    action, ref, detail = (await audit_actions(target))[-1]
    assert (action, ref) == ("backup.restore", "eudesk.zip")
    assert detail is not None
    assert f"{made.total_rows} rows" in detail
    assert "Ђорђе" not in detail  # counts, never data

    # PostgreSQL's user triggers were off during the load, and are on again as migrated.
    assert await triggers(target) == await triggers(source)

    # Ids continue after the restored ones (PostgreSQL's sequences were moved past them).
    async with target.transaction() as session:
        session.add(Programme(code="NEW", name="New programme", kind="test"))
        await session.flush()
        newest = await session.scalar(select(func.max(Programme.id)))
    assert newest == max(row[0] for row in before["programmes"]) + 1


async def test_the_same_data_gives_the_same_csv_bytes(
    source: Database, target: Database, tmp_path: Path
) -> None:
    first = await backup(source, tmp_path / "first.zip")
    await restore(target, tmp_path / "first.zip")
    second = await backup(target, tmp_path / "second.zip")
    differ = {a.name for a, b in zip(first.tables, second.tables, strict=True) if a != b}
    assert differ == {"audit_log"}  # the restore was recorded in the target's audit log


# Refusals -------------------------------------------------------------------------------------


async def test_a_database_with_rows_is_refused_and_left_alone(
    source: Database, target: Database, tmp_path: Path
) -> None:
    await backup(source, tmp_path / "eudesk.zip")
    async with target.transaction() as session:
        await seed_reference(session)
    before = await dump(target)
    with pytest.raises(RestoreRefused) as refused:
        await restore(target, tmp_path / "eudesk.zip")
    first = next(t for t in tables() if before[t.name])
    assert str(refused.value) == (
        f"restore needs an empty database at revision {head_revision()}; "
        f"this one has {len(before[first.name])} rows in {first.name}"
    )
    assert await dump(target) == before


async def test_a_changed_byte_in_a_csv_is_refused_before_anything_is_written(
    source: Database, target: Database, tmp_path: Path
) -> None:
    good = tmp_path / "good.zip"
    await backup(source, good)

    def change(name: str, data: bytes) -> bytes:
        return flip_byte(data, len(data) // 2) if name == "deadlines.csv" else data

    bad = tmp_path / "bad.zip"
    tamper(good, bad, change)
    with pytest.raises(ArchiveInvalid, match=r"deadlines\.csv does not match its checksum"):
        await restore(target, bad)
    assert set((await counts(target)).values()) == {0}


async def test_a_damaged_zip_is_refused(source: Database, target: Database, tmp_path: Path) -> None:
    archive = tmp_path / "eudesk.zip"
    await backup(source, archive)
    with zipfile.ZipFile(archive) as opened:
        member = opened.getinfo("bodies.csv")
    data = archive.read_bytes()
    # The middle of the member's compressed bytes: its local header is 30 bytes, name, extra.
    start = member.header_offset + 30 + len(member.filename.encode()) + len(member.extra)
    archive.write_bytes(flip_byte(data, start + member.compress_size // 2))
    with pytest.raises(ArchiveInvalid, match=r"eudesk\.zip is not a usable eudesk backup"):
        await restore(target, archive)
    assert set((await counts(target)).values()) == {0}


async def test_a_count_that_disagrees_with_the_manifest_leaves_the_target_empty(
    source: Database, target: Database, tmp_path: Path
) -> None:
    """The check comes after every row was inserted: the one transaction must undo them all."""
    good = tmp_path / "good.zip"
    made = await backup(source, good)
    last = tables()[-1].name

    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        for entry in manifest["tables"]:
            if entry["name"] == last:
                entry["rows"] += 1
        return json.dumps(manifest).encode()

    bad = tmp_path / "bad.zip"
    tamper(good, bad, change)
    expected = made.counts()[last] + 1
    with pytest.raises(ArchiveInvalid, match=f"rows in {last}, the manifest says {expected}"):
        await restore(target, bad)
    assert set((await counts(target)).values()) == {0}


async def test_another_schema_revision_is_refused(
    source: Database, backend: str, tmp_path: Path
) -> None:
    await backup(source, tmp_path / "eudesk.zip")
    url = await new_database_url(backend, tmp_path)
    older = Database.from_url(url)
    try:
        with pytest.raises(SchemaMismatch, match="this one is not migrated"):
            await restore(older, tmp_path / "eudesk.zip")
        await upgrade(older, previous_revision())
        with pytest.raises(SchemaMismatch) as refused:
            await restore(older, tmp_path / "eudesk.zip")
        assert str(refused.value) == (
            f"restore needs an empty database at revision {head_revision()}; "
            f"this one is at revision {previous_revision()}"
        )
        assert await current_revision(older) == previous_revision()
        assert set((await counts(older)).values()) == {0}
        # Nor is a database at another revision backed up: its tables are not the models'.
        with pytest.raises(SchemaMismatch, match="backup needs the database at revision"):
            await backup(older, tmp_path / "older.zip")
        assert not (tmp_path / "older.zip").exists()
        assert not (tmp_path / "older.zip.part").exists()
    finally:
        await older.dispose()
        await discard_database(backend, url)


async def test_an_unknown_format_is_refused(
    source: Database, target: Database, tmp_path: Path
) -> None:
    good = tmp_path / "good.zip"
    await backup(source, good)

    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        return json.dumps({**json.loads(data), "format_version": 99}).encode()

    tamper(good, tmp_path / "future.zip", change)
    with pytest.raises(ArchiveInvalid, match="format eudesk-backup 99 is unknown"):
        await restore(target, tmp_path / "future.zip")
    (tmp_path / "notes.zip").write_bytes(b"not a zip at all")
    with pytest.raises(ArchiveInvalid, match=r"notes\.zip is not a usable eudesk backup"):
        await restore(target, tmp_path / "notes.zip")


# Across backends (the must-show) ------------------------------------------------------


async def export_all(db: Database, folder: Path, name: str) -> dict[str, bytes]:
    """`eudesk export KIND` of every kind, as the bytes of the CSV files."""
    for kind in KINDS:
        await export_file(db, kind, folder / f"{name}-{kind}.csv", "csv")
    return {kind: (folder / f"{name}-{kind}.csv").read_bytes() for kind in KINDS}


def sorted_rows(data: bytes) -> list[list[str]]:
    header, *rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return [header, *sorted(rows)]


def without_audit(table_counts: dict[str, int]) -> dict[str, int]:
    return {name: n for name, n in table_counts.items() if name != "audit_log"}


@ON_POSTGRES
async def test_postgresql_to_sqlite_and_back_at_scale_10(pg: str, tmp_path: Path) -> None:
    """seed demo --scale 10 on PostgreSQL → backup → SQLite → backup → a new PostgreSQL:
    the same rows per table and the same exports at every step."""
    async with (
        throwaway_database(pg, tmp_path) as first,
        throwaway_database("sqlite", tmp_path) as middle,
        throwaway_database(pg, tmp_path) as last,
    ):
        async with first.transaction() as session:
            await seed_reference(session)
        await seed_demo(first, scale=10, today=TODAY)
        seeded = await counts(first)
        assert seeded["projects"] >= 1000

        made: list[Manifest] = []
        made.append(await backup(first, tmp_path / "from-postgresql.zip"))
        await restore(middle, tmp_path / "from-postgresql.zip")
        in_sqlite = await counts(middle)
        made.append(await backup(middle, tmp_path / "from-sqlite.zip"))
        await restore(last, tmp_path / "from-sqlite.zip")
        back_in_postgresql = await counts(last)

        # Rows per table: identical; the audit log holds one more row per restore, its own.
        assert made[0].counts() == seeded
        assert (
            without_audit(in_sqlite) == without_audit(back_in_postgresql) == without_audit(seeded)
        )
        assert in_sqlite["audit_log"] == seeded["audit_log"] + 1 == made[1].counts()["audit_log"]
        assert back_in_postgresql["audit_log"] == in_sqlite["audit_log"] + 1
        # Every table's CSV, written by PostgreSQL and then by SQLite, is byte for byte the same.
        differ = {a.name for a, b in zip(made[0].tables, made[1].tables, strict=True) if a != b}
        assert differ == {"audit_log"}

        exports = [await export_all(db, tmp_path, name) for db, name in
                   ((first, "first"), (middle, "middle"), (last, "last"))]  # fmt: skip
        # Same backend: byte for byte. SQLite sorts text by bytes, PostgreSQL by its collation,
        # so across backends the same rows may come in another order: compared row for row.
        assert exports[2] == exports[0]
        for kind in KINDS:
            assert sorted_rows(exports[1][kind]) == sorted_rows(exports[0][kind]), kind
        assert len(sorted_rows(exports[0]["projects"])) > 1000
