"""One reminder to acknowledge a guideline, N working days after it reached a contact."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from eudesk.schedules.calendar import Window, WorkingCalendar
from eudesk.storage.db import Database
from eudesk.storage.repositories.broadcasts import BroadcastRepository

logger = logging.getLogger(__name__)

CHUNK = 500


class AckReminderPlanner:
    """Queues the reminder for deliveries sent `days` working days ago and still unacknowledged.

    Contacts have no quiet hours of their own: the reminder goes out in the default working
    hours (08:00–18:00 local on working days), at the first allowed moment from now.
    """

    def __init__(
        self,
        db: Database,
        *,
        calendar: WorkingCalendar,
        days: int,
        clock: Callable[[], datetime],
        window: Window | None = None,
    ) -> None:
        self._db = db
        self._calendar = calendar
        self._days = days
        self._clock = clock
        self._window = window or Window()

    def sent_before(self, now: datetime) -> datetime:
        """The latest send moment that is `days` working days old now: the same local time of
        day, `days` working days back (a Friday-morning send is due the next Wednesday morning
        for 3 days, a holiday in between adds a day)."""
        local = now.astimezone(self._calendar.zone)
        day = self._calendar.add_working_days(local.date(), -self._days)
        return local.replace(year=day.year, month=day.month, day=day.day).astimezone(now.tzinfo)

    async def plan_once(self) -> int:
        """Queue the reminders that are due; returns how many were queued."""
        now = self._clock()
        cutoff = self.sent_before(now)
        # Into working hours: now if allowed, else the next allowed moment.
        at = self._calendar.place(now, self._window, now=now, not_after=now + timedelta(days=30))
        queued = 0
        while True:
            async with self._db.transaction() as session:
                repo = BroadcastRepository(session)
                due = await repo.due_ack_reminders(cutoff, CHUNK)
                queued += await repo.queue_ack_reminders(due, at or now, now)
            if len(due) < CHUNK:
                break
        if queued:
            logger.info("queued %d reminders to acknowledge a guideline", queued)
        return queued
