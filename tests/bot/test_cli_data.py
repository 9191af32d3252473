"""The operator's path: migrate, seed, import (all-or-nothing), export, users; as subprocesses."""

from __future__ import annotations

import csv
import getpass
from pathlib import Path

from sqlalchemy import select

from eudesk.storage.db import Database
from eudesk.storage.models import AuditEntry
from tests.cli import run_cli

GOOD = [
    "DL-1",
    "report",
    "Interim report",
    "2026-12-15 12:00",
    "",
    "HUSRB",
    "LSGU-80071",
    "open",
    "",
]
ROWS = [
    ["ref", "kind", "title", "due", "project", "programme", "bodies", "status", "notes"],
    GOOD,
    ["DL-2", "report", "Bad date", "2026-13-45 12:00", "", "HUSRB", "", "open", ""],
    ["DL-3", "report", "Fine", "2026-12-16", "", "HUSRB", "", "open", ""],
    ["DL-4", "report", "Unknown project", "2026-12-17", "NO-SUCH-PROJECT", "", "", "open", ""],
    ["DL-5", "party", "Bad kind", "2026-12-18", "", "HUSRB", "", "open", ""],
]


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_import_with_three_broken_rows_names_them_and_writes_nothing(
    empty_database_url: str, tmp_path: Path
) -> None:
    def cli(*args: str) -> tuple[int, str, str]:
        result = run_cli(*args, database_url=empty_database_url, cwd=tmp_path)
        return result.returncode, result.stdout, result.stderr

    assert cli("db", "upgrade")[0] == 0
    assert cli("seed", "reference")[0] == 0

    code, _out, err = cli("import", "deadlines", str(_csv(tmp_path / "bad.csv", ROWS)))
    assert code == 1
    assert "Traceback" not in err
    for line, column in (("3", "due"), ("5", "project"), ("6", "kind")):
        assert f"line {line}" in err
        assert column in err
    assert "line 2" not in err
    assert "line 4" not in err

    code, out, _err = cli("export", "deadlines", "-o", str(tmp_path / "after.csv"))
    assert code == 0
    assert "exported 0 deadlines" in out

    good = _csv(tmp_path / "good.csv", [ROWS[0], GOOD, ROWS[3]])
    code, out, err = cli("import", "deadlines", str(good))
    assert code == 0, err
    assert "2 created" in out
    code, out, _err = cli("export", "deadlines", "-o", str(tmp_path / "round.xlsx"))
    assert "exported 2 deadlines" in out
    code, out, err = cli("import", "deadlines", str(tmp_path / "round.xlsx"))
    assert code == 0, err
    assert "2 unchanged" in out


def test_users_add_list_grant_revoke(empty_database_url: str, tmp_path: Path) -> None:
    def cli(*args: str) -> tuple[int, str, str]:
        result = run_cli(*args, database_url=empty_database_url, cwd=tmp_path)
        return result.returncode, result.stdout, result.stderr

    cli("db", "upgrade")
    cli("seed", "reference")
    code, out, err = cli(
        "users",
        "add",
        "jelena",
        "--role",
        "staff",
        "--telegram",
        "12345",
        "--slack",
        "T0ABC:U0DEF",
        "--body",
        "LSGU-80071",
        "--lang",
        "hu",
    )
    assert code == 0, err
    assert "jelena (staff)" in out
    code, _out, err = cli("users", "add", "jelena", "--role", "staff")
    assert code == 1
    assert "already exists" in err
    code, _out, err = cli("users", "add", "marko", "--role", "staff", "--telegram", "@marko")
    assert code == 2
    assert "number" in err
    assert cli("users", "grant", "jelena", "passport_officer")[0] == 0
    assert cli("users", "revoke", "jelena", "staff")[0] == 0
    code, out, _err = cli("users", "list")
    assert "jelena" in out
    assert "passport_officer" in out
    assert "telegram:12345" in out
    assert "slack:T0ABC:U0DEF" in out
    code, _out, err = cli("users", "grant", "nobody", "staff")
    assert code == 1
    assert "no user 'nobody'" in err


async def test_passport_import_and_export_are_audited(
    empty_database_url: str, tmp_path: Path
) -> None:
    def cli(*args: str) -> tuple[int, str, str]:
        result = run_cli(*args, database_url=empty_database_url, cwd=tmp_path)
        return result.returncode, result.stdout, result.stderr

    assert cli("db", "upgrade")[0] == 0
    rows = [
        ["reference", "kind", "holder_name", "passport_number", "status"],
        ["pas-1", "official", "Ana Kovač", "D0012345", "issued"],
        ["ПАС-2", "diplomatic", "Kovács Péter", "", "requested"],
    ]
    code, out, err = cli("import", "passports", str(_csv(tmp_path / "in.csv", rows)))
    assert code == 0, err
    assert "2 created" in out
    code, out, err = cli("export", "passports", "-o", str(tmp_path / "out.csv"))
    assert code == 0, err
    assert "exported 2 passports" in out
    assert "D0012345" in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")

    database = Database.from_url(empty_database_url)
    try:
        async with database.transaction() as session:
            entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
            seen = [
                (e.actor, e.platform, e.action, e.allowed, e.target_type, e.detail) for e in entries
            ]
    finally:
        await database.dispose()
    actor = f"cli:{getpass.getuser()}"
    assert seen == [
        (
            actor,
            "cli",
            "passport.import",
            True,
            "passport",
            "2 rows from in.csv: 2 created, 0 updated",
        ),
        (actor, "cli", "passport.export", True, "passport", "2 rows to out.csv"),
    ]
