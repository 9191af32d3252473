"""Export one kind to CSV or XLSX: the columns and cell formats that import reads back."""

from __future__ import annotations

import asyncio
import csv
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

import openpyxl
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from eudesk.storage.csv_safety import neutralise
from eudesk.storage.db import Database
from eudesk.storage.models import (
    Body,
    Contact,
    Deadline,
    Meeting,
    PassportRecord,
    Programme,
    Project,
)
from eudesk.storage.transfer.cells import (
    DEFAULT_ZONE,
    SEPARATOR,
    Partner,
    format_day,
    format_moment,
    format_money,
)
from eudesk.storage.transfer.rows import UnsupportedFormat, columns, row_model, text_columns

BATCH = 500
Codes = dict[str, dict[int, str]]


async def export_file(
    db: Database,
    kind: str,
    path: Path,
    fmt: Literal["csv", "xlsx"],
    *,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> int:
    """Write every row of a kind, ordered by its key, streamed in batches; returns the count.

    Times are written in `zone`. The file appears only when complete (written beside it as
    NAME.part, then renamed).
    """
    names = columns(row_model(kind))
    if fmt not in ("csv", "xlsx"):
        raise UnsupportedFormat(path, f"cannot write {fmt!r}; choose csv or xlsx")
    partial = path.with_name(path.name + ".part")
    sink: Sink = await asyncio.to_thread(CsvSink if fmt == "csv" else XlsxSink, partial, kind)
    count = 0
    try:
        await asyncio.to_thread(sink.write, [names])
        async with db.transaction() as session:
            codes = await _codes(session)
            result = await session.stream(_query(kind).execution_options(yield_per=BATCH))
            async for partition in result.partitions():
                batch = [_cells(kind, row, codes, zone) for row in partition]
                await asyncio.to_thread(sink.write, [[cells[n] for n in names] for cells in batch])
                count += len(batch)
        await asyncio.to_thread(sink.close)
    except BaseException:
        await asyncio.to_thread(sink.discard)
        raise
    await asyncio.to_thread(os.replace, partial, path)
    return count


def _query(kind: str) -> Select[*tuple[Any, ...]]:
    if kind == "projects":
        return select(Project).options(selectinload(Project.partners)).order_by(Project.code)
    if kind == "deadlines":
        return (
            select(Deadline, Project.code)
            .outerjoin(Project, Deadline.project_id == Project.id)
            .options(selectinload(Deadline.bodies))
            .order_by(Deadline.ref)
        )
    if kind == "meetings":
        return select(Meeting).order_by(Meeting.ref)
    if kind == "contacts":
        return select(Contact).order_by(Contact.ref)
    return select(PassportRecord).order_by(PassportRecord.reference)


async def _codes(session: AsyncSession) -> Codes:
    """Natural keys of the small reference tables, by id (bodies and programmes are few)."""
    bodies = await session.execute(select(Body.id, Body.code))
    programmes = await session.execute(select(Programme.id, Programme.code))
    return {"body": {i: c for i, c in bodies}, "programme": {i: c for i, c in programmes}}


def _cells(kind: str, row: Any, codes: Codes, zone: ZoneInfo) -> dict[str, str]:
    """One database row as the text of its cells; None becomes an empty cell."""
    obj = row[0]
    values: dict[str, Any]
    match obj:
        case Project():
            partners = [
                str(
                    Partner(
                        name=p.name, country=p.country, body_code=codes["body"].get(p.body_id or 0)
                    )
                )
                for p in obj.partners
            ]
            lead = partners[0] if obj.partners and obj.partners[0].is_lead else None
            values = {
                "code": obj.code,
                "acronym": obj.acronym,
                "title": obj.title,
                "programme": codes["programme"][obj.programme_id],
                "status": obj.status.value,
                "starts_on": obj.starts_on and format_day(obj.starts_on),
                "ends_on": obj.ends_on and format_day(obj.ends_on),
                "total_budget": format_money(obj.total_budget),
                "eu_contribution": format_money(obj.eu_contribution),
                "provincial_cofinancing": format_money(obj.provincial_cofinancing),
                "prefinancing": format_money(obj.prefinancing),
                "responsible_officer": obj.responsible_officer,
                "lead_partner": lead,
                "partners": SEPARATOR.join(partners[1:] if lead else partners),
            }
        case Deadline():
            values = {
                "ref": obj.ref,
                "kind": obj.kind.value,
                "title": obj.title,
                "due": format_moment(obj.due_at, zone),
                "project": row[1],
                "programme": obj.programme_id and codes["programme"][obj.programme_id],
                "bodies": SEPARATOR.join(sorted(body.code for body in obj.bodies)),
                "status": obj.status.value,
                "notes": obj.notes,
            }
        case Meeting():
            values = {
                "ref": obj.ref,
                "title": obj.title,
                "chapter": obj.chapter_number,
                "cluster": obj.cluster_number,
                "starts": format_moment(obj.starts_at, zone),
                "ends": format_moment(obj.ends_at, zone),
                "place": obj.place,
                "agenda": obj.agenda,
                "status": obj.status.value,
            }
        case Contact():
            values = {
                "ref": obj.ref,
                "body": codes["body"][obj.body_id],
                "name": obj.name,
                "position": obj.position,
                "email": obj.email,
                "phone": obj.phone,
                "locale": obj.locale.value,
                "telegram_chat_id": obj.telegram_chat_id,
                "slack_channel": obj.slack_channel,
                "active": "true" if obj.active else "false",
            }
        case PassportRecord():
            values = {
                "reference": obj.reference,
                "kind": obj.kind.value,
                "holder_name": obj.holder_name,
                "holder_position": obj.holder_position,
                "body": obj.body_id and codes["body"][obj.body_id],
                "passport_number": obj.passport_number,
                "status": obj.status.value,
                "issued_on": obj.issued_on and format_day(obj.issued_on),
                "valid_until": obj.valid_until and format_day(obj.valid_until),
                "notes": obj.notes,
            }
    return {name: "" if value is None else str(value) for name, value in values.items()}


class Sink(Protocol):
    def write(self, rows: Sequence[Sequence[str]]) -> None: ...
    def close(self) -> None: ...
    def discard(self) -> None: ...


class CsvSink:
    """UTF-8 with a BOM (so Excel shows č, ć, š, ž, đ and Cyrillic), comma-separated. A text
    cell that a spreadsheet would run as a formula ("=HYPERLINK(...)", "+381 ...") is written
    with a leading apostrophe (csv_safety.neutralise; import restores it); amounts, numbers,
    dates and kinds are written as they are."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path = path
        model = row_model(kind)
        text = text_columns(model)
        self.text = [name in text for name in columns(model)]
        self.handle = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.handle)

    def write(self, rows: Sequence[Sequence[str]]) -> None:
        # The header's column names pass through neutralise unchanged.
        self.writer.writerows(
            [neutralise(cell) if text else cell for cell, text in zip(row, self.text, strict=True)]
            for row in rows
        )

    def close(self) -> None:
        self.handle.close()

    def discard(self) -> None:
        self.handle.close()
        self.path.unlink(missing_ok=True)


class XlsxSink:
    """One sheet named after the kind; every cell is text, so that nothing is reinterpreted."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path = path
        self.workbook = openpyxl.Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(kind)

    def write(self, rows: Sequence[Sequence[str]]) -> None:
        for row in rows:
            self.sheet.append([self._text(value) for value in row])

    def _text(self, value: str) -> WriteOnlyCell | None:
        if not value:
            return None
        cell = WriteOnlyCell(self.sheet, value=value)
        cell.data_type = "s"  # a title starting with "=" stays text, not a formula
        return cell

    def close(self) -> None:
        self.workbook.save(self.path)

    def discard(self) -> None:
        self.workbook.close()
        self.path.unlink(missing_ok=True)
