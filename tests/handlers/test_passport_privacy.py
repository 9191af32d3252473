"""Passport and visa privacy: no probing, masked numbers, every lookup audited, a rate limit."""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from eudesk.handlers import command_table
from eudesk.handlers.context import HandlerConfig
from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.messages import Reply
from eudesk.storage.db import Database
from eudesk.storage.models import (
    AuditEntry,
    DocumentStatus,
    PassportRecord,
    PassportStatusEvent,
    VisaRecord,
)
from eudesk.storage.repositories import Repositories
from eudesk.storage.text import lat_to_cyr
from tests.databases import throwaway_database
from tests.handlers.conftest import NOW, TODAY, FakeChat

GENERIC = "Nijedan zapis sa tom oznakom vam nije dostupan."
MISSING = "DEMO-PAS-99999"


async def issued_passport(db: Database) -> PassportRecord:
    """A demo passport with a number, a holder and a body: the most there is to leak."""
    async with db.transaction() as session:
        record = await session.scalar(
            select(PassportRecord)
            .where(PassportRecord.passport_number.is_not(None), PassportRecord.body_id.is_not(None))
            .order_by(PassportRecord.reference)
            .limit(1)
        )
    assert record is not None
    assert record.passport_number is not None
    return record


async def audit_rows(db: Database, actor: str) -> Sequence[AuditEntry]:
    async with db.transaction() as session:
        query = select(AuditEntry).where(AuditEntry.actor == actor).order_by(AuditEntry.id)
        return (await session.scalars(query)).all()


def every_text(reply: Reply) -> list[str]:
    """Everything a transport could render from a reply, piece by piece."""
    texts = [reply.plain(), reply.title or "", reply.footer or "", *reply.lines, *reply.items]
    texts += [part for field in reply.fields for part in field]
    texts += [part for b in reply.buttons for part in (b.label, b.callback)]
    texts += [a.filename for a in reply.attachments]
    texts += [a.content.decode("utf-8", "replace") for a in reply.attachments]
    return texts


async def test_staff_without_the_role_learns_nothing(
    staff_chat: FakeChat, demo_db: Database
) -> None:
    record = await issued_passport(demo_db)
    existing = await staff_chat.send(f"/passport {record.reference}")
    missing = await staff_chat.send(f"/passport {MISSING}")
    assert existing.text == missing.text == GENERIC
    assert existing.reply == missing.reply
    assert existing.text.encode() == missing.text.encode()
    for answer in (existing, missing):
        assert record.holder_name not in answer.text
        assert record.passport_number not in answer.text  # type: ignore[operator]
    rows = await audit_rows(demo_db, "console:demo-staff")
    assert [(r.action, r.allowed, r.detail, r.target_type) for r in rows] == [
        ("passport.lookup", False, "no_role", "passport"),
        ("passport.lookup", False, "no_role", "passport"),
    ]
    assert [r.target_ref for r in rows] == [record.reference, MISSING]


async def test_visa_refusal_is_the_same_answer(staff_chat: FakeChat, demo_db: Database) -> None:
    async with demo_db.transaction() as session:
        visa = await session.scalar(select(VisaRecord).order_by(VisaRecord.reference).limit(1))
    assert visa is not None
    existing = await staff_chat.send(f"/visa {visa.reference}")
    missing = await staff_chat.send("/visa DEMO-VIS-99999")
    assert existing.text == missing.text == GENERIC
    assert visa.holder_name not in existing.text
    rows = await audit_rows(demo_db, "console:demo-staff")
    assert [(r.action, r.allowed, r.detail) for r in rows] == [
        ("visa.lookup", False, "no_role")
    ] * 2


async def test_officer_sees_the_record_with_the_number_masked(
    officer_chat: FakeChat, demo_db: Database
) -> None:
    record = await issued_passport(demo_db)
    number = record.passport_number
    assert number is not None
    answer = await officer_chat.send(f"/passport {record.reference.lower()}")
    assert record.reference in answer.text
    assert record.holder_name in answer.text
    assert f"•••••{number[-3:]}" in answer.text
    for text in every_text(answer.reply):
        assert number not in text
        assert number[:-3] not in text  # not even the hidden part on its own
    rows = await audit_rows(demo_db, "console:demo-officer")
    # Audited before the record is read, so the row holds the request, not its outcome.
    assert [(r.action, r.allowed, r.detail) for r in rows] == [("passport.lookup", True, "found")]
    assert rows[0].target_ref == record.reference  # as stored, not as typed


async def test_officer_asking_for_a_missing_reference_gets_the_same_answer(
    officer_chat: FakeChat, staff_chat: FakeChat, demo_db: Database
) -> None:
    record = await issued_passport(demo_db)
    refused = await staff_chat.send(f"/passport {record.reference}")
    missing = await officer_chat.send(f"/passport {MISSING}")
    assert missing.reply == refused.reply
    rows = await audit_rows(demo_db, "console:demo-officer")
    assert [(r.allowed, r.detail, r.target_ref) for r in rows] == [(True, "not_found", MISSING)]


async def test_contact_is_refused_and_audited(contact_chat: FakeChat, demo_db: Database) -> None:
    record = await issued_passport(demo_db)
    answer = await contact_chat.send(f"pasoš {record.reference}")
    assert answer.text == GENERIC
    rows = await audit_rows(demo_db, "console:demo-contact")
    assert [(r.action, r.allowed, r.detail) for r in rows] == [
        ("passport.lookup", False, "no_role")
    ]


async def test_stranger_is_refused_before_the_handler(
    stranger_chat: FakeChat, demo_db: Database
) -> None:
    record = await issued_passport(demo_db)
    existing = await stranger_chat.send(f"/passport {record.reference}")
    missing = await stranger_chat.send(f"/passport {MISSING}")
    assert existing.text == missing.text
    assert "/start KOD" in existing.text
    assert record.holder_name not in existing.text
    # The dispatcher refuses an unknown sender before the handler runs, so nothing is audited.
    assert await audit_rows(demo_db, "telegram:987654321") == []


async def test_sql_and_over_long_references_get_the_generic_answer(
    officer_chat: FakeChat, staff_chat: FakeChat, demo_db: Database
) -> None:
    async with demo_db.transaction() as session:
        before = await session.scalar(select(func.count()).select_from(PassportStatusEvent))
    nasty = [
        "' OR '1'='1",
        "DEMO-PAS-00001'; DROP TABLE passport_records;--",
        "DEMO-PAS-%",
        "<b>DEMO-PAS-00001</b>",
        "A" * 500,
        "ДЕМО-ПАС-" + "9" * 90,
    ]
    for chat in (officer_chat, staff_chat):
        for ref in nasty:
            assert (await chat.send(f"/passport {ref}")).text == GENERIC
    rows = await audit_rows(demo_db, "console:demo-officer")
    # None of them can be a reference, so none was queried.
    assert [r.detail for r in rows] == ["bad_ref"] * len(nasty)
    assert all(r.target_ref is not None and len(r.target_ref) <= 80 for r in rows)
    assert rows[4].target_ref == "A" * 80
    async with demo_db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(PassportRecord))
        after = await session.scalar(select(func.count()).select_from(PassportStatusEvent))
    assert after == before


async def test_the_rate_limit_trips_and_is_audited(demo_db: Database) -> None:
    # Audit rows are stamped with the dispatcher's clock, frozen here at the wall clock's now.
    moment = datetime.now(UTC)
    limited = Dispatcher(demo_db, command_table(), HandlerConfig(passport_lookups_per_minute=3),
                         clock=lambda: moment)  # fmt: skip
    officer = FakeChat(limited, "demo-officer")
    record = await issued_passport(demo_db)
    for _ in range(3):
        assert record.holder_name in (await officer.send(f"/passport {record.reference}")).text
    tripped = await officer.send(f"/visa {record.reference}")
    assert "Previše upita" in tripped.text
    assert record.holder_name not in tripped.text
    rows = await audit_rows(demo_db, "console:demo-officer")
    assert [(r.allowed, r.detail) for r in rows] == [(True, "found")] * 3 + [
        (False, "rate_limited")
    ]
    # The budget is per user: another officer is not held back.
    admin = FakeChat(limited, "demo-admin")
    assert record.holder_name in (await admin.send(f"/passport {record.reference}")).text


async def test_refused_lookups_count_towards_the_limit_too(demo_db: Database) -> None:
    moment = datetime.now(UTC)
    limited = Dispatcher(demo_db, command_table(), HandlerConfig(passport_lookups_per_minute=2),
                         clock=lambda: moment)  # fmt: skip
    prober = FakeChat(limited, "demo-staff")
    answers = [(await prober.send(f"/passport DEMO-PAS-{n:05d}")).text for n in range(1, 4)]
    assert answers[:2] == [GENERIC, GENERIC]
    assert "Previše upita" in answers[2]
    rows = await audit_rows(demo_db, "console:demo-staff")
    assert [r.detail for r in rows] == ["no_role", "no_role", "rate_limited"]


async def test_the_window_is_one_rolling_minute(demo_db: Database) -> None:
    now = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    async with demo_db.transaction() as session:
        repos = Repositories(session)
        officer = await repos.users.get("demo-officer")
        for seconds, action in ((61, "passport.lookup"), (59, "passport.lookup"),
                                (1, "visa.lookup"), (1, "project.lookup")):  # fmt: skip
            session.add(AuditEntry(at=now - timedelta(seconds=seconds), actor_user_id=officer.id,
                                   actor="console:demo-officer", platform="console",
                                   action=action, allowed=True))  # fmt: skip
        await session.flush()
        count = await repos.documents.lookups_since(
            ("passport.lookup", "visa.lookup"), now - timedelta(minutes=1),
            actor_user_id=officer.id, actor="console:demo-officer",
        )  # fmt: skip
        strangers = await repos.documents.lookups_since(
            ("passport.lookup", "visa.lookup"), now - timedelta(minutes=1),
            actor_user_id=None, actor="telegram:1",
        )  # fmt: skip
    assert (count, strangers) == (2, 0)


async def test_concurrent_lookups_cannot_outrun_the_limit(backend: str, tmp_path: Path) -> None:
    # A database of its own: concurrent tasks need pooled sessions that commit for real, and the
    # audit log they write is append-only (it cannot be cleaned up afterwards).
    async with throwaway_database(backend, tmp_path, demo_today=TODAY) as db:
        moment = datetime(2001, 1, 1, 12, 0, tzinfo=UTC)
        limited = Dispatcher(db, command_table(), HandlerConfig(passport_lookups_per_minute=10),
                             clock=lambda: moment)  # fmt: skip
        officer = FakeChat(limited, "demo-officer")
        record = await issued_passport(db)
        answers = await asyncio.gather(
            *(officer.send(f"/passport {record.reference}") for _ in range(30))
        )
        async with db.transaction() as session:
            rows = (
                await session.scalars(
                    select(AuditEntry).where(
                        AuditEntry.actor == "console:demo-officer", AuditEntry.at == moment
                    )
                )
            ).all()
    shown = [a for a in answers if record.holder_name in a.text]
    limited_answers = [a for a in answers if "Previše upita" in a.text]
    assert (len(shown), len(limited_answers)) == (10, 20)
    assert len(rows) == 30
    assert sorted((r.allowed, r.detail or "") for r in rows) == sorted(
        [(True, "found")] * 10 + [(False, "rate_limited")] * 20
    )


async def test_a_non_officer_without_a_reference_gets_the_same_answer(
    staff_chat: FakeChat, officer_chat: FakeChat, demo_db: Database
) -> None:
    record = await issued_passport(demo_db)
    bare = await staff_chat.send("/passport")
    with_ref = await staff_chat.send(f"/passport {record.reference}")
    bare_visa = await staff_chat.send("виза")
    assert bare.reply == with_ref.reply == bare_visa.reply
    assert bare.text == GENERIC
    rows = await audit_rows(demo_db, "console:demo-staff")
    assert [(r.action, r.allowed, r.detail, r.target_ref) for r in rows] == [
        ("passport.lookup", False, "no_role", None),
        ("passport.lookup", False, "no_role", record.reference),
        ("visa.lookup", False, "no_role", None),
    ]
    # Only an officer learns how the command is used (and that is not a lookup to audit).
    assert "/passport OZNAKA" in (await officer_chat.send("/passport")).text
    assert await audit_rows(demo_db, "console:demo-officer") == []


async def test_passport_set_counts_against_the_same_limit(demo_db: Database) -> None:
    limited = Dispatcher(demo_db, command_table(), HandlerConfig(passport_lookups_per_minute=2),
                         clock=lambda: NOW)  # fmt: skip
    officer = FakeChat(limited, "demo-officer")
    async with demo_db.transaction() as session:
        record = await session.scalar(
            select(PassportRecord)
            .where(PassportRecord.status == DocumentStatus.SUBMITTED)
            .order_by(PassportRecord.reference)
            .limit(1)
        )
    assert record is not None
    assert "→" in (await officer.send(f"/passport_set {record.reference} izdat")).text
    assert record.holder_name in (await officer.send(f"/passport {record.reference}")).text
    tripped = await officer.send(f"/passport_set {record.reference} uručen")
    assert "Previše upita" in tripped.text
    assert "Previše upita" in (await officer.send(f"/visa {record.reference}")).text
    async with demo_db.transaction() as session:
        stored = await session.get(PassportRecord, record.id)
    assert stored is not None
    assert stored.status is DocumentStatus.ISSUED  # the rate-limited change did not happen
    rows = await audit_rows(demo_db, "console:demo-officer")
    assert [(r.action, r.allowed, r.detail) for r in rows] == [
        ("passport.set_status", True, "submitted->issued"),
        ("passport.lookup", True, "found"),
        ("passport.set_status", False, "rate_limited"),
        ("visa.lookup", False, "rate_limited"),
    ]
    assert {r.target_ref for r in rows} == {record.reference}


async def test_references_are_audited_as_stored(
    officer_chat: FakeChat, staff_chat: FakeChat, demo_db: Database
) -> None:
    record = await issued_passport(demo_db)
    typed = [
        record.reference.lower(),
        lat_to_cyr(record.reference),
        lat_to_cyr(record.reference).lower(),
        "демо-пас-00008",
    ]
    for chat in (officer_chat, staff_chat):
        for ref in typed:
            await chat.send(f"/passport {ref}")
        await chat.send(f"/visa {typed[2]}")
    expected = [record.reference] * 3 + ["DEMO-PAS-00008", record.reference]
    for actor in ("console:demo-officer", "console:demo-staff"):
        assert [r.target_ref for r in await audit_rows(demo_db, actor)] == expected


async def test_audited_text_has_no_control_characters(
    officer_chat: FakeChat, staff_chat: FakeChat, demo_db: Database
) -> None:
    # The dispatcher already turns control characters into spaces; format characters (which
    # reorder or hide text in a log viewer) get through to the handler.
    nasty = ["DEMO-PAS\u202e-00001", "\u200bSAP-OMED", "x\u2066" + "y" * 100, "DEMO\x00-PAS\x1b"]
    for chat in (officer_chat, staff_chat):
        for ref in nasty:
            assert (await chat.send(f"/passport {ref}")).text == GENERIC
        assert (await chat.send(f"/passport_set {nasty[0]} izdat")).text == GENERIC
    for actor in ("console:demo-officer", "console:demo-staff"):
        refs = [r.target_ref for r in await audit_rows(demo_db, actor)]
        assert refs == ["DEMO-PAS?-00001", "?SAP-OMED", "x?" + "y" * 78, "DEMO -PAS",
                        "DEMO-PAS?-00001"]  # fmt: skip
        assert all(unicodedata.category(c)[0] != "C" for ref in refs for c in ref or "")
