"""The only APScheduler import: periodic coroutine jobs on the running event loop."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

logger = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


class Ticker:
    """Named jobs that never overlap themselves; the database, not this, holds the plan."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._scheduler = AsyncIOScheduler(timezone=zone)

    def every(self, name: str, seconds: float, job: Job) -> None:
        """Run `job` now and then every `seconds`; a run still going makes the next one wait."""
        self._scheduler.add_job(
            _guarded(name, job), IntervalTrigger(seconds=seconds, timezone=self._zone), id=name,
            max_instances=1, coalesce=True, next_run_time=datetime.now(self._zone),
        )  # fmt: skip

    def daily(self, name: str, at: time, job: Job) -> None:
        """Run `job` every day at a local time (the job itself skips non-working days)."""
        trigger = CronTrigger(hour=at.hour, minute=at.minute, timezone=self._zone)
        self._scheduler.add_job(
            _guarded(name, job), trigger, id=name, max_instances=1, coalesce=True
        )

    def wake(self, name: str) -> None:
        """Run a job at once (after a data change) instead of waiting for its next tick."""
        job = self._scheduler.get_job(name)
        if job is not None:
            job.modify(next_run_time=datetime.now(self._zone))

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)


def _guarded(name: str, job: Job) -> Callable[[], Awaitable[None]]:
    """A failing run is logged with its traceback and the next tick tries again."""

    async def run() -> None:
        try:
            await job()
        except Exception:
            logger.exception("scheduled job %s failed", name)

    return run
