"""`eudesk ... | head`: a reader that leaves early ends any command quietly, with status 0."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from eudesk.storage.db import Database
from eudesk.storage.migrate import upgrade
from eudesk.storage.models import AuditEntry, Role
from eudesk.storage.repositories import Repositories

AUDIT_ROWS = 6000  # several pipe buffers of output in every format
USERS = 1500


@pytest.fixture
async def long_listings(empty_database_url: str) -> AsyncIterator[str]:
    """A migrated database with a long audit log and many users."""
    database = Database.from_url(empty_database_url)
    try:
        await upgrade(database)
        start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        async with database.transaction() as session:
            await session.execute(
                insert(AuditEntry),
                [
                    dict(at=start + timedelta(minutes=i), actor="telegram:42", platform="telegram",
                         action="passport.lookup", allowed=True, target_type="passport",
                         target_ref=f"DEMO-PAS-{i:05}", detail="found after a long search")
                    for i in range(AUDIT_ROWS)
                ],
            )  # fmt: skip
            users = Repositories(session).users
            for i in range(USERS):
                await users.add(f"user.{i:04}", [Role.STAFF])
        yield empty_database_url
    finally:
        await database.dispose()


def read_one_line_then_close(args: list[str], database_url: str, cwd: Path) -> tuple[int, str]:
    """Start `eudesk ARGS` with stdout into a pipe, read one line, close the pipe, and return
    the exit status and stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EUDESK_")}
    env["EUDESK_DATABASE_URL"] = database_url
    with subprocess.Popen(
        [sys.executable, "-m", "eudesk", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        first = process.stdout.readline()
        assert first, "the command printed nothing"
        process.stdout.close()
        stderr = process.stderr.read().decode()
        status = process.wait(timeout=300)
    return status, stderr


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "--format", "csv"],
        ["audit", "--format", "json"],
        ["audit", "--limit", str(AUDIT_ROWS)],
        ["users", "list"],
        ["users", "list", "--format", "csv"],
    ],
    ids=" ".join,
)
def test_a_reader_that_leaves_early_ends_the_command_quietly(
    long_listings: str, tmp_path: Path, args: list[str]
) -> None:
    status, stderr = read_one_line_then_close(args, long_listings, tmp_path)
    assert "Traceback" not in stderr
    assert stderr == ""
    assert status == 0
