"""Per-platform send limits that never burst: overall, per chat, per group chat.

Each limit is a sliding-window log over the moments we actually let a message go, plus an
even spacing (count/per) so a full window is not spent in one burst: unlike PTB's AIORateLimiter,
which starts with a burst as large as its rate and trips 429s near the platform's limit
(STYLE.md), no window of `per` seconds ever holds more than `count` grants.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `count` messages in any `per` seconds."""

    count: int
    per: float

    def __post_init__(self) -> None:
        if self.count < 1 or self.per <= 0:
            raise ValueError(f"a rate needs count >= 1 and per > 0, not {self.count}/{self.per}")

    @property
    def interval(self) -> float:
        return self.per / self.count


@dataclass(frozen=True, slots=True)
class PlatformLimits:
    overall: Rate | None = None
    per_chat: Rate | None = None
    per_group: Rate | None = None  # in addition to per_chat, for chats that `is_group`
    group_prefix: str | None = None  # Telegram group and channel ids are negative

    def is_group(self, chat_id: str) -> bool:
        return self.group_prefix is not None and chat_id.startswith(self.group_prefix)


OVERALL_GUARD = 0.015  # seconds added to the overall one-second window


def platform_limits(
    *,
    telegram_per_second: int = 30,
    telegram_per_chat_per_second: int = 1,
    telegram_per_group_per_minute: int = 20,
    slack_per_channel_per_second: int = 1,
) -> dict[str, PlatformLimits]:
    """The limits per platform; the defaults are the ones Telegram and Slack document.

    The overall window is OVERALL_GUARD longer than a second: grants are spaced evenly, and
    network jitter on the way to the platform could otherwise bring 31 arrivals into one of
    its sliding seconds (about 1.5% of the rate, for no 429s).
    """
    return {
        "telegram": PlatformLimits(
            overall=Rate(telegram_per_second, 1.0 + OVERALL_GUARD),
            per_chat=Rate(telegram_per_chat_per_second, 1.0),
            per_group=Rate(telegram_per_group_per_minute, 60.0),
            group_prefix="-",
        ),
        "slack": PlatformLimits(per_chat=Rate(slack_per_channel_per_second, 1.0)),
    }


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The limits per platform; a platform not listed is not limited (the console)."""

    platforms: Mapping[str, PlatformLimits] = field(default_factory=platform_limits)

    @classmethod
    def unlimited(cls) -> RateLimits:
        return cls(platforms={})


class _Window:
    """One rate: the last `count` grant moments, and the earliest moment of the next grant."""

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self.grants: deque[float] = deque(maxlen=rate.count)
        self.next_at = float("-inf")  # the even schedule; theoretical, so overshoot is not lost

    def ready_at(self) -> float:
        at = self.next_at
        if len(self.grants) == self.rate.count:
            at = max(at, self.grants[0] + self.rate.per)
        return at

    def grant(self, now: float) -> None:
        self.grants.append(now)
        # Schedule from the theoretical slot, so a late wake-up (sleep overshoots by a
        # millisecond or so) does not cost throughput; but never let more than a quarter of an
        # interval be caught up, or an idle spell would end in a burst.
        slack = self.rate.interval / 4
        self.next_at = max(self.next_at, now - slack) + self.rate.interval

    def restamp(self, now: float) -> None:
        """Count the latest grant as happening at `now` (when its send completed)."""
        if self.grants and now > self.grants[-1]:
            self.grants[-1] = now
            self.next_at = max(self.next_at, now + self.rate.interval)

    def idle_since(self, now: float) -> bool:
        return not self.grants or now - self.grants[-1] >= self.rate.per


class _Bucket:
    """The windows of one key (a platform, or a chat), granted together under one lock."""

    def __init__(self, rates: list[Rate]) -> None:
        self.windows = [_Window(rate) for rate in rates]
        self.lock = asyncio.Lock()

    def ready_at(self) -> float:
        return max((w.ready_at() for w in self.windows), default=float("-inf"))

    def grant(self, now: float) -> None:
        for window in self.windows:
            window.grant(now)

    def idle(self, now: float) -> bool:
        return not self.lock.locked() and all(w.idle_since(now) for w in self.windows)


class RateLimiter:
    """`await acquire(platform, chat_id)` before each send; waits, never refuses."""

    _SWEEP_EVERY = 1024  # acquisitions between sweeps of idle per-chat buckets

    def __init__(
        self,
        limits: RateLimits | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limits = limits or RateLimits()
        self._clock = clock
        self._sleep = sleep
        self._overall: dict[str, _Bucket] = {}
        self._chats: dict[tuple[str, str], _Bucket] = {}
        self._acquired = 0

    async def acquire(self, platform: str, chat_id: str) -> None:
        limits = self.limits.platforms.get(platform)
        if limits is None:
            return
        chat = self._chat_bucket(platform, chat_id, limits)
        overall = self._overall_bucket(platform, limits)
        # The chat is held while waiting for an overall slot, so its spacing is measured
        # between moments actually granted, not between reservations.
        async with chat.lock:
            await self._wait(chat)
            async with overall.lock:
                await self._wait(overall)
                now = self._clock()
                overall.grant(now)
            chat.grant(now)
        self._acquired += 1
        if self._acquired % self._SWEEP_EVERY == 0:
            self._sweep()

    def done(self, platform: str, chat_id: str) -> None:
        """The send granted last for this chat has completed: the chat's windows count from now.

        A grant is taken before the request leaves; the platform counts when it arrives. Two
        sends a second apart at grant time can arrive closer than that when the first was
        slow on its way, and a strict per-chat limit answers 429. Counting from completion
        (at or after the platform's arrival) keeps a chat's sends at least a second apart
        where the platform counts them; a chat's sends are sequential, so it costs nothing.
        """
        limits = self.limits.platforms.get(platform)
        bucket = self._chats.get((platform, chat_id))
        if limits is None or bucket is None:
            return
        now = self._clock()
        for window in bucket.windows:
            window.restamp(now)

    def pause(self, platform: str, chat_id: str, seconds: float) -> None:
        """After a 429 for this chat: no grant to it before `seconds` have passed."""
        limits = self.limits.platforms.get(platform)
        if limits is None:
            return
        chat = self._chat_bucket(platform, chat_id, limits)
        until = self._clock() + seconds
        for window in chat.windows:
            window.next_at = max(window.next_at, until)

    async def _wait(self, bucket: _Bucket) -> None:
        while (delay := bucket.ready_at() - self._clock()) > 0:
            await self._sleep(delay)

    def _overall_bucket(self, platform: str, limits: PlatformLimits) -> _Bucket:
        bucket = self._overall.get(platform)
        if bucket is None:
            rates = [limits.overall] if limits.overall else []
            bucket = self._overall[platform] = _Bucket(rates)
        return bucket

    def _chat_bucket(self, platform: str, chat_id: str, limits: PlatformLimits) -> _Bucket:
        key = (platform, chat_id)
        bucket = self._chats.get(key)
        if bucket is None:
            rates = [limits.per_chat] if limits.per_chat else []
            if limits.per_group and limits.is_group(chat_id):
                rates.append(limits.per_group)
            bucket = self._chats[key] = _Bucket(rates)
        return bucket

    def _sweep(self) -> None:
        """Forget chats with nothing in their windows, so a fan-out to many chats stays small."""
        now = self._clock()
        for key in [key for key, bucket in self._chats.items() if bucket.idle(now)]:
            del self._chats[key]
