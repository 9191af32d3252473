"""Outbox payloads rendered as messages in each language, in Belgrade time."""

from __future__ import annotations

import json
from dataclasses import dataclass

from eudesk.handlers.i18n import to_cyrillic
from eudesk.handlers.notifications import render_notification


@dataclass
class Row:
    kind: str
    locale: str
    payload: str


DEADLINE = json.dumps({
    "item_type": "deadline", "item_id": 7, "ref": "DL-7", "title": "Interim report",
    "kind": "report", "due_at": "2026-12-15T11:00:00+00:00", "project_code": "HUSRB-1",
    "project_acronym": "TISA", "programme_name": "Interreg VI-A IPA Hungary-Serbia",
    "lead": "3d",
})  # fmt: skip
MEETING = json.dumps({
    "item_type": "meeting", "item_id": 3, "ref": "M-3", "title": "Negotiating group 23",
    "starts_at": "2027-03-29T08:00:00+00:00", "place": "Novi Sad", "chapter_number": 23,
})  # fmt: skip


def test_a_deadline_reminder_in_serbian_is_in_belgrade_time() -> None:
    text = render_notification(Row("reminder", "sr-Latn", DEADLINE)).plain()
    assert "Podsetnik: rok 15.12.2026. 12:00" in text  # 11:00 UTC is 12:00 in winter
    assert "Izveštaj: Interim report" in text
    assert "TISA (HUSRB-1)" in text


def test_a_meeting_reminder_after_the_spring_clock_change() -> None:
    text = render_notification(Row("reminder", "en", MEETING)).plain()
    assert "Reminder: meeting 29 Mar 2027 10:00" in text  # 08:00 UTC is 10:00 in summer
    assert "Chapter 23: Negotiating group 23" in text
    assert "Place: Novi Sad" in text


def test_cyrillic_and_hungarian() -> None:
    cyrillic = render_notification(Row("reminder", "sr-Cyrl", DEADLINE)).plain()
    assert to_cyrillic("Podsetnik: rok") in cyrillic
    hungarian = render_notification(Row("reminder", "hu", DEADLINE)).plain()
    assert "Emlékeztető: határidő 2026. 12. 15. 12:00" in hungarian


def test_a_cancellation_notice() -> None:
    text = render_notification(Row("cancellation", "en", DEADLINE)).plain()
    assert text == "Cancelled: Interim report (15 Dec 2026 12:00)"


def test_a_broken_payload_still_renders() -> None:
    assert render_notification(Row("reminder", "en", '{"title": "x"}')).plain().strip()
