"""Write validated import rows: load existing rows by natural key per batch, change what differs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from eudesk.storage.models import (
    Body,
    Contact,
    Deadline,
    Meeting,
    PassportRecord,
    PassportStatusEvent,
    Project,
    ProjectPartner,
    utcnow,
)
from eudesk.storage.text import search_key
from eudesk.storage.transfer.passports import may_move
from eudesk.storage.transfer.rows import (
    ContactRow,
    DeadlineRow,
    MeetingRow,
    PassportRow,
    ProjectRow,
    RowError,
)

T = TypeVar("T")
Apply = Callable[[Any, "Line", bool], bool]


def batched(items: Iterable[T], size: int) -> Iterator[tuple[T, ...]]:
    """itertools.batched, which Python 3.11 lacks."""
    iterator = iter(items)
    while chunk := tuple(islice(iterator, size)):
        yield chunk


@dataclass(frozen=True)
class Line:
    number: int
    row: Any  # the kind's row model


class Writer:
    """Applies validated rows batch by batch, loading existing rows by key, counting changes."""

    def __init__(self, session: AsyncSession, refs: dict[str, dict[Any, Any]], note: str) -> None:
        self.session = session
        self.refs = refs
        self.note = note
        self.created = self.updated = self.unchanged = 0
        self.errors: list[RowError] = []

    async def write(self, kind: str, batch: Sequence[Line]) -> None:
        plans: dict[str, tuple[Any, Any, list[Any], Apply]] = {
            "projects": (Project, Project.code, [selectinload(Project.partners)], self._project),
            "deadlines": (Deadline, Deadline.ref, [selectinload(Deadline.bodies)], self._deadline),
            "meetings": (Meeting, Meeting.ref, [], self._meeting),
            "contacts": (Contact, Contact.ref, [], self._contact),
            "passports": (PassportRecord, PassportRecord.reference, [], self._passport),
        }
        entity, key, loads, apply = plans[kind]
        keys = [getattr(line.row, key.key) for line in batch]
        found = await self.session.scalars(select(entity).where(key.in_(keys)).options(*loads))
        existing = {getattr(obj, key.key): obj for obj in found}
        for line in batch:
            obj = existing.get(getattr(line.row, key.key))
            new = obj is None
            if obj is None:
                obj = entity()
            changed = apply(obj, line, new)
            if new:
                self.session.add(obj)
                self.created += 1
            elif changed:
                self.updated += 1
            else:
                self.unchanged += 1

    def _project(self, project: Project, line: Line, new: bool) -> bool:
        row: ProjectRow = line.row
        values: dict[str, Any] = {
            "code": row.code,
            "acronym": row.acronym,
            "title": row.title,
            "programme_id": self.refs["programme"][row.programme],
            "status": row.status,
        }
        values |= _given(row, "starts_on", "ends_on", "responsible_officer")
        money = _given(
            row, "total_budget", "eu_contribution", "provincial_cofinancing", "prefinancing"
        )
        values |= {name: amount for name, amount in money.items() if amount is not None}
        changed = _update(project, values)
        if {"lead_partner", "partners"} & row.model_fields_set:
            changed |= self._partners(project, row, new)
        names = [partner.name for partner in project.partners]
        key = search_key(project.code, project.acronym, project.title, *names)
        return _update(project, {"search_key": key}) or changed

    def _partners(self, project: Project, row: ProjectRow, new: bool) -> bool:
        def spec(partner: ProjectPartner) -> tuple[str, str | None, int | None]:
            return partner.name, partner.country, partner.body_id

        current = [] if new else list(project.partners)
        old_lead = [spec(p) for p in current if p.is_lead]
        old_others = [spec(p) for p in current if not p.is_lead]
        lead = old_lead
        if "lead_partner" in row.model_fields_set:
            lead = [self._partner(row.lead_partner)] if row.lead_partner else []
        others = old_others
        if "partners" in row.model_fields_set:
            others = [self._partner(partner) for partner in row.partners or ()]
        if not new and (lead, others) == (old_lead, old_others):
            return False
        project.partners = [
            ProjectPartner(
                ordinal=i, name=name, country=country, body_id=body, is_lead=i < len(lead)
            )
            for i, (name, country, body) in enumerate(lead + others)
        ]
        return True

    def _partner(self, partner: Any) -> tuple[str, str | None, int | None]:
        if partner.body_code:
            body: Body = self.refs["body"][partner.body_code]
            return body.name_sr_latn, body.country, body.id
        return partner.name, partner.country, None

    def _deadline(self, deadline: Deadline, line: Line, new: bool) -> bool:
        row: DeadlineRow = line.row
        values: dict[str, Any] = {
            "ref": row.ref,
            "kind": row.kind,
            "title": row.title,
            "due_at": row.due,
        }
        values |= _given(row, "notes") | _non_null(row, "status")
        if "project" in row.model_fields_set:
            values["project_id"] = self.refs["project"][row.project]
        if "programme" in row.model_fields_set:
            values["programme_id"] = self.refs["programme"][row.programme]
        moved = not new and deadline.due_at != row.due
        changed = _update(deadline, values)
        if moved:
            deadline.version += 1  # reminders planned for the old moment are re-planned
        if "bodies" in row.model_fields_set:
            bodies = [self.refs["body"][code] for code in dict.fromkeys(row.bodies or ())]
            if new or {b.id for b in deadline.bodies} != {b.id for b in bodies}:
                deadline.bodies = bodies
                changed = True
        return changed

    def _meeting(self, meeting: Meeting, line: Line, new: bool) -> bool:
        row: MeetingRow = line.row
        values: dict[str, Any] = {"ref": row.ref, "title": row.title, "place": row.place}
        values |= {"starts_at": row.starts, "ends_at": row.ends}
        values |= _given(row, "agenda") | _non_null(row, "status")
        if "chapter" in row.model_fields_set:
            values["chapter_number"] = row.chapter
        if "cluster" in row.model_fields_set:
            values["cluster_number"] = row.cluster
        moved = not new and (meeting.starts_at, meeting.ends_at) != (row.starts, row.ends)
        changed = _update(meeting, values)
        if moved:
            meeting.version += 1
        return changed

    def _contact(self, contact: Contact, line: Line, new: bool) -> bool:
        row: ContactRow = line.row
        values: dict[str, Any] = {
            "ref": row.ref,
            "body_id": self.refs["body"][row.body].id,
            "name": row.name,
        }
        values |= _given(row, "position", "email", "phone", "telegram_chat_id", "slack_channel")
        return _update(contact, values | _non_null(row, "locale", "active"))

    def _passport(self, record: PassportRecord, line: Line, new: bool) -> bool:
        row: PassportRow = line.row
        if not new and record.anonymised_at is not None:
            self.errors.append(RowError(line.number, "reference", "the record was anonymised"))
            return False
        if not new and not may_move(record.status, row.status):
            message = f"status cannot go from {record.status.value} to {row.status.value}"
            self.errors.append(RowError(line.number, "status", message))
            return False
        values: dict[str, Any] = {
            "reference": row.reference,
            "kind": row.kind,
            "holder_name": row.holder_name,
        }
        values |= {"status": row.status}
        values |= _given(row, "holder_position", "passport_number", "issued_on", "valid_until")
        values |= _given(row, "notes")
        if "body" in row.model_fields_set:
            body = self.refs["body"][row.body]
            values["body_id"] = body.id if body else None
        status_moved = new or record.status != row.status
        changed = _update(record, values)
        if status_moved:
            event = PassportStatusEvent(status=row.status, at=utcnow(), note=self.note)
            if new:
                record.history = [event]
            else:
                event.record_id = record.id
                self.session.add(event)
        return changed


def _given(row: BaseModel, *names: str) -> dict[str, Any]:
    """The fields whose column is in the file (an absent column leaves the stored value alone)."""
    return {name: getattr(row, name) for name in names if name in row.model_fields_set}


def _non_null(row: BaseModel, *names: str) -> dict[str, Any]:
    """Fields stored NOT NULL: an empty cell keeps the stored value (or the default, when new)."""
    return {name: value for name, value in _given(row, *names).items() if value is not None}


def _update(obj: Any, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; whether any did."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed
