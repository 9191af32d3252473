"""The reminder service: the planner on a tick, the outbox dispatcher in a loop, one lifecycle."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from eudesk.handlers.notifications import render_notification
from eudesk.schedules.calendar import WorkingCalendar
from eudesk.schedules.delivery import Sender
from eudesk.schedules.digest import DigestPlanner
from eudesk.schedules.guideline_reminders import AckReminderPlanner
from eudesk.schedules.outbox import OutboxDispatcher
from eudesk.schedules.planner import Planner, calendar_place
from eudesk.schedules.ratelimit import RateLimiter, RateLimits
from eudesk.schedules.scheduler import Ticker
from eudesk.storage.db import Database
from eudesk.storage.models import utcnow
from eudesk.storage.retention import anonymise_expired

logger = logging.getLogger(__name__)

PLAN_EVERY_SECONDS = 15


@dataclass(frozen=True, slots=True)
class ReminderOptions:
    """What an operator can tune (the EUDESK_* settings feed it)."""

    limits: RateLimits = field(default_factory=RateLimits)
    max_attempts: int = 8
    lease: timedelta = timedelta(seconds=60)  # a claimed row returns to pending after this
    digest_time: time = time(8, 0)  # local time of the digest on working days
    guideline_reminder_days: int = 3  # working days before an unacknowledged guideline is re-sent
    retention_years: int = 5  # passport and visa data is anonymised this long after validity
    retention_time: time = time(3, 0)  # local time of the daily retention run


class ReminderService:
    """Plans every PLAN_EVERY_SECONDS (and at once on wake()); sends until stopped."""

    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        *,
        zone: ZoneInfo,
        options: ReminderOptions | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        options = options if options is not None else ReminderOptions()
        self.options = options
        self._db, self._zone, self._clock = db, zone, clock
        calendar = WorkingCalendar(zone)
        self.planner = Planner(db, place=calendar_place(calendar), clock=clock, calendar=calendar)
        self.dispatcher = OutboxDispatcher(
            db, senders, partial(render_notification, zone=zone),
            worker=f"{socket.gethostname()}:{id(self):x}", clock=clock,
            limiter=RateLimiter(options.limits), max_attempts=options.max_attempts,
            lease=options.lease,
        )  # fmt: skip
        self.digests = DigestPlanner(
            db, calendar=calendar, zone=zone, at=options.digest_time, clock=clock
        )
        self.ack_reminders = AckReminderPlanner(
            db, calendar=calendar, days=options.guideline_reminder_days, clock=clock
        )
        self._ticker = Ticker(zone)
        self._stop = asyncio.Event()
        self._sending: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # Plan before sending: after downtime the planner first collapses missed reminders to
        # the latest one per item, and a dispatcher started earlier could send the stale ones.
        await self.plan()
        self._ticker.every("planner", PLAN_EVERY_SECONDS, self.plan)
        self._ticker.daily("retention", self.options.retention_time, self.retain)
        self._ticker.start()
        self._sending = asyncio.create_task(self.dispatcher.run_forever(self._stop))

    async def plan(self) -> None:
        """One tick: reminders, digests, reminders to acknowledge guidelines; a failing step is
        logged and does not keep the others from running. It runs once before sending starts:
        after downtime it collapses missed reminders and cancels earlier days' digests."""
        for step, run in (
            ("reminders", self.planner.plan_once),
            ("digests", self.digests.plan_once),
            ("guideline reminders", self.ack_reminders.plan_once),
        ):
            try:
                await run()
            except Exception:
                logger.exception("planning %s failed", step)

    async def retain(self) -> None:
        """Anonymise the passport and visa records past their retention (daily, at night)."""
        report = await anonymise_expired(
            self._db, years=self.options.retention_years, now=self._clock(), zone=self._zone
        )
        logger.info("retention: %s", report.detail())

    def wake(self) -> None:
        """Plan now: data changed (an import, a moved deadline)."""
        self._ticker.wake("planner")

    async def stop(self) -> None:
        """Stop planning, let the messages in flight finish, then return."""
        await self._ticker.stop()
        self._stop.set()
        if self._sending is not None:
            await self._sending
