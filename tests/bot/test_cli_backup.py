"""`eudesk backup` and `eudesk restore` as an operator runs them: subprocesses, one-line errors."""

from __future__ import annotations

import getpass
import zipfile
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from eudesk.storage.db import Database
from eudesk.storage.migrate import head_revision, upgrade
from eudesk.storage.models import AuditEntry
from eudesk.storage.seed import seed_demo, seed_reference
from eudesk.storage.transfer import export_file
from tests.cli import run_cli
from tests.databases import discard_database, new_database_url

TODAY = date(2026, 11, 27)


@pytest.fixture
async def second_database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """Another brand-new, empty database of the same backend: where a backup is restored."""
    url = await new_database_url(backend, tmp_path)
    yield url
    await discard_database(backend, url)


def cli(url: str, cwd: Path, *args: str) -> tuple[int, str, str]:
    result = run_cli(*args, database_url=url, cwd=cwd)
    return result.returncode, result.stdout, result.stderr


def test_backup_and_restore_explain_themselves(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'unused.db'}"
    code, out, err = cli(url, tmp_path, "backup", "--help")
    assert code == 0, err
    for words in ("consistent backup", "manifest.json", "snapshot", "--overwrite"):
        assert words in out
    code, out, err = cli(url, tmp_path, "restore", "--help")
    assert code == 0, err
    for words in ("empty database", "schema revision", "failure leaves the database empty"):
        assert words in out


async def migrated(url: str, *, demo: bool = False, reference: bool = False) -> None:
    """Set a database up in-process (each `eudesk` subprocess costs seconds of start-up)."""
    database = Database.from_url(url)
    try:
        await upgrade(database)
        if demo or reference:
            async with database.transaction() as session:
                await seed_reference(session)
        if demo:
            await seed_demo(database, today=TODAY)
    finally:
        await database.dispose()


async def test_backup_then_restore_into_a_new_database(
    empty_database_url: str, second_database_url: str, tmp_path: Path
) -> None:
    first, second = empty_database_url, second_database_url
    archive = tmp_path / "eudesk.zip"
    await migrated(first, demo=True)
    await migrated(second)

    code, out, err = cli(first, tmp_path, "backup", str(archive))
    assert code == 0, err
    assert f"(schema revision {head_revision()}) to {archive}" in out
    rows = int(out.split()[2])
    assert rows > 1000

    code, _out, err = cli(first, tmp_path, "backup", str(archive))
    assert (code, err.strip()) == (1, f"eudesk: {archive} exists; pass --overwrite to replace it")
    code, out, err = cli(first, tmp_path, "backup", str(archive), "--overwrite")
    assert code == 0, err
    assert int(out.split()[2]) == rows + 1  # the first backup's own audit row

    code, _out, err = cli(first, tmp_path, "restore", str(archive))
    assert code == 1
    refusal = f"eudesk: restore needs an empty database at revision {head_revision()}; "
    assert err.strip().startswith(refusal)
    assert len(err.strip().splitlines()) == 1

    code, out, err = cli(second, tmp_path, "restore", str(archive))
    assert code == 0, err
    assert f"restored {rows + 1} rows of" in out

    exports: list[bytes] = []
    for url in (first, second):
        database = Database.from_url(url)
        try:
            path = tmp_path / f"projects-{len(exports)}.csv"
            assert await export_file(database, "projects", path, "csv") >= 100
            exports.append(path.read_bytes())
            async with database.transaction() as session:
                last = await session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()))
        finally:
            await database.dispose()
    assert exports[0] == exports[1]
    assert last is not None
    assert (last.actor, last.action, last.target_ref) == (
        f"cli:{getpass.getuser()}",
        "backup.restore",
        "eudesk.zip",
    )


async def test_a_corrupted_archive_is_refused_in_one_line(
    empty_database_url: str, second_database_url: str, tmp_path: Path
) -> None:
    first, second = empty_database_url, second_database_url
    await migrated(first, reference=True)
    await migrated(second)
    good, bad = tmp_path / "good.zip", tmp_path / "bad.zip"
    assert cli(first, tmp_path, "backup", str(good))[0] == 0
    with zipfile.ZipFile(good) as old, zipfile.ZipFile(bad, "w") as new:
        for name in old.namelist():
            data = old.read(name)
            if name == "bodies.csv":
                assert b"Novi Sad" in data
                data = data.replace(b"Novi Sad", b"Novi Sat")
            new.writestr(name, data)

    code, out, err = cli(second, tmp_path, "restore", str(bad))
    assert code == 1
    assert err.strip() == (
        "eudesk: bad.zip is not a usable eudesk backup: bodies.csv does not match its checksum"
    )
    assert "Traceback" not in err + out
    # Nothing was written: the database is still empty enough to take the good archive.
    code, out, err = cli(second, tmp_path, "restore", str(good))
    assert code == 0, err
