"""The Ticker: a wake during a run is not lost, a failing run does not stop the job."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from eudesk.schedules.scheduler import Ticker

HOUR = 3600.0  # the interval never comes round during a test: only the first run and wakes


async def test_a_wake_during_a_run_runs_the_job_once_more() -> None:
    ticker = Ticker(ZoneInfo("Europe/Belgrade"))
    started, release, second = asyncio.Event(), asyncio.Event(), asyncio.Event()
    runs = 0

    async def job() -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            started.set()
            await release.wait()
        else:
            second.set()

    ticker.every("job", HOUR, job)
    ticker.start()
    try:
        await asyncio.wait_for(started.wait(), 10)
        ticker.wake("job")  # arrives while the first run is still going
        ticker.wake("job")  # and twice: still one more run, not two
        release.set()
        await asyncio.wait_for(second.wait(), 10)
        await asyncio.sleep(0.2)
        assert runs == 2
    finally:
        await ticker.stop()


async def test_a_failing_run_is_logged_and_the_next_wake_runs_again() -> None:
    ticker = Ticker(ZoneInfo("Europe/Belgrade"))
    runs: list[int] = []
    failed, done = asyncio.Event(), asyncio.Event()

    async def job() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            failed.set()
            raise RuntimeError("first run fails")
        done.set()

    ticker.every("job", HOUR, job)
    ticker.start()
    try:
        await asyncio.wait_for(failed.wait(), 10)
        ticker.wake("job")  # during or after the failing run: either way it runs again
        await asyncio.wait_for(done.wait(), 10)
        assert runs == [0, 1]
    finally:
        await ticker.stop()


async def test_stop_lets_a_run_in_flight_finish_instead_of_cancelling_it() -> None:
    ticker = Ticker(ZoneInfo("Europe/Belgrade"))
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def job() -> None:
        started.set()
        try:
            await release.wait()
            finished.append("done")
        except asyncio.CancelledError:
            finished.append("cancelled")
            raise

    ticker.every("job", HOUR, job)
    ticker.start()
    await asyncio.wait_for(started.wait(), 10)
    stopping = asyncio.create_task(ticker.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waits for the run instead of cancelling it
    ticker.wake("job")  # a wake while stopping starts nothing new
    release.set()
    await asyncio.wait_for(stopping, 10)
    assert finished == ["done"]
