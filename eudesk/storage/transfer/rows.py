"""One pydantic row per importable kind (its fields are the file's columns), and the errors."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from eudesk.storage.db import StorageError
from eudesk.storage.models.enums import (
    DeadlineKind,
    DeadlineStatus,
    DocumentStatus,
    Locale,
    MeetingStatus,
    PassportKind,
    ProjectStatus,
)
from eudesk.storage.transfer.cells import (
    Codes,
    Day,
    Due,
    LeadPartner,
    Moment,
    Money,
    Partners,
    check_chat_id,
    check_email,
    is_day,
    not_before,
)
from eudesk.storage.transfer.passports import check_reference


@dataclass(frozen=True)
class RowError:
    """One problem in one cell (or row, when column is None) of an imported file."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class TransferError(StorageError):
    """Root of the import and export errors."""


class UnknownKind(TransferError):
    """A kind that cannot be imported or exported; carries the kind asked for."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        super().__init__(f"unknown kind {kind!r}; expected one of: {', '.join(ROW_MODELS)}")


class UnsupportedFormat(TransferError):
    """A file or format that is neither CSV nor XLSX."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(f"{path.name}: {reason}")


class ImportRejected(TransferError):
    """The file has bad rows; nothing was written. Lists every error, one per line."""

    def __init__(self, kind: str, path: Path, errors: list[RowError]) -> None:
        self.kind = kind
        self.path = path
        self.errors = sorted(errors, key=lambda e: (e.line, e.column or ""))
        lines = "\n".join(str(e) for e in self.errors)
        super().__init__(f"{path.name}: {kind} not imported, {len(errors)} error(s):\n{lines}")


def no_formula(value: str) -> str:
    """A name or a title may not begin with "=": in a spreadsheet it would be a formula."""
    if value.startswith("="):
        raise ValueError(
            "begins with '=', which a spreadsheet runs as a formula; remove the '=' "
            "(or put the text in quotes after it)"
        )
    return value


# A name or a title: text that may not begin with "=" (CSV injection).
NameText = Annotated[str, AfterValidator(no_formula)]


class ProjectRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(max_length=40)
    acronym: NameText = Field(max_length=60)
    title: NameText = Field(max_length=400)
    programme: str = Field(max_length=40)
    status: ProjectStatus
    starts_on: Day | None = None
    ends_on: Annotated[Day | None, not_before("starts_on")] = None
    total_budget: Money | None = None
    eu_contribution: Money | None = None
    provincial_cofinancing: Money | None = None
    prefinancing: Money | None = None
    responsible_officer: str | None = Field(default=None, max_length=200)
    lead_partner: LeadPartner | None = None
    partners: Partners | None = None


class DeadlineRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    ref: str = Field(max_length=40)
    kind: DeadlineKind
    title: NameText = Field(max_length=400)
    due: Due
    project: str | None = Field(default=None, max_length=40)
    programme: str | None = Field(default=None, max_length=40)
    bodies: Codes | None = None
    status: DeadlineStatus | None = None
    notes: str | None = None


class MeetingRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    ref: str = Field(max_length=40)
    title: NameText = Field(max_length=300)
    chapter: int | None = Field(default=None, ge=1, le=35)
    cluster: int | None = Field(default=None, ge=1, le=6)
    starts: Moment
    ends: Annotated[Moment, not_before("starts")]
    place: str = Field(max_length=300)
    agenda: str | None = None
    status: MeetingStatus | None = None


class ContactRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    ref: str = Field(max_length=40)
    body: str = Field(max_length=32)
    name: NameText = Field(max_length=200)
    position: str | None = Field(default=None, max_length=200)
    email: Annotated[str | None, AfterValidator(check_email)] = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=60)
    locale: Locale | None = None
    telegram_chat_id: Annotated[str | None, AfterValidator(check_chat_id)] = None
    slack_channel: str | None = Field(default=None, max_length=60)
    active: bool | None = None


class PassportRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # Stored as /passport looks it up: "pas-1", "ПАС-1" and "PAS-1" are one reference.
    reference: Annotated[str, AfterValidator(check_reference)]
    kind: PassportKind
    holder_name: NameText = Field(max_length=200)
    holder_position: str | None = Field(default=None, max_length=200)
    body: str | None = Field(default=None, max_length=32)
    passport_number: str | None = Field(default=None, max_length=20)
    status: DocumentStatus
    issued_on: Day | None = None
    valid_until: Annotated[Day | None, not_before("issued_on")] = None
    notes: str | None = None


ROW_MODELS: dict[str, type[BaseModel]] = {
    "projects": ProjectRow,
    "deadlines": DeadlineRow,
    "meetings": MeetingRow,
    "contacts": ContactRow,
    "passports": PassportRow,
}


def row_model(kind: str) -> type[BaseModel]:
    """The row model of a kind, or UnknownKind."""
    try:
        return ROW_MODELS[kind]
    except KeyError:
        raise UnknownKind(kind) from None


def columns(model: type[BaseModel]) -> list[str]:
    """The columns of a kind, in file order; the first is the natural key."""
    return list(model.model_fields)


def day_columns(model: type[BaseModel]) -> set[str]:
    """The columns that hold a calendar date (a spreadsheet date-time there means its day)."""
    return {name for name, field in model.model_fields.items() if is_day(field.annotation)}


def text_columns(model: type[BaseModel]) -> set[str]:
    """The columns of free text, which a CSV export neutralises (a spreadsheet could run one as
    a formula); amounts, numbers, dates, kinds and flags are written as they are, so that a
    spreadsheet reads a number as a number."""
    return {name for name, field in model.model_fields.items() if _is_text(field.annotation)}


def _is_text(annotation: Any) -> bool:
    plain = (Decimal, int, float, date, enum.Enum)  # bool is an int, datetime a date
    if isinstance(annotation, type):
        return not issubclass(annotation, plain)
    args = [arg for arg in get_args(annotation) if arg is not type(None)]
    return all(_is_text(arg) for arg in args) if args else True


def required_columns(model: type[BaseModel]) -> set[str]:
    return {name for name, field in model.model_fields.items() if field.is_required()}
