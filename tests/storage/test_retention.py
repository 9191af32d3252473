"""Retention anonymises passport and visa records past their window, and the audit log stays put."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import selectinload

from eudesk.handlers.dispatch import Dispatcher
from eudesk.storage.db import Database
from eudesk.storage.models import (
    AuditEntry,
    Base,
    DocumentStatus,
    PassportKind,
    PassportRecord,
    PassportStatusEvent,
    User,
    VisaRecord,
    VisaStatusEvent,
)
from eudesk.storage.retention import (
    DueRecord,
    RetentionReport,
    anonymise_expired,
    cutoff_date,
    due_records,
)
from tests.databases import throwaway_database
from tests.handlers.conftest import FakeChat

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 27.11.2026 in Belgrade
CUTOFF = date(2021, 11, 27)  # five years back: valid until the day before is past the window
HOLDER = "Jovana Petrović"
NOTE = "preuzela lično u Beogradu"
TABLES = ("passport_records", "passport_status_events", "visa_records", "visa_status_events",
          "audit_log")  # fmt: skip


async def add_passport(
    db: Database, ref: str, valid_until: date | None, *, anonymised_at: datetime | None = None
) -> None:
    async with db.transaction() as session:
        record = PassportRecord(
            reference=ref, kind=PassportKind.OFFICIAL, holder_name=HOLDER,
            holder_position="savetnica", passport_number="S0001234",
            status=DocumentStatus.DELIVERED, valid_until=valid_until, notes="putuje u Brisel",
            anonymised_at=anonymised_at,
        )  # fmt: skip
        record.history = [
            PassportStatusEvent(status=DocumentStatus.ISSUED, at=NOW - timedelta(days=4000)),
            PassportStatusEvent(status=DocumentStatus.DELIVERED, at=NOW - timedelta(days=3990),
                                note=NOTE),
        ]  # fmt: skip
        session.add(record)


async def add_visa(db: Database, ref: str, valid_until: date | None) -> None:
    async with db.transaction() as session:
        record = VisaRecord(
            reference=ref, holder_name=HOLDER, country="Belgija", visa_type="C",
            visa_number="BE1234567", status=DocumentStatus.ISSUED, valid_until=valid_until,
        )  # fmt: skip
        record.history = [VisaStatusEvent(status=DocumentStatus.ISSUED, at=NOW, note=NOTE)]
        session.add(record)


async def passport(db: Database, ref: str) -> PassportRecord:
    async with db.transaction() as session:
        record = await session.scalar(
            select(PassportRecord)
            .where(PassportRecord.reference == ref)
            .options(selectinload(PassportRecord.history))
        )
    assert record is not None
    return record


async def visa(db: Database, ref: str) -> VisaRecord:
    async with db.transaction() as session:
        record = await session.scalar(
            select(VisaRecord)
            .where(VisaRecord.reference == ref)
            .options(selectinload(VisaRecord.history))
        )
    assert record is not None
    return record


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table retention could touch."""
    async with db.transaction() as session:
        return {
            name: [tuple(row) for row in await session.execute(
                select(Base.metadata.tables[name]).order_by(text("id"))
            )]
            for name in TABLES
        }  # fmt: skip


async def retention_audits(db: Database) -> list[AuditEntry]:
    async with db.transaction() as session:
        query = select(AuditEntry).where(AuditEntry.action == "retention.anonymise")
        return list(await session.scalars(query.order_by(AuditEntry.id)))


@pytest.mark.parametrize(
    ("now", "years", "expected"),
    [
        (NOW, 5, CUTOFF),
        (datetime(2026, 11, 26, 23, 30, tzinfo=UTC), 5, CUTOFF),  # already the 27th in Belgrade
        (datetime(2028, 2, 29, 12, 0, tzinfo=UTC), 1, date(2027, 2, 28)),
        (NOW, 0, date(2026, 11, 27)),
    ],
)
def test_the_cutoff_is_the_local_date_years_back(now: datetime, years: int, expected: date) -> None:
    assert cutoff_date(now, years) == expected


def test_negative_years_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        cutoff_date(NOW, -1)


async def test_a_record_past_its_window_is_anonymised_one_inside_it_is_not(db: Database) -> None:
    await add_passport(db, "RET-PAS-OLD", CUTOFF - timedelta(days=1))
    await add_passport(db, "RET-PAS-EDGE", CUTOFF)  # exactly five years: not yet
    await add_passport(db, "RET-PAS-NEW", date(2030, 1, 1))
    await add_passport(db, "RET-PAS-OPEN", None)  # no end of validity: never
    await add_visa(db, "RET-VIS-OLD", date(2019, 5, 1))
    await add_visa(db, "RET-VIS-EDGE", CUTOFF)

    report = await anonymise_expired(db, years=5, now=NOW)

    assert report == RetentionReport(cutoff=CUTOFF, years=5, passports=1, visas=1)
    old = await passport(db, "RET-PAS-OLD")
    personal = (old.holder_name, old.holder_position, old.passport_number, old.notes)
    assert personal == ("anonymised", None, None, None)
    assert old.anonymised_at == NOW
    assert (old.kind, old.status, old.valid_until) == (
        PassportKind.OFFICIAL, DocumentStatus.DELIVERED, CUTOFF - timedelta(days=1)
    )  # fmt: skip
    assert [(e.status, e.note) for e in old.history] == [
        (DocumentStatus.ISSUED, None), (DocumentStatus.DELIVERED, None)
    ]  # fmt: skip
    for ref in ("RET-PAS-EDGE", "RET-PAS-NEW", "RET-PAS-OPEN"):
        kept = await passport(db, ref)
        assert (kept.holder_name, kept.passport_number, kept.anonymised_at) == (
            HOLDER, "S0001234", None
        )  # fmt: skip
        assert kept.history[-1].note == NOTE
    old_visa = await visa(db, "RET-VIS-OLD")
    assert (old_visa.holder_name, old_visa.visa_number, old_visa.anonymised_at) == (
        "anonymised", None, NOW
    )  # fmt: skip
    assert (old_visa.country, old_visa.history[0].note) == ("Belgija", None)
    kept_visa = await visa(db, "RET-VIS-EDGE")
    assert (kept_visa.holder_name, kept_visa.history[0].note) == (HOLDER, NOTE)

    [entry] = await retention_audits(db)
    assert (entry.actor, entry.platform, entry.allowed, entry.at) == (
        "system:retention", "scheduler", True, NOW
    )  # fmt: skip
    assert entry.detail == "passports=1 visas=1 cutoff=2021-11-27 years=5"
    assert entry.target_ref == "2021-11-27"


async def test_a_second_run_changes_no_record(db: Database) -> None:
    earlier = NOW - timedelta(days=400)
    await add_passport(db, "RET-PAS-DONE", date(2015, 1, 1), anonymised_at=earlier)
    await add_passport(db, "RET-PAS-OLD", date(2016, 1, 1))
    await anonymise_expired(db, years=5, now=NOW)
    before = await snapshot(db)

    again = await anonymise_expired(db, years=5, now=NOW + timedelta(days=1))

    assert (again.passports, again.visas) == (0, 0)
    after = await snapshot(db)
    assert {name: rows for name, rows in after.items() if name != "audit_log"} == {
        name: rows for name, rows in before.items() if name != "audit_log"
    }
    # Only the second run's own audit record was added; an earlier anonymisation keeps its date.
    assert len(after["audit_log"]) == len(before["audit_log"]) + 1
    assert (await passport(db, "RET-PAS-DONE")).anonymised_at == earlier
    assert [e.detail for e in await retention_audits(db)] == [
        "passports=1 visas=0 cutoff=2021-11-27 years=5",
        "passports=0 visas=0 cutoff=2021-11-28 years=5",
    ]


async def test_many_records_go_in_chunks_with_one_audit_record(db: Database) -> None:
    for n in range(7):
        await add_passport(db, f"RET-PAS-{n}", date(2010, 1, 1) + timedelta(days=n))
    await add_passport(db, "RET-PAS-KEEP", date(2029, 1, 1))

    report = await anonymise_expired(db, years=5, now=NOW, chunk=3)

    assert report.passports == 7
    async with db.transaction() as session:
        names = await session.scalars(
            select(PassportRecord.holder_name).order_by(PassportRecord.reference)
        )
        assert list(names) == ["anonymised"] * 7 + [HOLDER]
    assert len(await retention_audits(db)) == 1


async def test_the_dry_run_lists_what_would_go_and_changes_nothing(db: Database) -> None:
    await add_passport(db, "RET-PAS-OLD", date(2020, 3, 1))
    await add_passport(db, "RET-PAS-NEW", date(2030, 1, 1))
    await add_passport(db, "RET-PAS-DONE", date(2015, 1, 1), anonymised_at=NOW)
    await add_visa(db, "RET-VIS-OLD", date(2018, 6, 30))
    before = await snapshot(db)

    due = await due_records(db, years=5, now=NOW)

    assert due == [
        DueRecord("passport", "RET-PAS-OLD", date(2020, 3, 1)),
        DueRecord("visa", "RET-VIS-OLD", date(2018, 6, 30)),
    ]
    assert await snapshot(db) == before
    # A longer window keeps more: seven years back, only the visa is due.
    assert [d.reference for d in await due_records(db, years=7, now=NOW)] == ["RET-VIS-OLD"]


async def test_an_anonymised_record_still_answers_a_lookup(
    demo_db: Database, dispatcher: Dispatcher
) -> None:
    await add_passport(demo_db, "RET-PAS-LOOKUP", CUTOFF - timedelta(days=30))
    await add_visa(demo_db, "RET-VIS-LOOKUP", CUTOFF - timedelta(days=30))
    report = await anonymise_expired(demo_db, years=5, now=NOW)
    assert (report.passports, report.visas) == (1, 1)  # the demo data has nothing that old
    officer = FakeChat(dispatcher, "demo-officer")
    for command in ("/passport RET-PAS-LOOKUP", "/visa RET-VIS-LOOKUP"):
        answer = await officer.send(command)
        assert "anonimizovani 27.11.2026." in answer.text
        assert HOLDER not in answer.text
        assert NOTE not in answer.text
    refused = await officer.send("/passport_set RET-PAS-LOOKUP vracen")
    assert "anonimizovan" in refused.text


# --- the audit log is append-only (migration 0005) ------------------------------------------


async def add_audit(db: Database, **values: Any) -> int:
    async with db.transaction() as session:
        entry = AuditEntry(actor="cli:test", platform="cli", action="user.grant",
                           allowed=True, target_type="user", target_ref="ana", detail="admin",
                           **values)  # fmt: skip
        session.add(entry)
        await session.flush()
        return entry.id


@pytest.mark.parametrize(
    "change",
    [
        {"action": "user.revoke"},
        {"allowed": False},
        {"at": NOW},
        {"actor": "cli:someone-else"},
        {"target_ref": "marko"},
    ],
)
async def test_an_audit_row_cannot_be_rewritten(db: Database, change: dict[str, Any]) -> None:
    entry_id = await add_audit(db)
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.transaction() as session:
            await session.execute(
                update(AuditEntry).where(AuditEntry.id == entry_id).values(change)
            )


async def test_an_audit_row_cannot_be_deleted(db: Database) -> None:
    entry_id = await add_audit(db)
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.transaction() as session:
            await session.execute(delete(AuditEntry).where(AuditEntry.id == entry_id))
    async with db.transaction() as session:
        assert await session.get(AuditEntry, entry_id) is not None


async def test_a_lookup_completes_its_detail_in_its_own_transaction(db: Database) -> None:
    async with db.transaction() as session:
        entry = AuditEntry(actor="cli:test", platform="cli", action="passport.lookup",
                           allowed=True)  # fmt: skip
        session.add(entry)
        await session.flush()
        entry.detail = "found"  # what handlers/passports.py does after reading the record
    async with db.transaction() as session:
        assert await session.scalar(select(AuditEntry.detail).where(AuditEntry.id == entry.id)) == (
            "found"
        )


async def test_deleting_a_user_keeps_their_audit_rows(db: Database) -> None:
    async with db.transaction() as session:
        user = User(name="retention-test-user")
        session.add(user)
        await session.flush()
        user_id = user.id
    entry_id = await add_audit(db, actor_user_id=user_id)
    async with db.transaction() as session:
        await session.execute(delete(User).where(User.id == user_id))
    async with db.transaction() as session:
        entry = await session.get(AuditEntry, entry_id)
        assert entry is not None
        assert (entry.actor_user_id, entry.actor, entry.action) == (None, "cli:test", "user.grant")


async def test_committed_audit_rows_are_final_on_postgresql(backend: str, tmp_path: Path) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no transaction id to tell: there `detail` stays completable")
    async with throwaway_database(backend, tmp_path) as database:
        entry_id = await add_audit(database)
        with pytest.raises(DBAPIError, match="append-only"):
            async with database.transaction() as session:
                await session.execute(
                    update(AuditEntry).where(AuditEntry.id == entry_id).values(detail="other")
                )
        with pytest.raises(DBAPIError, match="append-only"):
            async with database.transaction() as session:
                await session.execute(text("TRUNCATE audit_log"))
        async with database.transaction() as session:
            count = await session.scalar(select(func.count()).select_from(AuditEntry))
            assert (count, await session.get(AuditEntry, entry_id) is not None) == (1, True)
