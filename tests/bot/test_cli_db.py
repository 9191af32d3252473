"""`eudesk db upgrade` on empty databases, and a clear line when the database is unreachable."""

from __future__ import annotations

from pathlib import Path

from eudesk.storage.migrate import head_revision
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
