"""One pydantic row per importable kind: the CSV/XLSX columns, their formats, and the errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
)

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

LOCAL_TZ = ZoneInfo("Europe/Belgrade")
SEPARATOR = "; "


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
    """A file that is neither .csv nor .xlsx."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path.name}: only .csv and .xlsx files can be imported or exported")


class ImportRejected(TransferError):
    """The file has bad rows; nothing was written. Lists every error, one per line."""

    def __init__(self, kind: str, path: Path, errors: list[RowError]) -> None:
        self.kind = kind
        self.path = path
        self.errors = sorted(errors, key=lambda e: (e.line, e.column or ""))
        lines = "\n".join(str(e) for e in self.errors)
        super().__init__(f"{path.name}: {kind} not imported, {len(errors)} error(s):\n{lines}")


# --- cell formats (parse on import, format on export; each pair round-trips) -----------------

_PLAIN_MONEY = re.compile(r"\d+(\.\d{1,2})?")
# Serbian Excel writes 12.500,00: dots group thousands (strictly by three), a comma before cents.
_SERBIAN_MONEY = re.compile(r"\d{1,3}(\.\d{3})*(,\d{1,2})?|\d+,\d{1,2}")
_SERBIAN_DAY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})\.?")


def parse_money(value: Any) -> Any:
    """EUR: "12500.00", "12500", or Serbian "12.500,00" / "12500,5"; at most two decimals."""
    if not isinstance(value, str):
        return value
    if _PLAIN_MONEY.fullmatch(value):
        text = value
    elif _SERBIAN_MONEY.fullmatch(value):
        text = value.replace(".", "").replace(",", ".")
    else:
        raise ValueError(f"{value!r} is not an amount in EUR; write 12500.00 (or 12.500,00)")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the patterns admit only digits
        raise ValueError(f"{value!r} is not an amount") from exc


def format_money(value: Decimal) -> str:
    return f"{value:.2f}"


def parse_day(value: Any) -> Any:
    """A date: ISO "2026-12-15" or Serbian "15.12.2026."."""
    if not isinstance(value, str):
        return value
    if match := _SERBIAN_DAY.fullmatch(value):
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a date: {exc}") from exc
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date; write YYYY-MM-DD") from None


def format_day(value: date) -> str:
    return value.isoformat()


def _moment(value: str, *, date_means_end_of_day: bool) -> datetime:
    """Local "YYYY-MM-DD HH:MM" (or ISO with an offset) to an aware UTC datetime."""
    if _SERBIAN_DAY.fullmatch(value) or re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        if not date_means_end_of_day:
            raise ValueError(f"{value!r} has no time; write YYYY-MM-DD HH:MM")
        local = datetime.combine(parse_day(value), time(23, 59), LOCAL_TZ)
        return local.astimezone(UTC)
    serbian = re.fullmatch(r"(\d{1,2}\.\d{1,2}\.\d{4}\.?)\s+(\d{1,2}:\d{2})", value)
    try:
        if serbian:
            parsed = datetime.combine(parse_day(serbian[1]), time.fromisoformat(serbian[2]))
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date and time; write YYYY-MM-DD HH:MM") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LOCAL_TZ)
    return parsed.astimezone(UTC)


def parse_due(value: Any) -> Any:
    """A due moment; a plain date means 23:59 local time that day."""
    return _moment(value, date_means_end_of_day=True) if isinstance(value, str) else value


def parse_moment(value: Any) -> Any:
    """A moment that needs its time of day (meetings)."""
    return _moment(value, date_means_end_of_day=False) if isinstance(value, str) else value


def format_moment(value: datetime) -> str:
    local = value.astimezone(LOCAL_TZ)
    return local.strftime("%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M")


def split_list(value: Any) -> Any:
    """A "; "-separated cell to a tuple of its non-empty, stripped items."""
    if not isinstance(value, str):
        return value
    return tuple(item.strip() for item in value.split(";") if item.strip())


_EMAIL = re.compile(r"[^@\s;,<>]+@[^@\s;,<>]+\.[^@\s;,<>.]{2,}")


def check_email(value: str | None) -> str | None:
    if value is not None and not _EMAIL.fullmatch(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


Money = Annotated[Decimal, BeforeValidator(parse_money), Field(ge=0, max_digits=14, decimal_places=2)]
Day = Annotated[date, BeforeValidator(parse_day)]
Due = Annotated[datetime, BeforeValidator(parse_due)]
Moment = Annotated[datetime, BeforeValidator(parse_moment)]
Codes = Annotated[tuple[str, ...], BeforeValidator(split_list)]


@dataclass(frozen=True)
class Partner:
    """A project partner cell item: a body code, or "Name [CC]" ("Name []": country unknown)."""

    body_code: str | None = None
    name: str | None = None
    country: str | None = None

    @classmethod
    def parse(cls, item: str) -> Partner:
        named = re.fullmatch(r"(.+?)\s*\[([^\[\]]*)\]", item)
        if named:
            return cls(name=named[1], country=named[2].strip() or None)
        if re.search(r"[\s\[\]]", item):
            raise ValueError(f"{item!r}: write a body code or a name with a country: Name [HU]")
        return cls(body_code=item)

    def __str__(self) -> str:
        return self.body_code or f"{self.name} [{self.country or ''}]"


def parse_partner(value: Any) -> Any:
    return Partner.parse(value) if isinstance(value, str) else value


def parse_partners(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return tuple(Partner.parse(item) for item in split_list(value))


Partners = Annotated[tuple[Partner, ...], BeforeValidator(parse_partners)]
LeadPartner = Annotated[Partner, BeforeValidator(parse_partner)]


def not_before(earlier: str) -> Any:
    """A validator: this field may not be earlier than the field named `earlier`."""

    def check(value: Any, info: ValidationInfo) -> Any:
        other = info.data.get(earlier)
        if value is not None and other is not None and value < other:
            raise ValueError(f"is before {earlier}")
        return value

    return AfterValidator(check)


class ProjectRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(max_length=40)
    acronym: str = Field(max_length=60)
    title: str = Field(max_length=400)
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
    title: str = Field(max_length=400)
    due: Due
    project: str | None = Field(default=None, max_length=40)
    programme: str | None = Field(default=None, max_length=40)
    bodies: Codes | None = None
    status: DeadlineStatus | None = None
    notes: str | None = None


class MeetingRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    ref: str = Field(max_length=40)
    title: str = Field(max_length=300)
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
    name: str = Field(max_length=200)
    position: str | None = Field(default=None, max_length=200)
    email: Annotated[str | None, AfterValidator(check_email)] = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=60)
    locale: Locale | None = None
    telegram_chat_id: str | None = Field(default=None, pattern=r"^-?\d{1,20}$")
    slack_channel: str | None = Field(default=None, max_length=60)
    active: bool | None = None


class PassportRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    reference: str = Field(max_length=40)
    kind: PassportKind
    holder_name: str = Field(max_length=200)
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


def required_columns(model: type[BaseModel]) -> set[str]:
    return {name for name, field in model.model_fields.items() if field.is_required()}
