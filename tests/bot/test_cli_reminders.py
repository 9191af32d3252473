"""`eudesk subscriptions|reminders|outbox`: as an operator runs them, in subprocesses."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from eudesk.bot.cli import app
from eudesk.storage.db import Database
from eudesk.storage.models import (
    AuditEntry,
    Body,
    Contact,
    Deadline,
    DeadlineKind,
    Locale,
    OutboxEntry,
    OutboxState,
    Platform,
    Subscription,
    utcnow,
)
from tests.cli import run_cli

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d  telegram:777001  #\d+  ")
ANY_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d  \S+  #\d+  ")


class Cli:
    def __init__(self, url: str, cwd: Path) -> None:
        self.url, self.cwd = url, cwd

    def __call__(self, *args: str) -> tuple[int, str, str]:
        result = run_cli(*args, database_url=self.url, cwd=self.cwd)
        return result.returncode, result.stdout, result.stderr


async def _count(database: Database, model: type[object]) -> int:
    async with database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _actions(database: Database) -> list[str]:
    async with database.transaction() as session:
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


async def test_subscribe_a_contact_then_preview_writes_nothing(
    empty_database_url: str, tmp_path: Path
) -> None:
    cli = Cli(empty_database_url, tmp_path)
    assert cli("db", "upgrade")[0] == 0
    code, _out, err = cli("seed", "demo")
    assert code == 0, err
    database = Database.from_url(empty_database_url)
    try:
        async with database.transaction() as session:
            contact = await session.scalar(select(Contact).order_by(Contact.id).limit(1))
            assert contact is not None
            contact.telegram_chat_id, contact.locale = "777001", Locale.HU
            ref = contact.ref
            due = utcnow() + timedelta(days=5)
            call = Deadline(ref="CLI-PREVIEW-1", kind=DeadlineKind.CALL, title="CLI preview call",
                            due_at=due)  # fmt: skip
            session.add(call)

        code, out, err = cli("subscriptions", "add", "--contact", ref, "calls")
        assert code == 0, err
        assert "telegram:777001" in out
        assert "14 days, 3 days, 1 day" in out
        code, out, err = cli(
            "subscriptions", "add", "--contact", ref, "chapter_meetings", "07", "--lead",
            "3 radna dana,2h",
        )  # fmt: skip
        assert code == 0, err
        assert "chapter_meetings 7" in out
        code, out, _err = cli("subscriptions", "list", "--chat", "777001")
        assert ref in out
        assert "3 working days, 2 hours" in out
        assert "calls" in out
        assert await _actions(database) == ["subscription.add", "subscription.add"]

        async with database.transaction() as session:
            calls = await session.scalar(
                select(Subscription.id).where(
                    Subscription.topic == "calls", Subscription.chat_id == "777001"
                )
            )
        before = await _count(database, OutboxEntry)
        code, out, err = cli("reminders", "preview", "--days", "10")
        assert code == 0, err
        lines = [line for line in out.splitlines() if LINE.match(line)]
        ours = [line for line in lines if "CLI preview call" in line]
        assert ours, out
        assert all(f"#{calls}  " in line for line in ours), (calls, ours)
        # 14 days ahead has passed (sent at the next allowed moment), 3 days and 1 day are ahead.
        assert len(ours) == 3, out
        assert "Emlékeztető: határidő" in ours[0]  # the contact's language
        # The demo's own subscriptions are previewed too: the count covers every chat's lines.
        every = [line for line in out.splitlines() if ANY_LINE.match(line)]
        assert f"{len(every)} notifications in the next 10 days" in out
        assert "Traceback" not in err
        assert await _count(database, OutboxEntry) == before == 0
        # The same answer twice: the first preview left nothing behind to change the second.
        assert cli("reminders", "preview", "--days", "10")[1] == out
    finally:
        await database.dispose()


async def test_subscribe_a_user_to_their_own_telegram_chat(
    empty_database_url: str, tmp_path: Path
) -> None:
    cli = Cli(empty_database_url, tmp_path)
    assert cli("db", "upgrade")[0] == 0
    assert cli("seed", "reference")[0] == 0
    assert cli("users", "add", "jelena", "--role", "staff", "--telegram", "4242")[0] == 0
    code, out, err = cli("subscriptions", "add", "--user", "jelena", "digest", "weekly")
    assert code == 0, err
    assert "user jelena on telegram:4242, digest weekly" in out
    code, _out, err = cli("subscriptions", "add", "--user", "jelena", "guidelines", "--platform",
                          "slack")  # fmt: skip
    assert code == 1
    assert err.strip() == "eudesk: user jelena has no slack chat; give --chat CHAT_ID"
    code, out, err = cli("subscriptions", "add", "--user", "jelena", "body_deadlines",
                         "lsgu-80071", "--platform", "slack", "--chat", "C0123")  # fmt: skip
    assert code == 0, err
    assert "slack:C0123, body_deadlines LSGU-80071" in out


BAD = [
    (("--contact", "NO-SUCH", "calls"), "eudesk: no contact 'NO-SUCH'"),
    (("--contact", "C-1", "chapter_meetings", "40"), "chapter must be a number from 1 to 35"),
    (("--contact", "C-1", "cluster_meetings", "7"), "cluster must be a number from 1 to 6"),
    (("--contact", "C-1", "party"), "eudesk: unknown topic 'party'"),
    (("--contact", "C-1", "project_deadlines", "NOPE-1"), "eudesk: no project 'NOPE-1'"),
    (("--contact", "C-1", "body_deadlines", "LSGU-0"), "eudesk: no body 'LSGU-0'"),
    (("--contact", "C-1", "body_deadlines"), "body_deadlines needs a key"),
    (("--contact", "C-1", "calls", "--lead", "3x"), "“3x” is not a reminder lead. Say how"),
    (("--contact", "C-1", "calls", "--lead", "100d"), "“100d” is not a reminder lead"),
    (("--contact", "C-1", "calls", "--lead", "5"), "3wd or “3 working days”, 2h or"),
    (("--contact", "C-1", "calls", "--platform", "slack"), "contact C-1 has no slack chat"),
    (("--contact", "C-1", "--user", "u", "calls"), "exactly one of --contact REF or --user"),
]


async def test_bad_subscriptions_say_one_line_and_write_nothing(
    empty_database_url: str, tmp_path: Path
) -> None:
    cli = Cli(empty_database_url, tmp_path)
    assert cli("db", "upgrade")[0] == 0
    assert cli("seed", "reference")[0] == 0
    database = Database.from_url(empty_database_url)
    try:
        async with database.transaction() as session:
            body_id = await session.scalar(select(Body.id).limit(1))
            assert body_id is not None
            session.add(Contact(ref="C-1", body_id=body_id, name="Ana", telegram_chat_id="900"))
        for args, message in BAD:
            code, _out, err = cli("subscriptions", "add", *args)
            assert code == 1, args
            assert message in err, args
            assert len(err.strip().splitlines()) == 1, err
        assert await _count(database, Subscription) == 0
        assert await _actions(database) == []
        # The same contact with good input: the check above was not vacuous.
        assert cli("subscriptions", "add", "--contact", "C-1", "cluster_meetings", "6")[0] == 0
        assert await _count(database, Subscription) == 1
    finally:
        await database.dispose()


async def test_outbox_status_and_retry_of_a_dead_row(
    empty_database_url: str, tmp_path: Path
) -> None:
    cli = Cli(empty_database_url, tmp_path)
    assert cli("db", "upgrade")[0] == 0
    code, out, err = cli("outbox", "status")
    assert code == 0, err
    assert "0 pending, 0 leased, 0 sent, 0 dead, 0 cancelled" in out
    assert "oldest pending: - (Europe/Belgrade)" in out
    assert "no dead rows" in out

    database = Database.from_url(empty_database_url)
    try:
        async with database.transaction() as session:
            dead = OutboxEntry(
                dedupe_key="test:dead", platform=Platform.TELEGRAM, chat_id="555", kind="reminder",
                payload="{}", due_at=utcnow() - timedelta(hours=1), state=OutboxState.DEAD,
                attempts=8, last_error="TransportError: 502 Bad Gateway",
            )  # fmt: skip
            session.add(dead)
            await session.flush()
            dead_id = dead.id
        code, out, err = cli("outbox", "status")
        assert code == 0, err
        assert "1 dead" in out
        assert "telegram:555" in out
        assert "502 Bad Gateway" in out

        code, _out, err = cli("outbox", "retry", str(dead_id + 100))
        assert code == 1
        assert err.strip() == f"eudesk: no outbox row {dead_id + 100}"
        code, out, err = cli("outbox", "retry", str(dead_id))
        assert code == 0, err
        assert "1 dead rows back to pending" in out
        async with database.transaction() as session:
            row = await session.get(OutboxEntry, dead_id)
            assert row is not None
            assert (row.state, row.attempts) == (OutboxState.PENDING, 0)
        code, _out, err = cli("outbox", "retry", str(dead_id))
        assert code == 1
        assert err.strip() == f"eudesk: outbox row {dead_id} is pending, not dead"
        code, out, _err = cli("outbox", "retry", "--all-dead")
        assert "0 dead rows back to pending" in out
        code, _out, err = cli("outbox", "retry")
        assert code == 1
        assert "give outbox row ids or --all-dead" in err
        assert await _actions(database) == ["outbox.retry", "outbox.retry"]
    finally:
        await database.dispose()


@pytest.mark.parametrize(
    "command",
    [
        ("outbox",), ("outbox", "status"), ("outbox", "retry"), ("subscriptions",),
        ("subscriptions", "add"), ("subscriptions", "list"), ("reminders",),
        ("reminders", "preview"),
    ],
)  # fmt: skip
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


async def test_preview_from_a_chosen_moment_across_the_march_2027_change(
    empty_database_url: str, tmp_path: Path
) -> None:
    """Issue 20's case: from Monday 2027-03-15 09:00, a deadline at 12:45 on 2027-03-29 (the day
    after summer time begins) with leads 14d and 3 working days: both fire at 12:45 local."""
    cli = Cli(empty_database_url, tmp_path)
    assert cli("db", "upgrade")[0] == 0
    assert cli("seed", "reference")[0] == 0
    database = Database.from_url(empty_database_url)
    try:
        async with database.transaction() as session:
            body_id = await session.scalar(select(Body.id).limit(1))
            assert body_id is not None
            session.add(Contact(ref="C-1", body_id=body_id, name="Ana", telegram_chat_id="900",
                                locale=Locale.EN))  # fmt: skip
            session.add(Deadline(ref="DST-1", kind=DeadlineKind.CALL, title="Spring call",
                                 due_at=datetime(2027, 3, 29, 10, 45, tzinfo=UTC)))  # fmt: skip
        code, out, err = cli("subscriptions", "add", "--contact", "C-1", "calls", "--lead",
                             "14d, 3 working days")  # fmt: skip
        assert code == 0, err
        assert "leads 14 days, 3 working days" in out
        code, out, err = cli("reminders", "preview", "--from", "2027-03-15T09:00", "--days", "30")
        assert code == 0, err
        ours = [line for line in out.splitlines() if "Spring call" in line]
        assert [line[:16] for line in ours] == ["2027-03-15 12:45", "2027-03-24 12:45"], out
        assert "2 notifications in the next 30 days from 2027-03-15 09:00" in out
        code, out, err = cli("reminders", "preview", "--from", "2027-03-15T09:00", "--days", "30",
                             "--format", "json")  # fmt: skip
        assert code == 0, err
        assert [row["due"] for row in json.loads(out)] == ["2027-03-15 12:45", "2027-03-24 12:45"]
        code, _out, err = cli("reminders", "preview", "--from", "15.3.2027")
        assert code == 1
        assert "--from wants a local date and time like 2027-03-15T09:00" in err
        assert await _count(database, OutboxEntry) == 0
        code, out, err = cli("subscriptions", "list", "--format", "csv")
        assert code == 0, err
        assert out.splitlines()[0] == "id,chat,topic,key,leads,lang,recipient,active"
        assert "14 days, 3 working days" in out
    finally:
        await database.dispose()
