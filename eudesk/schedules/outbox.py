"""The outbox dispatcher: claim due notifications, send them under the rate limits, record.

A claim is committed before anything is sent, and each result is recorded in its own short
transaction, so a crash repeats at worst the messages in flight; the reaper returns the leases
of a dead worker. A chat's rows go out one after another in due order; when one fails, the rest
of that chat's batch waits behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from eudesk.handlers.messages import Reply
from eudesk.schedules.delivery import ChatUnavailable, RateLimited, Sender, TransportError
from eudesk.schedules.ratelimit import RateLimiter
from eudesk.storage.db import Database
from eudesk.storage.models import OutboxEntry
from eudesk.storage.repositories.outbox import OutboxRepository

logger = logging.getLogger(__name__)

Render = Callable[[OutboxEntry], Reply]
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_CAP = timedelta(hours=1)


class _Next(enum.Enum):
    """What a chat's remaining rows do after one row: go on, or stop (deferred or cancelled)."""

    GO_ON = "go on"
    STOP = "stop"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def backoff(attempt: int, rng: random.Random) -> timedelta:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]."""
    doublings = min(max(attempt - 1, 0), 20)  # 5 s * 2^20 is far past the cap already
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (1 << doublings))
    return ceiling * rng.random()


class OutboxDispatcher:
    """One worker of the outbox; several may run against one PostgreSQL and share the work."""

    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        render: Render,
        *,
        worker: str,
        batch: int = 100,
        lease: timedelta = timedelta(seconds=60),
        max_attempts: int = 8,
        per_chat: int = 10,
        idle: float = 1.0,
        limiter: RateLimiter | None = None,
        clock: Callable[[], datetime] = _utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.senders = dict(senders)
        self.render = render
        self.worker = worker
        self.batch = batch
        self.lease = lease
        self.max_attempts = max_attempts
        # At 1 message a second per chat (20 a minute in groups) ten rows take 10-30 s: well
        # inside the default lease, which must outlast the slowest chat of a batch.
        self.per_chat = per_chat
        self.idle = idle
        self.limiter = limiter if limiter is not None else RateLimiter()
        self.clock = clock
        self.rng = rng if rng is not None else random.Random()
        self.sent = 0  # messages this worker delivered (for logs, metrics and tests)

    async def reap(self) -> int:
        """Return expired leases (of workers that died or stalled) to pending."""
        async with self.db.transaction() as session:
            reaped = await OutboxRepository(session).reap(self.clock())
        if reaped:
            logger.warning("outbox: %d expired leases returned to pending", reaped)
        return reaped

    async def run_once(self) -> int:
        """Claim one batch, send it, record each result; returns how many rows were claimed."""
        async with self.db.transaction() as session:
            entries = await OutboxRepository(session).claim(
                self.clock(),
                self.worker,
                self.batch,
                self.lease,
                platforms=self.senders.keys(),
                per_chat=self.per_chat,
            )
        chats: dict[tuple[str, str], list[OutboxEntry]] = {}
        for entry in entries:
            chats.setdefault((entry.platform.value, entry.chat_id), []).append(entry)
        async with asyncio.TaskGroup() as group:
            for rows in chats.values():
                group.create_task(self._deliver_chat(rows))
        return len(entries)

    async def run_forever(self, stop: asyncio.Event, *, lanes: int = 2) -> None:
        """Reap and dispatch until `stop` is set; a failed round is logged and retried.

        Each lane claims and sends batches on its own, so a batch held up by a slow chat does
        not idle the rate limit; lanes never share a chat (a claim skips chats leased already).
        """
        async with asyncio.TaskGroup() as group:
            for lane in range(lanes):
                group.create_task(self._lane(stop, reaper=lane == 0))

    async def _lane(self, stop: asyncio.Event, *, reaper: bool) -> None:
        while not stop.is_set():
            claimed = 0
            try:
                if reaper:
                    await self.reap()
                claimed = await self.run_once()
            except Exception:
                logger.exception("outbox: dispatch round of %s failed", self.worker)
            if claimed == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.idle)

    async def _deliver_chat(self, rows: list[OutboxEntry]) -> None:
        """A chat's rows one after another; after a failure the rest wait behind the failed row."""
        for entry in rows:
            if await self._deliver(entry) is _Next.STOP:
                return

    async def _deliver(self, entry: OutboxEntry) -> _Next:
        """Send one row and record the outcome; STOP when the chat's other rows must wait."""
        platform, chat_id = entry.platform.value, entry.chat_id
        try:
            reply = self.render(entry)
        except Exception as exc:
            logger.exception("outbox: cannot render row %d (%s)", entry.id, entry.kind)
            await self._dead(entry, f"render: {exc!r}")
            return _Next.GO_ON
        try:
            message_id = await self._send(platform, chat_id, reply)
        except RateLimited as exc:
            self.limiter.pause(platform, chat_id, exc.retry_after)
            retry_at = self.clock() + timedelta(seconds=exc.retry_after)
            logger.info("outbox: row %d rate limited, again at %s", entry.id, retry_at)
            await self._retry_later(entry, retry_at, str(exc), count_attempt=False)
            return _Next.STOP
        except ChatUnavailable as exc:
            logger.warning("outbox: row %d: %s; chat cancelled", entry.id, exc)
            async with self.db.transaction() as session:
                repo = OutboxRepository(session)
                await repo.mark_dead(entry.id, str(exc))
                cancelled = await repo.cancel_chat(platform, chat_id)
                if entry.contact_id is not None:
                    await repo.deactivate_contact(entry.contact_id)
            logger.info("outbox: %d more rows to %s:%s cancelled", cancelled, platform, chat_id)
            return _Next.STOP
        except Exception as exc:
            # TransportError, or a sender bug: either way this row backs off and is retried.
            if not isinstance(exc, TransportError):
                logger.exception("outbox: sender for %s failed on row %d", platform, entry.id)
            return await self._failed(entry, exc)
        async with self.db.transaction() as session:
            await OutboxRepository(session).mark_sent(entry.id, message_id, self.clock())
        self.sent += 1
        return _Next.GO_ON

    async def _send(self, platform: str, chat_id: str, reply: Reply) -> str:
        """One send inside the rate limits; the chat's limit counts from its completion."""
        await self.limiter.acquire(platform, chat_id)
        try:
            return await self.senders[platform].send(chat_id, reply)
        finally:
            self.limiter.done(platform, chat_id)

    async def _failed(self, entry: OutboxEntry, exc: Exception) -> _Next:
        attempt = entry.attempts + 1
        error = f"attempt {attempt}: {exc}"
        if attempt >= self.max_attempts:
            logger.error("outbox: row %d dead after %d attempts: %s", entry.id, attempt, exc)
            await self._dead(entry, error)
            return _Next.GO_ON  # this message gave up; the chat's next ones still try
        retry_at = self.clock() + backoff(attempt, self.rng)
        # An operator acts on failing deliveries before they die: one line per failed attempt.
        logger.warning("outbox: row %d failed (attempt %d of %d), again at %s: %s",
                       entry.id, attempt, self.max_attempts, retry_at.isoformat(timespec="seconds"),
                       exc)  # fmt: skip
        await self._retry_later(entry, retry_at, error, count_attempt=True)
        return _Next.STOP

    async def _retry_later(
        self, entry: OutboxEntry, retry_at: datetime, error: str, *, count_attempt: bool
    ) -> None:
        """Reschedule the row, with the rest of its chat queued behind it (one transaction)."""
        async with self.db.transaction() as session:
            repo = OutboxRepository(session)
            await repo.reschedule(entry.id, retry_at, error, count_attempt)
            await repo.defer_chat(
                entry.platform.value, entry.chat_id, entry.id, retry_at, self.worker
            )

    async def _dead(self, entry: OutboxEntry, error: str) -> None:
        async with self.db.transaction() as session:
            await OutboxRepository(session).mark_dead(entry.id, error)
