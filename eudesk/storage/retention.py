"""Retention: passport and visa records are anonymised some years after their validity ends.

A record is due when its `valid_until` lies more than N years before today (the local date) and
it is not anonymised yet; a record without `valid_until` is never due. Anonymising keeps the
reference, kind, status, dates and the status history (without its notes), so counts and the
audit trail still join; the holder's name becomes "anonymised" and the other personal fields
become NULL. It runs in chunks, one transaction each, and a second run finds nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.db import Database
from eudesk.storage.models import (
    PassportRecord,
    PassportStatusEvent,
    VisaRecord,
    VisaStatusEvent,
)
from eudesk.storage.repositories.audit import AuditRepository

DEFAULT_YEARS = 5
CHUNK = 500
ANONYMISED = "anonymised"
ACTION = "retention.anonymise"
BELGRADE = ZoneInfo("Europe/Belgrade")


@dataclass(frozen=True, slots=True)
class _Kind:
    """One kind of record: its table, its history's table, and the personal columns it clears."""

    name: str
    record: Any  # PassportRecord or VisaRecord: the same columns where it matters
    event: Any  # PassportStatusEvent or VisaStatusEvent
    cleared: tuple[str, ...]


KINDS = (
    _Kind("passport", PassportRecord, PassportStatusEvent,
          ("holder_position", "passport_number", "notes")),
    _Kind("visa", VisaRecord, VisaStatusEvent, ("visa_number",)),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DueRecord:
    """A record the next run would anonymise: nothing personal, only what identifies it."""

    kind: str
    reference: str
    valid_until: date


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What a run did (or, for a dry run, would do)."""

    cutoff: date  # records valid until a day before this are due
    years: int
    passports: int
    visas: int

    def detail(self) -> str:
        """The audit record's detail: counts and dates, never names."""
        return (
            f"passports={self.passports} visas={self.visas} "
            f"cutoff={self.cutoff.isoformat()} years={self.years}"
        )


def cutoff_date(now: datetime, years: int, zone: ZoneInfo = BELGRADE) -> date:
    """Today's local date N years back (29 February → 28 February): a record whose validity
    ended before this day ended more than N years ago."""
    if years < 0:
        raise ValueError(f"retention years must not be negative, not {years}")
    today = now.astimezone(zone).date()
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def _due(kind: _Kind, cutoff: date) -> tuple[ColumnElement[bool], ...]:
    # valid_until NULL compares as unknown, so a record without it is never due.
    return (kind.record.valid_until < cutoff, kind.record.anonymised_at.is_(None))


async def due_records(
    db: Database, *, years: int, now: datetime, zone: ZoneInfo = BELGRADE
) -> list[DueRecord]:
    """What a run at `now` would anonymise, oldest first; reads only, writes nothing."""
    cutoff = cutoff_date(now, years, zone)
    found: list[DueRecord] = []
    async with db.transaction() as session:
        for kind in KINDS:
            rows = await session.execute(
                select(kind.record.reference, kind.record.valid_until)
                .where(*_due(kind, cutoff))
                .order_by(kind.record.valid_until, kind.record.reference)
            )
            found += [DueRecord(kind.name, ref, until) for ref, until in rows]
    return found


async def anonymise_expired(
    db: Database,
    *,
    years: int,
    now: datetime,
    zone: ZoneInfo = BELGRADE,
    actor: str = "system:retention",
    platform: str = "scheduler",
    chunk: int = CHUNK,
) -> RetentionReport:
    """Anonymise every due record, `chunk` per transaction, then write one audit record of the
    run (also when nothing was due, so the log shows that retention ran)."""
    cutoff = cutoff_date(now, years, zone)
    counts = dict.fromkeys((kind.name for kind in KINDS), 0)
    for kind in KINDS:
        while True:
            async with db.transaction() as session:
                taken, done = await _anonymise_chunk(session, kind, cutoff, now, chunk)
            counts[kind.name] += done
            if taken < chunk:
                break
    report = RetentionReport(cutoff, years, counts["passport"], counts["visa"])
    async with db.transaction() as session:
        await AuditRepository(session).record(
            actor=actor, platform=platform, action=ACTION, allowed=True,
            target_type="retention", target_ref=cutoff.isoformat(), detail=report.detail(),
            at=now,
        )  # fmt: skip
    return report


async def _anonymise_chunk(
    session: AsyncSession, kind: _Kind, cutoff: date, now: datetime, size: int
) -> tuple[int, int]:
    """Anonymise up to `size` due records; returns (records taken, records anonymised)."""
    # SKIP LOCKED: instances running the daily job at once share the work (PostgreSQL; SQLite
    # writers are serialised anyway and SQLAlchemy leaves the clause out there).
    ids = list(
        await session.scalars(
            select(kind.record.id)
            .where(*_due(kind, cutoff))
            .order_by(kind.record.id)
            .limit(size)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return 0, 0
    options = {"synchronize_session": False}
    await session.execute(
        update(kind.event).where(kind.event.record_id.in_(ids)).values(note=None),
        execution_options=options,
    )
    values = {"holder_name": ANONYMISED, "anonymised_at": now} | dict.fromkeys(kind.cleared)
    result = await session.execute(
        update(kind.record).where(kind.record.id.in_(ids), *_due(kind, cutoff)).values(values),
        execution_options=options,
    )
    return len(ids), int(result.rowcount)  # type: ignore[attr-defined]
