"""Guideline notifications: the guideline with its Acknowledge button, and the reminder."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from eudesk.handlers import guidelines as _guidelines  # registers the button label
from eudesk.handlers import i18n
from eudesk.handlers.messages import Button, Reply
from eudesk.handlers.notices import BELGRADE, Notification, payload_moment

SUMMARY_CHARS = 1500  # a guideline's summary is a paragraph; the link carries the rest
del _guidelines

i18n.register(
    {
        "notice.guideline": {"sr-Latn": "Nova smernica {ref}", "hu": "Új irányelv: {ref}",
                             "en": "New guideline {ref}"},
        "notice.guideline_reminder": {
            "sr-Latn": "Podsetnik: potvrdite prijem smernice {ref}",
            "hu": "Emlékeztető: kérjük, nyugtázza a(z) {ref} irányelv átvételét",
            "en": "Reminder: please acknowledge guideline {ref}",
        },
        "notice.published": {"sr-Latn": "Objavljeno", "hu": "Közzétéve", "en": "Published"},
        "notice.ack_footer": {
            "sr-Latn": "Prijem potvrdite dugmetom ili komandom /ack {ref}.",
            "hu": "Az átvételt a gombbal vagy a /ack {ref} paranccsal nyugtázhatja.",
            "en": "Acknowledge with the button or with /ack {ref}.",
        },
        "notice.info_footer": {"sr-Latn": "Pretplate: /subscriptions", "hu": "Feliratkozások: "
                               "/subscriptions", "en": "Subscriptions: /subscriptions"},
    }
)  # fmt: skip


def render_guideline(entry: Notification, zone: ZoneInfo = BELGRADE) -> Reply:
    """A guideline as its contact (with the Acknowledge button) or a subscriber receives it."""
    data: dict[str, Any] = json.loads(entry.payload or "{}")
    locale = entry.locale
    ref = str(data.get("ref") or "")
    reminder = entry.kind == "guideline_reminder"
    heading = i18n.translate(locale, f"notice.{'guideline_reminder' if reminder else 'guideline'}",
                             ref=ref)  # fmt: skip
    lines = [str(data.get("title") or "")]
    summary = " ".join(str(data.get("summary") or "").split())
    if summary and not reminder:
        lines.append(summary if len(summary) <= SUMMARY_CHARS else summary[:SUMMARY_CHARS] + "…")
    if data.get("link"):
        lines.append(str(data["link"]))
    fields = []
    published = payload_moment(data.get("published_at"))
    if published is not None:
        fields.append((i18n.translate(locale, "notice.published"),
                       i18n.format_date(published, locale, zone)))  # fmt: skip
    if not data.get("ack"):
        return Reply(title=heading, lines=lines, fields=fields,
                     footer=i18n.translate(locale, "notice.info_footer"))  # fmt: skip
    return Reply(
        title=heading,
        lines=lines,
        fields=fields,
        buttons=[Button(i18n.translate(locale, "guidelines.button", ref=ref), f"/ack {ref}")],
        footer=i18n.translate(locale, "notice.ack_footer", ref=ref),
    )
