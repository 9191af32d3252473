"""Cell formats: parse on import, format on export, each pair round-trips; times are local.

The local zone comes from the validation context (`{"zone": ZoneInfo}`, see `zone_of`); the
export formats take it as an argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, get_args
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo

DEFAULT_ZONE = ZoneInfo("Europe/Belgrade")
SEPARATOR = "; "

_PLAIN_MONEY = re.compile(r"\d+(\.\d{1,2})?")
# Serbian Excel writes 12.500,00: dots group thousands (strictly by three), a comma before cents.
# Without the comma "12.500" could be either reading, so it is refused rather than guessed.
_SERBIAN_MONEY = re.compile(r"\d{1,3}(\.\d{3})+,\d{1,2}|\d+,\d{1,2}")
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


def zone_of(info: ValidationInfo) -> ZoneInfo:
    """The local zone a row is read in: the validation context's "zone", else DEFAULT_ZONE."""
    zone = info.context.get("zone") if isinstance(info.context, dict) else None
    return zone if isinstance(zone, ZoneInfo) else DEFAULT_ZONE


def is_day(annotation: Any) -> bool:
    """Whether a field's type is a calendar date (a Day column), not a moment."""
    return annotation is date or any(is_day(arg) for arg in get_args(annotation))


def _moment(value: str, zone: ZoneInfo, *, date_means_end_of_day: bool) -> datetime:
    """Local "YYYY-MM-DD HH:MM" (or ISO with an offset) to an aware UTC datetime."""
    if _SERBIAN_DAY.fullmatch(value) or re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        if not date_means_end_of_day:
            raise ValueError(f"{value!r} has no time; write YYYY-MM-DD HH:MM")
        local = datetime.combine(parse_day(value), time(23, 59), zone)
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
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def parse_due(value: Any, info: ValidationInfo) -> Any:
    """A due moment; a plain date means 23:59 local time that day."""
    if not isinstance(value, str):
        return value
    return _moment(value, zone_of(info), date_means_end_of_day=True)


def parse_moment(value: Any, info: ValidationInfo) -> Any:
    """A moment that needs its time of day (meetings)."""
    if not isinstance(value, str):
        return value
    return _moment(value, zone_of(info), date_means_end_of_day=False)


def format_moment(value: datetime, zone: ZoneInfo) -> str:
    local = value.astimezone(zone)
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


def check_chat_id(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"-?\d{1,20}", value):
        raise ValueError(f"{value!r} is not a Telegram chat id (a number)")
    return value


Money = Annotated[
    Decimal, BeforeValidator(parse_money), Field(ge=0, max_digits=14, decimal_places=2)
]
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
