"""Rate limits on virtual time: never more than the rate in any window, and no time lost."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from collections.abc import Coroutine
from typing import Any

import pytest

from eudesk.schedules.ratelimit import (
    OVERALL_GUARD,
    PlatformLimits,
    Rate,
    RateLimiter,
    RateLimits,
    platform_limits,
)

EPSILON = 1e-9


class VirtualTime:
    """A clock and a sleep for the limiter: time moves only when every task is waiting."""

    def __init__(self, oversleep: random.Random | None = None) -> None:
        self.now = 0.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0
        self._oversleep = oversleep  # wake late by up to 5 ms, as a real loop does

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        late = self._oversleep.uniform(0, 0.005) if self._oversleep else 0.0
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + max(delay, 0.0) + late, self._seq, future))
        self._seq += 1
        await future

    async def run(self, *coroutines: Coroutine[Any, Any, None]) -> None:
        tasks = [asyncio.ensure_future(c) for c in coroutines]
        while not all(task.done() for task in tasks):
            for _ in range(20):  # let every runnable task reach its next sleep or lock
                await asyncio.sleep(0)
            if all(task.done() for task in tasks):
                break
            assert self._timers, "every task waits and no timer is set: a deadlock"
            when, _, future = heapq.heappop(self._timers)
            self.now = max(self.now, when)
            future.set_result(None)
        for task in tasks:
            task.result()


class Grants:
    """Acquires through a limiter and records when each (platform, chat) was let through."""

    def __init__(self, limiter: RateLimiter, time: VirtualTime) -> None:
        self.limiter = limiter
        self.time = time
        self.at: list[tuple[float, str]] = []

    async def send(self, chat_id: str, count: int, platform: str = "telegram") -> None:
        for _ in range(count):
            await self.limiter.acquire(platform, chat_id)
            self.at.append((self.time.now, chat_id))

    def times(self, chat_id: str | None = None) -> list[float]:
        return sorted(t for t, chat in self.at if chat_id is None or chat == chat_id)


def most_in_any_window(times: list[float], per: float) -> int:
    """The largest number of moments in any half-open window [t, t + per)."""
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= per - EPSILON:
            start += 1
        best = max(best, end - start + 1)
    return best


def limiter_on(time: VirtualTime, limits: RateLimits | None = None) -> tuple[RateLimiter, Grants]:
    limiter = RateLimiter(limits, clock=time.clock, sleep=time.sleep)
    return limiter, Grants(limiter, time)


async def test_telegram_overall_rate_is_never_exceeded_and_fully_used() -> None:
    time = VirtualTime()
    _, grants = limiter_on(time)
    await time.run(*(grants.send(str(chat), 1) for chat in range(300)))
    times = grants.times()
    assert most_in_any_window(times, 1.0) == 30
    # Evenly spread, not bursts of 30: no more than 3 (and a start) inside a tenth of a second.
    assert most_in_any_window(times, 0.1) <= 4
    # The full rate (less the jitter guard of the overall window): no slot is wasted.
    assert times[-1] == pytest.approx(299 * (1.0 + OVERALL_GUARD) / 30, abs=0.05)


async def test_each_chat_gets_at_most_one_message_a_second() -> None:
    time = VirtualTime()
    _, grants = limiter_on(time)
    await time.run(*(grants.send(chat, 10) for chat in ("1", "2", "3")))
    for chat in ("1", "2", "3"):
        times = grants.times(chat)
        assert len(times) == 10
        assert all(b - a >= 1.0 - EPSILON for a, b in itertools.pairwise(times))
        assert times[-1] == pytest.approx(9.0, abs=0.2)


async def test_a_group_chat_gets_at_most_twenty_a_minute() -> None:
    time = VirtualTime()
    _, grants = limiter_on(time)
    await time.run(grants.send("-1001234", 45), grants.send("77", 5))
    group = grants.times("-1001234")
    assert most_in_any_window(group, 60.0) == 20
    assert most_in_any_window(group, 1.0) == 1
    assert group[-1] == pytest.approx(44 * 3.0, abs=1.0)  # spread evenly, 3 s apart
    assert grants.times("77")[-1] == pytest.approx(4.0, abs=0.2)  # a private chat is not held up


async def test_slack_limits_each_channel_but_not_the_workspace() -> None:
    time = VirtualTime()
    _, grants = limiter_on(time)
    await time.run(*(grants.send(f"C{n}", 3, platform="slack") for n in range(50)))
    assert most_in_any_window(grants.times(), 1.0) == 50
    for n in range(50):
        assert grants.times(f"C{n}") == pytest.approx([0.0, 1.0, 2.0])


async def test_late_wake_ups_never_push_a_window_over_the_limit() -> None:
    time = VirtualTime(oversleep=random.Random(3))
    _, grants = limiter_on(time)
    await time.run(*(grants.send(str(chat), 4) for chat in range(100)))
    assert most_in_any_window(grants.times(), 1.0) <= 30
    for chat in range(100):
        times = grants.times(str(chat))
        assert all(b - a >= 1.0 - EPSILON for a, b in itertools.pairwise(times))
    assert 400 / grants.times()[-1] >= 0.97 * 30  # overshoot does not cost throughput


async def test_a_429_pauses_the_chat_for_its_retry_after() -> None:
    time = VirtualTime()
    limiter, grants = limiter_on(time)
    await time.run(grants.send("5", 1))
    limiter.pause("telegram", "5", 7.0)
    await time.run(grants.send("5", 1), grants.send("6", 1))
    assert grants.times("5") == pytest.approx([0.0, 7.0])
    assert grants.times("6")[0] <= 1 / 30  # another chat is not held up


async def test_configured_rates_and_unlisted_platforms() -> None:
    time = VirtualTime()
    limits = RateLimits(platforms={"telegram": PlatformLimits(overall=Rate(5, 1.0))})
    _, grants = limiter_on(time, limits)
    await time.run(
        grants.send("1", 10),
        grants.send("2", 10),
        grants.send("console", 100, platform="console"),
    )
    assert most_in_any_window([t for t, c in grants.at if c != "console"], 1.0) == 5
    assert grants.times("console") == [0.0] * 100
    with pytest.raises(ValueError, match="count >= 1"):
        Rate(0, 1.0)


async def test_idle_chats_are_forgotten() -> None:
    time = VirtualTime()
    limiter, grants = limiter_on(time)
    await time.run(*(grants.send(str(chat), 1) for chat in range(RateLimiter._SWEEP_EVERY - 1)))
    time.now += 2.0
    await time.run(grants.send("last", 1))
    assert len(limiter._chats) <= 1


async def test_a_chat_counts_its_second_from_when_the_send_completed() -> None:
    """A send that took 0.3 s on its way: the next to that chat waits a second from its
    completion, so the two arrive at least a second apart where the platform counts."""
    time = VirtualTime()
    limits = RateLimits({"telegram": PlatformLimits(per_chat=Rate(1, 1.0))})
    limiter = RateLimiter(limits, clock=time.clock, sleep=time.sleep)
    granted: list[float] = []

    async def two_sends() -> None:
        for _ in range(2):
            await limiter.acquire("telegram", "1")
            granted.append(time.now)
            await time.sleep(0.3)  # the request on its way and the answer back
            limiter.done("telegram", "1")

    await time.run(two_sends())
    assert granted[0] == 0.0
    assert abs(granted[1] - 1.3) < EPSILON


def test_the_overall_telegram_window_has_a_guard_against_jitter() -> None:
    overall = platform_limits()["telegram"].overall
    assert overall is not None
    assert (overall.count, overall.per) == (30, 1.0 + OVERALL_GUARD)
    assert 0 < OVERALL_GUARD <= 0.03  # at most 3% of the configured rate
