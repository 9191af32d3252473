"""`eudesk db upgrade` on empty databases, a clear line when the database is unreachable, and
one that says what to run when it is missing, empty or behind (and nothing creates it)."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from eudesk.bot.lifecycle import run_service
from eudesk.bot.settings import Settings
from eudesk.storage.db import Database, safe_url
from eudesk.storage.errors import DatabaseNotReady
from eudesk.storage.migrate import head_revision, upgrade
from tests.cli import run_cli


def test_db_upgrade_on_an_empty_database(empty_database_url: str, tmp_path: Path) -> None:
    first = run_cli("db", "upgrade", database_url=empty_database_url, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"upgraded from an empty database to {head_revision()}" in first.stdout

    again = run_cli("db", "upgrade", database_url=empty_database_url, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"already at revision {head_revision()}" in again.stdout

    current = run_cli("db", "current", database_url=empty_database_url, cwd=tmp_path)
    assert f"database: {head_revision()}" in current.stdout


def test_unreachable_database_gives_one_line_and_no_password(tmp_path: Path) -> None:
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    url = "postgresql://eudesk:hunter2-secret@127.0.0.1:1/eudesk"
    result = run_cli("db", "upgrade", database_url=url, cwd=tmp_path)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "unreachable" in lines[0]
    assert "127.0.0.1:1" in lines[0]
    assert "hunter2-secret" not in result.stderr + result.stdout


def test_unwritable_sqlite_location_gives_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a folder should be")
    result = run_cli("db", "upgrade", database_url=f"sqlite:///{blocker}/eudesk.db", cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


# -- a database that is missing, empty or behind says what to run, and is never created -------

UPGRADE = "run `eudesk db upgrade`"


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_missing_sqlite_file_is_named_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "eudesk.db"
    for command in (["users", "list"], ["subscriptions", "list"], ["db", "current"]):
        result = run_cli(*command, database_url=f"sqlite:///{path}", cwd=tmp_path)
        assert result.returncode == 3, (command, result.stderr)
        assert one_line(result) == (
            f"eudesk: no database at {path}: {UPGRADE} (or `eudesk run --init-demo`)"
        )
    assert not path.parent.exists()


def test_a_relative_sqlite_path_is_shown_where_it_was_looked_for(tmp_path: Path) -> None:
    """sqlite:///var/eudesk.db is relative to the working directory: the line says which."""
    result = run_cli("users", "list", database_url="sqlite:///var/eudesk.db", cwd=tmp_path)
    assert result.returncode == 3
    assert f"no database at {tmp_path / 'var' / 'eudesk.db'}: " in one_line(result)
    assert not (tmp_path / "var").exists()


def test_eudesk_run_on_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "eudesk.db"
    result = run_cli(
        "run", database_url=f"sqlite:///{path}", cwd=tmp_path,
        extra_env={"EUDESK_TELEGRAM_TOKEN": "1:never-used", "EUDESK_HTTP_PORT": "0"},
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert f"no database at {path}: {UPGRADE}" in result.stderr.strip().splitlines()[-1]
    assert not path.exists()


async def unmigrated(backend: str, url: str) -> str:
    """The URL of an existing database without tables (SQLite: an empty file)."""
    if backend == "sqlite":
        await asyncio.to_thread(Path(make_url(url).database or "").touch)
    return url


def where(backend: str, url: str) -> str:
    return make_url(url).database if backend == "sqlite" else safe_url(url)  # type: ignore[return-value]


async def test_a_database_without_schema_says_run_db_upgrade(
    backend: str, empty_database_url: str, tmp_path: Path
) -> None:
    url = await unmigrated(backend, empty_database_url)
    result = await asyncio.to_thread(run_cli, "users", "list", database_url=url, cwd=tmp_path)
    assert result.returncode == 3
    assert (
        one_line(result)
        == f"eudesk: the database at {where(backend, url)} has no schema: {UPGRADE}"
    )
    upgraded = await asyncio.to_thread(run_cli, "db", "upgrade", database_url=url, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    listed = await asyncio.to_thread(run_cli, "users", "list", database_url=url, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr


async def test_a_database_behind_says_which_revision_it_needs(
    backend: str, empty_database_url: str, tmp_path: Path
) -> None:
    database = Database.from_url(empty_database_url)
    try:
        await upgrade(database, "0006")
    finally:
        await database.dispose()
    result = await asyncio.to_thread(
        run_cli, "users", "list", database_url=empty_database_url, cwd=tmp_path
    )
    assert result.returncode == 3
    assert one_line(result) == (
        f"eudesk: the database at {where(backend, empty_database_url)} is at revision 0006, "
        f"this eudesk needs {head_revision()}: {UPGRADE}"
    )
    current = await asyncio.to_thread(
        run_cli, "db", "current", database_url=empty_database_url, cwd=tmp_path
    )
    assert current.returncode == 0, current.stderr
    assert f"database: 0006; newest: {head_revision()} ({UPGRADE})" in current.stdout


async def test_the_service_checks_the_schema_before_serving(
    backend: str, empty_database_url: str, tmp_path: Path
) -> None:
    url = await unmigrated(backend, empty_database_url)
    database = Database.from_url(url)
    settings = Settings(_env_file=None, database_url=url, http_port=0)
    served: list[int] = []
    try:
        with pytest.raises(DatabaseNotReady, match="has no schema: run `eudesk db upgrade`"):
            await run_service(
                settings, database, stop_event=asyncio.Event(), on_ready=served.append
            )
    finally:
        await database.dispose()
    assert not served
