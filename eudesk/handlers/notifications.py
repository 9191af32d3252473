"""Outbox rows as Replies: reminders and cancellation notices, in the subscriber's language."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from eudesk.handlers import deadlines as _deadlines  # registers the deadline kind labels
from eudesk.handlers import i18n
from eudesk.handlers.digests import render_digest
from eudesk.handlers.guideline_notices import render_guideline
from eudesk.handlers.messages import Reply
from eudesk.handlers.notices import BELGRADE, Notification, payload_moment

GUIDELINE_KINDS = frozenset({"guideline", "guideline_reminder"})
del _deadlines

i18n.register(
    {
        "notify.deadline": {"sr-Latn": "Podsetnik: rok {when}",
                            "hu": "Emlékeztető: határidő {when}",
                            "en": "Reminder: deadline {when}"},
        "notify.meeting": {"sr-Latn": "Podsetnik: sastanak {when}",
                           "hu": "Emlékeztető: ülés {when}",
                           "en": "Reminder: meeting {when}"},
        "notify.cancelled": {"sr-Latn": "Otkazano: {title} ({when})", "hu": "Elmarad: {title} "
                             "({when})", "en": "Cancelled: {title} ({when})"},
        "notify.place": {"sr-Latn": "Mesto", "hu": "Helyszín", "en": "Place"},
        "notify.project": {"sr-Latn": "Projekat", "hu": "Projekt", "en": "Project"},
        "notify.programme": {"sr-Latn": "Program", "hu": "Program", "en": "Programme"},
        "notify.chapter": {"sr-Latn": "Poglavlje {number}", "hu": "{number}. fejezet",
                           "en": "Chapter {number}"},
        "notify.footer": {"sr-Latn": "Pretplate: /subscriptions", "hu": "Feliratkozások: "
                          "/subscriptions", "en": "Subscriptions: /subscriptions"},
    }
)  # fmt: skip


def render_notification(entry: Notification, zone: ZoneInfo = BELGRADE) -> Reply:
    """The message a subscriber receives for one outbox row."""
    if entry.kind == "digest":
        return render_digest(entry, zone)
    if entry.kind in GUIDELINE_KINDS:
        return render_guideline(entry, zone)
    data: dict[str, Any] = json.loads(entry.payload or "{}")
    locale = entry.locale
    meeting = data.get("item_type") == "meeting"
    moment = payload_moment(data.get("starts_at") if meeting else data.get("due_at"))
    when = i18n.format_datetime(moment, locale, zone) if moment else "?"
    title = str(data.get("title") or data.get("ref") or "")
    if entry.kind == "cancellation":
        return Reply.text(i18n.translate(locale, "notify.cancelled", title=title, when=when))
    fields: list[tuple[str, str]] = []
    if meeting:
        heading = i18n.translate(locale, "notify.meeting", when=when)
        if data.get("chapter_number"):
            chapter = i18n.translate(locale, "notify.chapter", number=data["chapter_number"])
            fields.append((chapter, title))
        else:
            fields.append(("", title))
        if data.get("place"):
            fields.append((i18n.translate(locale, "notify.place"), str(data["place"])))
    else:
        heading = i18n.translate(locale, "notify.deadline", when=when)
        kind = data.get("kind")
        label = i18n.translate(locale, f"deadlines.kind.{kind}") if kind else ""
        fields.append((label, title))
        if data.get("project_acronym"):
            project = f"{data['project_acronym']} ({data.get('project_code') or ''})"
            fields.append((i18n.translate(locale, "notify.project"), project))
        if data.get("programme_name"):
            fields.append((i18n.translate(locale, "notify.programme"), data["programme_name"]))
    lines = [f"{name}: {value}" if name else value for name, value in fields]
    return Reply(title=heading, lines=lines, footer=i18n.translate(locale, "notify.footer"))
