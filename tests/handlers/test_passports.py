"""Conversations: /passport, /visa and /passport_set, in every language, and bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from eudesk.handlers.passports import mask
from eudesk.storage.db import Database
from eudesk.storage.models import (
    AuditEntry,
    Body,
    DocumentStatus,
    PassportRecord,
    PassportStatusEvent,
    User,
    VisaRecord,
)
from eudesk.storage.text import lat_to_cyr
from tests.handlers.conftest import NOW, FakeChat

GENERIC = "Nijedan zapis sa tom oznakom vam nije dostupan."


async def passport_in(db: Database, status: DocumentStatus) -> PassportRecord:
    """The first demo passport in a status, with its history."""
    async with db.transaction() as session:
        record = await session.scalar(
            select(PassportRecord)
            .where(PassportRecord.status == status, PassportRecord.body_id.is_not(None))
            .options(selectinload(PassportRecord.history))
            .order_by(PassportRecord.reference)
            .limit(1)
        )
    assert record is not None, f"the demo data has no {status} passport"
    return record


async def written(db: Database) -> tuple[int, int, list[str]]:
    """Status events, audit rows and every passport's status: what /passport_set could change."""
    async with db.transaction() as session:
        events = await session.scalar(select(func.count()).select_from(PassportStatusEvent))
        audits = await session.scalar(select(func.count()).select_from(AuditEntry))
        statuses = await session.scalars(select(PassportRecord.status).order_by(PassportRecord.id))
        return int(events or 0), int(audits or 0), [s.value for s in statuses]


@pytest.mark.parametrize(
    ("lang", "alias", "expected"),
    [
        ("sr-Latn", "/passport", "Pasoš DEMO-PAS"),
        ("sr-Latn", "pasos", "Imalac"),
        ("sr-Latn", "pasoš", "Važi do"),
        ("sr-Cyrl", "пасош", "Пасош DEMO-PAS"),
        ("sr-Cyrl", "/pasos", "Имала"),
        ("hu", "útlevél", "Útlevél: DEMO-PAS"),
        ("hu", "utlevel", "Birtokos"),
        ("en", "/passport", "Holder"),
    ],
)
async def test_passport_aliases_in_every_language(
    officer_chat: FakeChat, demo_db: Database, lang: str, alias: str, expected: str
) -> None:
    record = await passport_in(demo_db, DocumentStatus.DELIVERED)
    await officer_chat.send(f"/lang {lang}")
    answer = await officer_chat.send(f"{alias} {record.reference}")
    assert expected in answer.text
    assert record.holder_name in answer.text


async def test_cyrillic_reply_names_the_body_and_status_in_cyrillic(
    officer_chat: FakeChat, demo_db: Database
) -> None:
    record = await passport_in(demo_db, DocumentStatus.DELIVERED)
    await officer_chat.send("/lang sr-Cyrl")
    # Typed on a Cyrillic keyboard, the reference still matches.
    answer = await officer_chat.send(f"пасош {lat_to_cyr(record.reference)}")
    fields = dict(answer.reply.fields)
    assert fields["Статус"] == "уручен"
    assert fields["Врста"] in ("дипломатски", "службени")
    async with demo_db.transaction() as session:
        body = await session.get(Body, record.body_id)
    assert body is not None
    assert fields["Орган"] == body.name_sr_cyrl
    assert answer.reply.items[0].endswith("затражен (demo)")  # the seed's note stays as written


async def test_history_is_in_order_with_dates(officer_chat: FakeChat, demo_db: Database) -> None:
    record = await passport_in(demo_db, DocumentStatus.DELIVERED)
    answer = await officer_chat.send(f"/passport {record.reference}")
    labels = {"requested": "zatražen", "submitted": "podnet", "issued": "izdat",
              "delivered": "uručen"}  # fmt: skip
    expected = [labels[e.status.value] for e in sorted(record.history, key=lambda e: e.at)]
    assert [item.split(" — ")[1].split(" (")[0] for item in answer.reply.items] == expected
    assert expected == ["zatražen", "podnet", "izdat", "uručen"]
    assert record.issued_on is not None
    assert dict(answer.reply.fields)["Datum izdavanja"] == record.issued_on.strftime("%d.%m.%Y.")


async def test_a_requested_passport_has_no_number_yet(
    officer_chat: FakeChat, demo_db: Database
) -> None:
    record = await passport_in(demo_db, DocumentStatus.REQUESTED)
    answer = await officer_chat.send(f"/passport {record.reference}")
    fields = dict(answer.reply.fields)
    assert fields["Broj"] == "—"
    assert fields["Važi do"] == "—"
    assert len(answer.reply.items) == 1


async def test_an_anonymised_record_shows_no_personal_data(
    officer_chat: FakeChat, demo_db: Database
) -> None:
    record = await passport_in(demo_db, DocumentStatus.EXPIRED)
    async with demo_db.transaction() as session:
        stored = await session.get(PassportRecord, record.id)
        assert stored is not None
        stored.anonymised_at = NOW
    answer = await officer_chat.send(f"/passport {record.reference}")
    assert "anonimizovani 27.11.2026." in answer.text
    assert record.holder_name not in answer.text
    assert "•" not in answer.text
    assert answer.reply.items == []


async def test_admin_may_look_up_too(admin_chat: FakeChat, demo_db: Database) -> None:
    record = await passport_in(demo_db, DocumentStatus.ISSUED)
    assert record.holder_name in (await admin_chat.send(f"/passport {record.reference}")).text


@pytest.mark.parametrize(
    ("lang", "alias", "expected"),
    [("sr-Latn", "viza", "Viza DEMO-VIS"), ("sr-Cyrl", "виза", "Виза DEMO-VIS"),
     ("hu", "vízum", "Vízum: DEMO-VIS"), ("en", "/visa", "Visa DEMO-VIS")],
)  # fmt: skip
async def test_visa_in_every_language(
    officer_chat: FakeChat, demo_db: Database, lang: str, alias: str, expected: str
) -> None:
    async with demo_db.transaction() as session:
        visa = await session.scalar(
            select(VisaRecord)
            .where(VisaRecord.visa_number.is_not(None))
            .options(selectinload(VisaRecord.history))
            .order_by(VisaRecord.reference)
            .limit(1)
        )
    assert visa is not None
    assert visa.visa_number is not None
    await officer_chat.send(f"/lang {lang}")
    answer = await officer_chat.send(f"{alias} {visa.reference}")
    assert expected in answer.text
    assert visa.holder_name in answer.text
    assert visa.country in answer.text
    assert mask(visa.visa_number) in answer.text
    assert visa.visa_number not in answer.text
    assert len(answer.reply.items) == len(visa.history)


async def test_lookup_without_a_reference_explains_usage(
    officer_chat: FakeChat, demo_db: Database
) -> None:
    before = await written(demo_db)
    assert "/passport OZNAKA" in (await officer_chat.send("/passport")).text
    await officer_chat.send("/lang en")
    assert "/visa REF" in (await officer_chat.send("visa")).text
    assert await written(demo_db) == before


@pytest.mark.parametrize(
    ("lang", "command", "word"),
    [("sr-Latn", "/passport_set", "izdat"), ("sr-Cyrl", "пасош_статус", "издат"),
     ("hu", "utlevel_allapot", "kiállítva"), ("en", "/passport_set", "issued")],
)  # fmt: skip
async def test_passport_set_moves_the_status_and_grows_the_history(
    officer_chat: FakeChat, demo_db: Database, lang: str, command: str, word: str
) -> None:
    record = await passport_in(demo_db, DocumentStatus.SUBMITTED)
    await officer_chat.send(f"/lang {lang}")
    answer = await officer_chat.send(f"{command} {record.reference} {word} picked up at MFA")
    assert record.reference in answer.text
    assert "→" in answer.text
    if lang == "sr-Cyrl":
        assert "Пасош" in answer.text
        assert "издат" in answer.text
    async with demo_db.transaction() as session:
        stored = await session.scalar(
            select(PassportRecord)
            .where(PassportRecord.id == record.id)
            .options(selectinload(PassportRecord.history))
        )
        officer = await session.scalar(select(User).where(User.name == "demo-officer"))
        audit = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "passport.set_status")
        )
    assert stored is not None
    assert officer is not None
    assert audit is not None
    assert stored.status is DocumentStatus.ISSUED
    assert len(stored.history) == len(record.history) + 1
    last = max(stored.history, key=lambda e: (e.at, e.id))
    assert (last.status, last.at, last.by_user_id, last.note) == (
        DocumentStatus.ISSUED,
        NOW,
        officer.id,
        "picked up at MFA",
    )
    # Written before the record is read, then completed with what came of it.
    assert (audit.allowed, audit.detail, audit.target_ref) == (
        True,
        "submitted->issued",
        record.reference,
    )
    # And the lookup now shows the new step last.
    shown = await officer_chat.send(f"/passport {record.reference}")
    assert shown.reply.items[-1].endswith("(picked up at MFA)")


async def test_passport_set_bad_input_writes_nothing(
    officer_chat: FakeChat, demo_db: Database
) -> None:
    delivered = await passport_in(demo_db, DocumentStatus.DELIVERED)
    revoked = await passport_in(demo_db, DocumentStatus.REVOKED)
    before = await written(demo_db)
    cases = {
        "/passport_set": "Upotreba",
        f"/passport_set {delivered.reference}": "Upotreba",
        f"/passport_set {delivered.reference} lost_in_space": "Nepoznat status",
        f"/passport_set {delivered.reference} '; DROP TABLE users;--": "Nepoznat status",
        f"/passport_set {delivered.reference} izdat {'x' * 301}": "predugačka",
    }
    for text, expected in cases.items():
        assert expected in (await officer_chat.send(text)).text, text
    assert await written(demo_db) == before
    # Attempts on a reference are audited, but no record moves.
    refused = {
        "/passport_set DEMO-PAS-99999 izdat": GENERIC,
        "/passport_set <b>x</b> izdat": GENERIC,
        f"/passport_set {delivered.reference} zatražen": "iz „uručen” u „zatražen”",
        f"/passport_set {delivered.reference} uručen": "ne može",
        f"/passport_set {revoked.reference} isteklo": "ne može",
    }
    for text, expected in refused.items():
        assert expected in (await officer_chat.send(text)).text, text
    events, audits, statuses = await written(demo_db)
    assert (events, statuses) == (before[0], before[2])
    assert audits == before[1] + len(refused)


async def test_passport_set_by_staff_gets_the_lookup_refusal_and_is_audited(
    staff_chat: FakeChat, demo_db: Database
) -> None:
    delivered = await passport_in(demo_db, DocumentStatus.DELIVERED)
    before = await written(demo_db)
    answers = [
        (await staff_chat.send(text)).text
        for text in (
            f"/passport_set {delivered.reference} izdat",
            "/passport_set DEMO-PAS-99999 izdat",
            "/passport_set",  # not even the usage text: that would tell an officer's command apart
            f"/passport {delivered.reference}",
        )
    ]
    assert answers == [GENERIC] * 4
    events, audits, statuses = await written(demo_db)
    assert (events, audits, statuses) == (before[0], before[1] + 4, before[2])
    async with demo_db.transaction() as session:
        rows = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.actor == "console:demo-staff")
                .order_by(AuditEntry.id)
            )
        ).all()
    assert [(r.action, r.allowed, r.detail, r.target_ref) for r in rows] == [
        ("passport.set_status", False, "no_role", delivered.reference),
        ("passport.set_status", False, "no_role", "DEMO-PAS-99999"),
        ("passport.set_status", False, "no_role", None),
        ("passport.lookup", False, "no_role", delivered.reference),
    ]
