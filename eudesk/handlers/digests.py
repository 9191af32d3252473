"""A digest outbox row as a Reply: what is coming in the next days, one line per item."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from eudesk.handlers import i18n
from eudesk.handlers.messages import Reply
from eudesk.handlers.notices import payload_moment
from eudesk.storage.models import Locale

i18n.register(
    {
        # Serbian counts take three forms: 1 (and 21, 31 ...), 2–4 (22–24 ...), the rest.
        "digest.title.one": {"sr-Latn": "Pregled za {date}: {count} rok ili sastanak u narednih "
                             "{days} dana",
                             "hu": "Összefoglaló, {date}: {count} határidő és ülés a következő "
                             "{days} napban",
                             "en": "Digest for {date}: {count} deadline or meeting in the next "
                             "{days} days"},
        "digest.title.few": {"sr-Latn": "Pregled za {date}: {count} roka i sastanka u narednih "
                             "{days} dana",
                             "hu": "Összefoglaló, {date}: {count} határidő és ülés a következő "
                             "{days} napban",
                             "en": "Digest for {date}: {count} deadlines and meetings in the "
                             "next {days} days"},
        "digest.title.many": {"sr-Latn": "Pregled za {date}: {count} rokova i sastanaka u "
                              "narednih {days} dana",
                              "hu": "Összefoglaló, {date}: {count} határidő és ülés a "
                              "következő {days} napban",
                              "en": "Digest for {date}: {count} deadlines and meetings in the "
                              "next {days} days"},
        "digest.deadline": {"sr-Latn": "rok", "hu": "határidő", "en": "deadline"},
        "digest.meeting": {"sr-Latn": "sastanak", "hu": "ülés", "en": "meeting"},
        "digest.chapter": {"sr-Latn": "poglavlje {number}", "hu": "{number}. fejezet",
                           "en": "chapter {number}"},
        "digest.more": {"sr-Latn": "… i još {count}", "hu": "… és még {count}",
                        "en": "… and {count} more"},
        "digest.footer": {"sr-Latn": "Pretplate: /subscriptions", "hu": "Feliratkozások: "
                          "/subscriptions", "en": "Subscriptions: /subscriptions"},
    }
)  # fmt: skip


class DigestEntry(Protocol):
    """What rendering needs of a digest outbox row."""

    locale: str
    payload: str


def render_digest(entry: DigestEntry, zone: ZoneInfo) -> Reply:
    """The digest message: a heading with the count, one line per item, "and N more"."""
    data: dict[str, Any] = json.loads(entry.payload or "{}")
    locale = entry.locale
    items = [item for item in data.get("items") or [] if isinstance(item, dict)]
    more = _count(data.get("more"))
    total = len(items) + more
    day = _date(data.get("date"))
    heading = i18n.translate(
        locale, f"digest.title.{plural(locale, total)}",
        date=i18n.format_date(day, locale, zone) if day else "?", count=total,
        days=_count(data.get("days")),
    )  # fmt: skip
    lines = [_line(item, locale, zone) for item in items]
    if more:
        lines.append(i18n.translate(locale, "digest.more", count=more))
    return Reply(title=heading, lines=lines, footer=i18n.translate(locale, "digest.footer"))


def plural(locale: str, count: int) -> str:
    """The plural form a count takes: one, few or many (Serbian has all three)."""
    if locale in (Locale.SR_LATN, Locale.SR_CYRL):
        if count % 10 == 1 and count % 100 != 11:
            return "one"
        if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
            return "few"
        return "many"
    return "one" if count == 1 else "many"


def _line(item: dict[str, Any], locale: str, zone: ZoneInfo) -> str:
    """ "02.12. 10:00 — rok: Interim report (TISA)" in the reader's language and zone."""
    meeting = item.get("type") == "meeting"
    moment = payload_moment(item.get("moment"))
    when = short_datetime(moment, locale, zone) if moment else "?"
    label = i18n.translate(locale, "digest.meeting" if meeting else "digest.deadline")
    title = str(item.get("title") or item.get("ref") or "")
    if meeting and item.get("chapter"):
        where = i18n.translate(locale, "digest.chapter", number=item["chapter"])
    else:
        where = str(item.get("project") or "")
    return f"{when} — {label}: {title}" + (f" ({where})" if where else "")


def short_datetime(moment: datetime, locale: str, zone: ZoneInfo) -> str:
    """Day, month and time without the year: the heading names it, the reach is two weeks."""
    local = moment.astimezone(zone)
    if locale == Locale.HU:
        return f"{local.month:02d}. {local.day:02d}. {local:%H:%M}"
    if locale == Locale.EN:
        return f"{i18n.format_date(local, locale, zone).rsplit(' ', 1)[0]} {local:%H:%M}"
    return f"{local.day:02d}.{local.month:02d}. {local:%H:%M}"


def _count(value: object) -> int:
    return value if isinstance(value, int) and value > 0 else 0


def _date(text: object) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
