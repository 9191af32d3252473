"""The only APScheduler import: periodic coroutine jobs on the running event loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

logger = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]

# APScheduler logs each run at INFO ("Running job ...", "Job ... executed successfully": two
# lines every 15 s) and each job it adds or starts. Nothing in them needs an operator; they are
# DEBUG here. Its warnings (a run skipped or missed) and errors pass unchanged.
ROUTINE_LOGGERS = ("apscheduler.scheduler", "apscheduler.executors.default")


class _Routine(logging.Filter):
    """INFO records become DEBUG ones, dropped unless the root logger is at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        if not logging.getLogger().isEnabledFor(logging.DEBUG):
            return False
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


def _quiet_routine_lines() -> None:
    for name in ROUTINE_LOGGERS:
        routine = logging.getLogger(name)
        if not any(isinstance(f, _Routine) for f in routine.filters):
            routine.addFilter(_Routine())


_quiet_routine_lines()


class Ticker:
    """Named jobs that never overlap themselves; the database, not this, holds the plan."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._scheduler = AsyncIOScheduler(timezone=zone)
        # A wake while the job runs would be skipped (max_instances=1): it is remembered
        # here instead, and the job runs once more as soon as the current run ends.
        self._running: set[str] = set()
        self._again: set[str] = set()
        self._idle = asyncio.Event()  # no run in flight: what stop() waits for
        self._idle.set()
        self._stopping = False

    def every(self, name: str, seconds: float, job: Job) -> None:
        """Run `job` now and then every `seconds`; a run still going makes the next one wait."""
        self._scheduler.add_job(
            self._guarded(name, job), IntervalTrigger(seconds=seconds, timezone=self._zone),
            id=name, max_instances=1, coalesce=True, next_run_time=datetime.now(self._zone),
        )  # fmt: skip

    def daily(self, name: str, at: time, job: Job) -> None:
        """Run `job` every day at a local time (the job itself skips non-working days)."""
        trigger = CronTrigger(hour=at.hour, minute=at.minute, timezone=self._zone)
        self._scheduler.add_job(
            self._guarded(name, job), trigger, id=name, max_instances=1, coalesce=True
        )

    def wake(self, name: str) -> None:
        """Run a job at once (after a data change) instead of waiting for its next tick; if it
        is running now, once more when that run ends (the change may have come too late)."""
        if self._stopping:
            return
        if name in self._running:
            self._again.add(name)
            return
        job = self._scheduler.get_job(name)
        if job is not None:
            job.modify(next_run_time=datetime.now(self._zone))

    def _guarded(self, name: str, job: Job) -> Callable[[], Awaitable[None]]:
        """A failing run is logged with its traceback and the next tick tries again."""

        async def run() -> None:
            self._running.add(name)
            self._idle.clear()
            try:
                while True:
                    self._again.discard(name)
                    try:
                        await job()
                    except Exception:
                        logger.exception("scheduled job %s failed", name)
                    if name not in self._again or self._stopping:
                        break
            finally:
                self._running.discard(name)
                if not self._running:
                    self._idle.set()

        return run

    def start(self) -> None:
        self._scheduler.start()

    async def stop(self, grace: float = 30.0) -> None:
        """No new runs; the runs in flight finish (up to `grace` seconds), then shut down.

        APScheduler's asyncio executor cancels running jobs on shutdown, whatever `wait` says:
        a planner tick cancelled inside a database call logged a CancelledError traceback and,
        on SQLite, could leave the process waiting on the write lock."""
        if not self._scheduler.running:
            return
        self._stopping = True
        self._scheduler.pause()
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            logger.warning("scheduled jobs %s still running after %.0f s; cancelled",
                           ", ".join(sorted(self._running)), grace)  # fmt: skip
        self._scheduler.shutdown(wait=False)
