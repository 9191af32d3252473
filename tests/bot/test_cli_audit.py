"""`eudesk audit` and `eudesk retention run`, as an operator runs them, in subprocesses."""

from __future__ import annotations

import csv
import getpass
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from eudesk.bot.cli_audit import parse_moment
from eudesk.storage.db import Database
from eudesk.storage.migrate import upgrade
from eudesk.storage.models import (
    AuditEntry,
    Base,
    DocumentStatus,
    PassportKind,
    PassportRecord,
    User,
    VisaRecord,
)
from eudesk.storage.repositories.audit import AuditFilter, AuditRepository
from tests.cli import run_cli

BELGRADE = ZoneInfo("Europe/Belgrade")
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
HOLDER = "Milica Stanković"
HEADER = ["id", "at", "actor", "user", "platform", "action", "target_type", "target_ref",
          "allowed", "detail"]  # fmt: skip


class Cli:
    def __init__(self, url: str, cwd: Path) -> None:
        self.url, self.cwd = url, cwd

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        result = run_cli(*args, database_url=self.url, cwd=self.cwd, extra_env=env)
        return result.returncode, result.stdout, result.stderr

    def csv(self, *args: str) -> list[list[str]]:
        code, out, err = self("audit", "--format", "csv", *args)
        assert code == 0, err
        rows = list(csv.reader(io.StringIO(out)))
        assert rows[0] == HEADER
        return rows[1:]


@pytest.fixture
async def migrated(empty_database_url: str, tmp_path: Path) -> tuple[Cli, Database]:
    database = Database.from_url(empty_database_url)
    await upgrade(database)  # in-process: a subprocess per test would only cost time
    return Cli(empty_database_url, tmp_path), database


def at(day: int, hour: int) -> datetime:
    return datetime(2020, 11, day, hour, 0, tzinfo=UTC)  # before any clock a test runs at


async def audit_log(database: Database) -> None:
    """Four rows over two weeks, by a user's chat, an unknown chat and the CLI."""
    async with database.transaction() as session:
        ana = User(name="ana")
        session.add(ana)
        await session.flush()
        rows: list[dict[str, Any]] = [
            dict(at=at(10, 9), actor="cli:ops-test", platform="cli", action="user.grant",
                 allowed=True, target_type="user", target_ref="ana", detail="passport_officer"),
            dict(at=at(20, 10), actor="telegram:42", actor_user_id=ana.id, platform="telegram",
                 action="passport.lookup", allowed=True, target_type="passport",
                 target_ref="DEMO-PAS-00001", detail="found"),
            dict(at=at(21, 9), actor="telegram:42", actor_user_id=ana.id, platform="telegram",
                 action="visa.lookup", allowed=False, target_type="visa",
                 target_ref="DEMO-VIS-00002", detail="rate_limited"),
            dict(at=at(22, 23), actor="telegram:7", platform="telegram",
                 action="passport.set_status", allowed=False, target_type="passport",
                 target_ref="[/] [bold]x", detail="no_role"),
        ]  # fmt: skip
        session.add_all(AuditEntry(**row) for row in rows)


async def reads(database: Database) -> list[str | None]:
    async with database.transaction() as session:
        query = select(AuditEntry.detail).where(AuditEntry.action == "audit.read")
        return list(await session.scalars(query.order_by(AuditEntry.id)))


async def test_audit_filters_newest_first_in_local_time(migrated: tuple[Cli, Database]) -> None:
    cli, database = migrated
    try:
        await audit_log(database)

        rows = cli.csv("--action", "passport.", "--since", "2020-11-15")
        assert [(r[1], r[5], r[7]) for r in rows] == [
            ("2020-11-23T00:00:00+01:00", "passport.set_status", "[/] [bold]x"),
            ("2020-11-20T11:00:00+01:00", "passport.lookup", "DEMO-PAS-00001"),
        ]
        assert [r[3] for r in rows] == ["", "ana"]
        assert [r[2:] for r in cli.csv("--user", "ana", "--refused")] == [
            ["telegram:42", "ana", "telegram", "visa.lookup", "visa", "DEMO-VIS-00002", "false",
             "rate_limited"],
        ]  # fmt: skip
        assert [r[5] for r in cli.csv("--user", "cli:ops-test")] == ["user.grant"]
        # --until a date takes in that whole day (local); --limit keeps the newest.
        until = cli.csv("--until", "2020-11-21", "--action", "visa.")
        assert [r[5] for r in until] == ["visa.lookup"]
        assert [r[5] for r in cli.csv("--until", "2020-11-22 12:00", "--limit", "1")] == [
            "visa.lookup"
        ]

        code, out, err = cli("audit", "--since", "2020-11-01", "--until", "2020-11-30")
        assert code == 0, err
        assert "[/] [bold]x" in out  # printed as typed, not taken for rich markup
        assert "user.grant" in out
        assert "4 audit records" in out

        assert await reads(database) == [
            "since=2020-11-15T00:00:00+01:00 action=passport. format=csv",
            "user=ana refused format=csv",
            "user=cli:ops-test format=csv",
            "until=2020-11-22T00:00:00+01:00 action=visa. format=csv",
            "until=2020-11-22T12:00:00+01:00 limit=1 format=csv",
            "since=2020-11-01T00:00:00+01:00 until=2020-12-01T00:00:00+01:00 limit=100 "
            "format=table",
        ]
        async with database.transaction() as session:
            actors = set(await session.scalars(
                select(AuditEntry.actor).where(AuditEntry.action == "audit.read")
            ))  # fmt: skip
        assert actors == {f"cli:{getpass.getuser()}"}
    finally:
        await database.dispose()


async def test_bad_moments_are_one_line_and_read_nothing(migrated: tuple[Cli, Database]) -> None:
    cli, database = migrated
    try:
        for args, message in [
            (("--since", "yesterday"), "eudesk: bad --since 'yesterday': use YYYY-MM-DD"),
            (("--until", "2026-13-01"), "eudesk: bad --until '2026-13-01'"),
            (("--since", "2026-11-20", "--until", "2026-11-10"), "eudesk: --since must be"),
        ]:
            code, out, err = cli("audit", *args)
            assert (code, out) == (1, "")
            assert err.startswith(message)
            assert err.count("\n") == 1
        assert await reads(database) == []
    finally:
        await database.dispose()


async def add_records(database: Database, today: date) -> None:
    """A passport and a visa past a five-year window, and a passport well inside it."""
    async with database.transaction() as session:
        session.add_all([
            PassportRecord(reference="CLI-PAS-OLD", kind=PassportKind.DIPLOMATIC,
                           holder_name=HOLDER, passport_number="D0000042",
                           status=DocumentStatus.EXPIRED, valid_until=today - timedelta(days=2200)),
            PassportRecord(reference="CLI-PAS-NEW", kind=PassportKind.OFFICIAL,
                           holder_name=HOLDER, passport_number="S0000043",
                           status=DocumentStatus.ISSUED, valid_until=today + timedelta(days=900)),
            VisaRecord(reference="CLI-VIS-OLD", holder_name=HOLDER, country="Mađarska",
                       visa_type="D", visa_number="HU7654321", status=DocumentStatus.ISSUED,
                       valid_until=today - timedelta(days=1900)),
        ])  # fmt: skip


async def contents(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    async with database.transaction() as session:
        return {
            name: [tuple(row) for row in await session.execute(
                select(table).order_by(*table.primary_key.columns)
            )]
            for name, table in Base.metadata.tables.items()
        }  # fmt: skip


async def test_retention_dry_run_changes_nothing_then_the_run_anonymises(
    migrated: tuple[Cli, Database],
) -> None:
    cli, database = migrated
    try:
        await add_records(database, datetime.now(BELGRADE).date())
        before = await contents(database)

        code, out, err = cli("retention", "run", "--dry-run")
        assert code == 0, err
        assert "CLI-PAS-OLD" in out
        assert "CLI-VIS-OLD" in out
        assert "CLI-PAS-NEW" not in out
        assert HOLDER not in out
        assert "would anonymise 1 passports and 1 visas" in out
        code, out, err = cli("retention", "run", "--dry-run", env={"EUDESK_RETENTION_YEARS": "7"})
        assert code == 0, err
        assert "would anonymise 0 passports and 0 visas" in out
        assert await contents(database) == before  # every table, the audit log included

        code, _out, err = cli("retention", "run", "--years", "0")
        assert code == 2
        assert "--years" in err
        code, _out, err = cli("retention", "run", env={"EUDESK_RETENTION_YEARS": "five"})
        assert code == 2
        assert "EUDESK_RETENTION_YEARS" in err

        code, out, err = cli("retention", "run")
        assert code == 0, err
        assert "anonymised 1 passports and 1 visas" in out
        async with database.transaction() as session:
            holders = dict((await session.execute(
                select(PassportRecord.reference, PassportRecord.holder_name)
            )).all())  # fmt: skip
            visa = await session.scalar(select(VisaRecord))
        assert holders == {"CLI-PAS-OLD": "anonymised", "CLI-PAS-NEW": HOLDER}
        assert visa is not None
        assert (visa.holder_name, visa.visa_number) == ("anonymised", None)
        [entry] = cli.csv("--action", "retention.")
        assert entry[2] == f"cli:{getpass.getuser()}"
        assert entry[4] == "cli"
        assert entry[9].startswith("passports=1 visas=1 cutoff=")

        code, out, err = cli("retention", "run")  # nothing left to do
        assert code == 0, err
        assert "anonymised 0 passports and 0 visas" in out
    finally:
        await database.dispose()


@pytest.mark.parametrize(
    ("typed", "end", "expected"),
    [
        ("7d", False, NOW - timedelta(days=7)),
        ("12H", False, NOW - timedelta(hours=12)),
        ("2w", False, NOW - timedelta(weeks=2)),
        ("2026-11-20", False, datetime(2026, 11, 20, tzinfo=BELGRADE)),
        ("2026-11-20", True, datetime(2026, 11, 21, tzinfo=BELGRADE)),
        ("2026-07-01 14:30", False, datetime(2026, 7, 1, 14, 30, tzinfo=BELGRADE)),
        ("2026-11-20T08:00:00+00:00", False, datetime(2026, 11, 20, 8, 0, tzinfo=UTC)),
    ],
)
def test_moments_are_ages_local_dates_or_times(typed: str, end: bool, expected: datetime) -> None:
    assert parse_moment(typed, now=NOW, zone=BELGRADE, end=end) == expected


@pytest.mark.parametrize("typed", ["", "yesterday", "7", "7y", "2026-11", "20.11.2026."])
def test_other_moments_are_refused(typed: str) -> None:
    with pytest.raises(ValueError, match=typed or "^$"):
        parse_moment(typed, now=NOW, zone=BELGRADE)


async def test_the_stream_reads_in_batches_newest_first(db: Database) -> None:
    async with db.transaction() as session:
        session.add_all(
            AuditEntry(
                at=NOW + timedelta(minutes=n),
                actor="cli:stream",
                platform="cli",
                action="stream.test",
                allowed=n % 2 == 0,
            )
            for n in range(7)
        )
    async with db.transaction() as session:
        lines = AuditRepository(session).stream(
            AuditFilter(action="stream.", allowed=True), batch=2
        )
        minutes = [int((line.at - NOW).total_seconds() // 60) async for line in lines]
    assert minutes == [6, 4, 2, 0]
