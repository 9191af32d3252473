"""`eudesk broadcast` and `eudesk ack-status`, as an operator runs them, in subprocesses."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from eudesk.storage.db import Database
from eudesk.storage.models import (
    AuditEntry,
    Body,
    Contact,
    Guideline,
    GuidelineAudience,
    GuidelineDelivery,
    OutboxEntry,
)
from tests.cli import run_cli
from tests.conftest import NOW


async def _count(database: Database, model: type[object]) -> int:
    async with database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _prepare(database: Database) -> None:
    """A guideline for the LSGUs; two contacts each in Subotica and Senta, three with a chat."""
    async with database.transaction() as session:
        session.add(
            Guideline(
                ref="CLI-GL-1",
                title="Smernica za CLI",
                summary="Sažetak.",
                audience=GuidelineAudience.ALL_LSGU,
                published_at=NOW,
            )
        )
        bodies = list(
            await session.scalars(
                select(Body).where(Body.name_sr_latn.in_(["Subotica", "Senta"])).order_by(Body.id)
            )
        )
        chats = iter(["880001", "880002", "880003"])
        for body in bodies:
            for n in (1, 2):
                session.add(Contact(ref=f"C-{body.code}-{n}", body_id=body.id, name=f"K {n}",
                                    telegram_chat_id=next(chats, None)))  # fmt: skip


async def test_broadcast_dry_run_then_once_then_status(
    empty_database_url: str, tmp_path: Path
) -> None:
    def cli(*args: str) -> tuple[int, str, str]:
        result = run_cli(*args, database_url=empty_database_url, cwd=tmp_path)
        return result.returncode, result.stdout, result.stderr

    assert cli("db", "upgrade")[0] == 0
    assert cli("seed", "reference")[0] == 0
    database = Database.from_url(empty_database_url)
    try:
        await _prepare(database)

        code, out, err = cli("broadcast", "CLI-GL-1", "--dry-run")
        assert code == 0, err
        assert "4 contacts in 45 bodies (all-lsgu); 1 without a chat" in out
        assert "dry run: nothing queued" in out
        assert await _count(database, OutboxEntry) == 0
        assert await _count(database, GuidelineDelivery) == 0

        code, out, err = cli("broadcast", "CLI-GL-1", "--to", "Atlantida")
        assert code == 1
        assert err.strip().splitlines() == [
            "eudesk: unknown target 'Atlantida': use all-lsgu, provincial, all, or a body's "
            "code or exact name"
        ]
        code, _out, err = cli("broadcast", "NO-SUCH", "--to", "all")
        assert code == 1
        assert "no guideline 'NO-SUCH'" in err
        assert await _count(database, GuidelineDelivery) == 0

        code, out, err = cli("broadcast", "CLI-GL-1", "--to", "Subotica,Сента")
        assert code == 0, err
        assert "4 contacts in 2 bodies" in out
        assert "queued 3 notifications (0 to guideline subscribers); 0 contacts had it" in out
        code, out, err = cli("broadcast", "CLI-GL-1", "--to", "Subotica", "--to", "Senta")
        assert code == 0, err
        assert "queued 0 notifications (0 to guideline subscribers); 3 contacts had it" in out
        assert await _count(database, OutboxEntry) == 3
        assert await _count(database, GuidelineDelivery) == 4
        async with database.transaction() as session:
            actions = list(await session.scalars(select(AuditEntry.action)))
        assert actions == ["guideline.broadcast", "guideline.broadcast"]

        code, out, err = cli("ack-status", "CLI-GL-1")
        assert code == 0, err
        assert "0 of 4 acknowledged" in out
        assert "no chat" in out

        async with database.transaction() as session:
            senta = await session.scalar(select(Body.code).where(Body.name_sr_latn == "Senta"))
        assert senta is not None
        code, out, err = cli("broadcast", "CLI-GL-1", "--to", f"Subotica,{senta}", "--dry-run")
        assert code == 0, err
        assert "4 contacts in 2 bodies" in out
        assert "by chat now 0, had it before 3" in out

        code, out, err = cli("ack-status", "CLI-GL-1", "--format", "json")
        assert code == 0, err
        records = json.loads(out)
        assert [r["body"] for r in records] == ["Senta", "Senta", "Subotica", "Subotica"]
        assert records[0]["code"] == senta
        code, out, err = cli("ack-status", "CLI-GL-1", "--format", "json", "--locale", "hu")
        assert code == 0, err
        assert [r["body"] for r in json.loads(out)] == ["Szabadka"] * 2 + ["Zenta"] * 2
        code, out, err = cli("ack-status", "CLI-GL-1", "--format", "csv")
        assert code == 0, err
        header, *rows = out.strip().splitlines()
        assert header == "code,body,contact_ref,contact,sent,reminded,acknowledged"
        assert len(rows) == 4
    finally:
        await database.dispose()


def test_help(tmp_path: Path) -> None:
    for command in ("broadcast", "ack-status"):
        result = run_cli(command, "--help", database_url="sqlite://", cwd=tmp_path)
        assert result.returncode == 0
        assert "GUIDELINE" in result.stdout
    assert "--to" in run_cli("broadcast", "--help", database_url="sqlite://", cwd=tmp_path).stdout
