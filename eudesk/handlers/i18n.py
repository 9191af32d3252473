"""Message catalogs for sr-Latn (default), sr-Cyrl (transliterated), hu and en, and formatting.

Each feature module registers its own messages, so a feature is one file; Serbian Cyrillic is
produced from the Serbian Latin text, leaving {placeholders}, /commands and links untouched.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from eudesk.storage.models import Locale
from eudesk.storage.text import fold, lat_to_cyr

Messages = dict[str, dict[str, str]]  # key -> {"sr-Latn": ..., "hu": ..., "en": ...}

LOCALES = (Locale.SR_LATN, Locale.SR_CYRL, Locale.HU, Locale.EN)
_catalog: dict[str, dict[str, str]] = {}

# Spans that must stay as written in Cyrillic text: placeholders, commands, links, `code`.
_KEEP = re.compile(r"\{[^}]*\}|/[a-z_@]+|https?://\S+|`[^`]*`")


def texts(sr_latn: str, hu: str, en: str) -> dict[str, str]:
    """One message in its three written languages (Cyrillic is made from the Latin)."""
    return {Locale.SR_LATN: sr_latn, Locale.HU: hu, Locale.EN: en}


def register(messages: Messages) -> None:
    """Add a feature's messages; every key needs sr-Latn, hu and en."""
    for key, texts in messages.items():
        missing = {Locale.SR_LATN, Locale.HU, Locale.EN} - set(texts)
        if missing:
            raise ValueError(f"message {key!r} lacks {sorted(missing)}")
        if key in _catalog and _catalog[key] != texts:
            raise ValueError(f"message {key!r} registered twice with different texts")
        cyrillic = texts.get(Locale.SR_CYRL) or to_cyrillic(texts[Locale.SR_LATN])
        # `backticks` only protect a span from transliteration; they are not shown.
        merged = {locale: text.replace("`", "") for locale, text in texts.items()}
        _catalog[key] = merged | {Locale.SR_CYRL: cyrillic}


def to_cyrillic(text: str) -> str:
    """Transliterate Serbian Latin, keeping placeholders, commands and links as they are."""
    out: list[str] = []
    last = 0
    for match in _KEEP.finditer(text):
        out.append(lat_to_cyr(text[last : match.start()]))
        out.append(match.group(0).strip("`") if match.group(0).startswith("`") else match.group(0))
        last = match.end()
    out.append(lat_to_cyr(text[last:]))
    return "".join(out)


def parse_locale(text: str) -> Locale | None:
    """A locale from what people type: sr-Cyrl, ћирилица, latinica, magyar, english ..."""
    key = fold(text).replace("_", "-")
    aliases = {
        Locale.SR_LATN: {"sr-latn", "sr", "latinica", "srpski", "lat", "latin"},
        Locale.SR_CYRL: {"sr-cyrl", "cirilica", "cyrl", "cyrillic", "cir"},
        Locale.HU: {"hu", "magyar", "madjarski", "hungarian"},
        Locale.EN: {"en", "english", "engleski", "angol"},
    }
    for locale, names in aliases.items():
        if key in names:
            return locale
    return None


def has_message(key: str) -> bool:
    return key in _catalog


def translate(locale: str, key: str, **params: object) -> str:
    texts = _catalog.get(key)
    if texts is None:
        raise KeyError(f"no message {key!r}")
    template = texts.get(locale) or texts[Locale.SR_LATN]
    return template.format(**params) if params else template


_MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def format_date(value: date | datetime, locale: str, zone: ZoneInfo) -> str:
    """A date as people in that language write it; datetimes are shown in the local zone."""
    day = value.astimezone(zone).date() if isinstance(value, datetime) else value
    if locale == Locale.HU:
        return f"{day.year}. {day.month:02d}. {day.day:02d}."
    if locale == Locale.EN:
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.day:02d}.{day.month:02d}.{day.year}."


def format_datetime(value: datetime, locale: str, zone: ZoneInfo) -> str:
    local = value.astimezone(zone)
    return f"{format_date(local, locale, zone)} {local:%H:%M}"


def format_money(amount: Decimal, locale: str) -> str:
    """EUR with the separators of the language: 1.234.567,89 € / 1 234 567,89 € / €1,234,567.89."""
    text = f"{amount:,.2f}"  # 1,234,567.89
    if locale == Locale.EN:
        return f"€{text}"
    whole, cents = text.split(".")
    thousands = "\u00a0" if locale == Locale.HU else "."
    return f"{whole.replace(',', thousands)},{cents}\u00a0€"
