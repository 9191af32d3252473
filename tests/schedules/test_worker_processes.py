"""The outbox against a loopback Bot API: workers killed again and again, three at once, flaky.

The worker processes are the real CLI; they need PostgreSQL (SQLite serialises claims within one
process only), so those tests exist when EUDESK_TEST_DATABASE_URL is set. The flaky-API test runs
the real dispatcher and TelegramTransport in this process, on every backend.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import IO

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from eudesk.bot.app import build_dispatcher
from eudesk.bot.settings import Settings
from eudesk.bot.transports.telegram import TelegramTransport
from eudesk.handlers.notifications import render_notification
from eudesk.schedules.outbox import OutboxDispatcher
from eudesk.schedules.ratelimit import RateLimiter, RateLimits, platform_limits
from eudesk.storage.db import Database
from eudesk.storage.models import OutboxEntry, OutboxState, Platform
from tests.bot.fake_telegram import FakeBotApi
from tests.databases import postgres_base_url, throwaway_database

# The dispatcher process: reminders and send-only transports (no polling), /healthz on HTTP.
WORKER_COMMAND = ("run", "--only", "worker")
READY = re.compile(r"HTTP on port (\d+)")  # the line `eudesk run` prints once it is up
TOKEN = "123456:AAF-worker-Token_for_tests"
FIRST_CHAT = 700_000
OVERALL = 600.0  # seconds: a bound so a bug fails the test instead of hanging it, not a timing
POLL = 0.02
# Only PostgreSQL shares the outbox between processes; without it these tests have no parameter
# and pytest reports them as skipped ("got empty parameter set").
ON_POSTGRES = pytest.mark.parametrize("pg", ["postgresql"] if postgres_base_url() else [])


# The fan-out --------------------------------------------------------------------------------


async def fan_out(db: Database, count: int, *, chats: int, tag: str) -> set[str]:
    """`count` rows, due now, over `chats` chats in turn, each titled "<tag>-<n>"; the titles."""
    due = datetime.now(UTC) - timedelta(minutes=1)
    titles = [f"{tag}-{n:05d}" for n in range(count)]
    rows = [
        OutboxEntry(
            dedupe_key=f"{tag}:{n}",
            platform=Platform.TELEGRAM,
            chat_id=str(FIRST_CHAT + n % chats),
            # Not "reminder": the planner keeps one overdue reminder per item, and these rows
            # have no item. Any other kind renders as a notice with the payload's title.
            kind="notice",
            payload=json.dumps({"title": title, "due_at": due.isoformat()}),
            due_at=due + timedelta(milliseconds=n),  # a chat's rows in order
        )
        for n, title in enumerate(titles)
    ]
    async with db.transaction() as session:
        session.add_all(rows)
    return set(titles)


def titles_in(text: str, tag: str) -> list[str]:
    return re.findall(rf"{re.escape(tag)}-\d{{5}}", text)


def received(fake: FakeBotApi, tag: str) -> Counter[str]:
    """How many times each title reached the fake (a delivery, not a refused attempt)."""
    counts: Counter[str] = Counter()
    for (_, text), times in fake.deliveries.items():
        for title in titles_in(text, tag):
            counts[title] += times
    return counts


def out_of_order(fake: FakeBotApi, tag: str) -> list[int]:
    """Chats whose messages arrived out of due order (the titles number them in due order)."""
    arrived: dict[int, list[str]] = {}
    for send in fake.sends:
        if send.status == 200:
            arrived.setdefault(send.chat_id, []).extend(titles_in(send.text, tag))
    return [chat for chat, titles in arrived.items() if titles != sorted(titles)]


async def states(db: Database) -> Counter[OutboxState]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(OutboxEntry.state, func.count()).group_by(OutboxEntry.state)
        )
        return Counter({state: count for state, count in rows})


async def leased(db: Database) -> dict[tuple[int, str], str]:
    """The rows leased right now, each with the worker that holds it: their titles."""
    async with db.transaction() as session:
        rows = await session.execute(
            select(OutboxEntry.id, OutboxEntry.leased_by, OutboxEntry.payload).where(
                OutboxEntry.state == OutboxState.LEASED
            )
        )
        return {(row_id, str(worker)): json.loads(body)["title"] for row_id, worker, body in rows}


# Worker processes ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    database_url: str
    api_url: str
    lease_seconds: int
    per_second: int
    per_chat_per_second: int = 50


class Worker:
    """One dispatcher process (the real CLI); its output goes to a log file of its own."""

    def __init__(self, config: WorkerConfig, log: Path, *, token: str = TOKEN) -> None:
        self.log = log
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("EUDESK_") and not k.lower().endswith("_proxy")
        }
        self.env.update(
            EUDESK_DATABASE_URL=config.database_url,
            EUDESK_TELEGRAM_TOKEN=token,
            EUDESK_TELEGRAM_API_URL=config.api_url,
            EUDESK_HTTP_PORT="0",  # any free port: several workers run side by side
            COLUMNS="200",  # rich wraps lines at the terminal width
            EUDESK_OUTBOX_LEASE_SECONDS=str(config.lease_seconds),
            EUDESK_TELEGRAM_PER_SECOND=str(config.per_second),
            EUDESK_TELEGRAM_PER_CHAT_PER_SECOND=str(config.per_chat_per_second),
        )
        self._out: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._out = self.log.open("ab")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "eudesk", *WORKER_COMMAND],
            cwd=self.log.parent,  # no stray .env is read from the repository
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    @property
    def exited(self) -> bool:
        return self._process is None or self._process.poll() is not None

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would; nothing of it runs after this returns."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=30)
            self._process = None
        if self._out is not None:
            self._out.close()
            self._out = None

    async def ready(self, deadline: float) -> None:
        """Wait until it says it runs (the dispatcher starts before the HTTP server), then
        check that its /healthz says so too."""
        while (found := READY.search(self.tail())) is None:
            if self.exited or time.monotonic() > deadline:
                pytest.fail(f"{self.log.name} did not start:\n{self.tail()}")
            await asyncio.sleep(0.1)
        url = f"http://127.0.0.1:{found[1]}/healthz"
        timeout = aiohttp.ClientTimeout(total=10)
        session = aiohttp.ClientSession(timeout=timeout, trust_env=False)
        async with session as client, client.get(url) as response:
            assert response.status == 200, await response.text()

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi(TOKEN, more_tokens=[worker_token(n) for n in range(3)])
    await api.start()
    yield api
    await api.close()


def worker_token(n: int) -> str:
    """A token per worker process, so the fake can tell which one delivered a message."""
    return f"12345{n}:AAF-worker-{n}-Token_for_tests"


def database_url(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


def show(tmp_path: Path, name: str, figures: dict[str, object]) -> None:
    """The figures for the issue's note: printed (pytest -s) and kept as JSON in tmp_path."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(figures, indent=2))
    print(f"\n{name} ({path}):\n{path.read_text()}")  # noqa: T201 (pytest -s shows it)


# Killed again and again ---------------------------------------------------------------------


async def deliveries(
    fake: FakeBotApi, worker: Worker, db: Database, count: int, deadline: float
) -> bool:
    """Wait until `count` more messages reach the fake (True), or every row is sent (False).

    The worker runs alone, so the deliveries are its own; a moment counted in deliveries falls
    inside its sending whatever the machine's speed, while a delay in seconds might fall in
    its start-up.
    """
    target = fake.delivered_by.total() + count
    checked = time.monotonic()
    while fake.delivered_by.total() < target:
        if worker.exited or time.monotonic() > deadline:
            pytest.fail(f"{worker.log.name} exited or stalled:\n{worker.tail()}")
        if time.monotonic() - checked > 0.5:
            if await all_sent(db):
                return False
            checked = time.monotonic()
        await asyncio.sleep(POLL)
    return True


async def all_sent(db: Database) -> bool:
    return set(await states(db)) == {OutboxState.SENT}


@dataclass(frozen=True, slots=True)
class Kill:
    at: float  # seconds since the fan-out
    delivered: int  # messages the fake had received by then (duplicates included)
    in_flight: int  # rows leased at the kill (by the killed worker: earlier ones are counted)
    # Of those, the ones whose message the fake had already (sent, the kill came before `sent`
    # was recorded; or sent by an earlier worker, so this counts some twice): at most this many
    # duplicates, however late the kill within the send.
    at_the_fake: int


@ON_POSTGRES
async def test_a_worker_killed_at_random_moments_loses_nothing(
    pg: str, tmp_path: Path, bot_api: FakeBotApi
) -> None:
    """2,000 messages; SIGKILL at random moments; restarted each time until all are sent.

    A killed worker can repeat only the rows it held leased at the kill (sent, not yet
    recorded): duplicates must stay within those, and nothing may be lost.
    """
    rng = random.Random(2026)
    messages, chats, tag = 2000, 400, "crash"
    async with throwaway_database(pg, tmp_path) as db:
        config = WorkerConfig(database_url(db), bot_api.base_url, lease_seconds=5, per_second=400)
        titles = await fan_out(db, messages, chats=chats, tag=tag)
        started = time.monotonic()
        kills: list[Kill] = []
        counted: dict[tuple[int, str], str] = {}  # (row, worker) leases seen at a kill: title
        workers: list[Worker] = []
        try:
            while not await all_sent(db):
                worker = Worker(config, tmp_path / f"worker-{len(workers)}.log")
                workers.append(worker)
                worker.start()
                # A random moment of its sending: after 100 to 300 deliveries (at most ~310 a
                # worker, so 2,000 messages take 7 workers or more, 6 of them killed or more).
                count = rng.randint(100, 300)
                if not await deliveries(bot_api, worker, db, count, started + OVERALL):
                    break  # everything went out before the moment came: nothing to kill
                worker.kill()
                now = await leased(db)
                in_flight = {lease: now[lease] for lease in now.keys() - counted.keys()}
                counted.update(in_flight)
                await asyncio.sleep(0.1)  # requests the worker wrote before dying are answered
                arrived = received(bot_api, tag)
                at_the_fake = sum(1 for title in in_flight.values() if arrived[title])
                at = round(time.monotonic() - started, 2)
                kills.append(Kill(at, bot_api.delivered_by.total(), len(in_flight), at_the_fake))
            elapsed = time.monotonic() - started
        finally:
            for worker in workers:
                worker.kill()
        final = await states(db)
    got = received(bot_api, tag)
    duplicates = sum(got.values()) - len(got)
    show(
        tmp_path,
        "crash",
        {
            "messages": messages,
            "chats": chats,
            "kills": len(kills),
            "kills_with_messages_in_flight": sum(1 for k in kills if k.in_flight),
            "in_flight_at_kills": len(counted),
            "of_which_at_the_fake_already": sum(k.at_the_fake for k in kills),
            "delivered": sum(got.values()),
            "duplicates": duplicates,
            "seconds": round(elapsed, 1),
            "each_kill": [asdict(k) for k in kills],
        },
    )
    assert final == Counter({OutboxState.SENT: messages}), final
    assert set(got) == titles  # every message arrived
    assert sum(got.values()) == bot_api.delivered_by.total()  # and nothing else did
    assert duplicates <= len(counted)
    assert len(kills) >= 5
    assert any(k.in_flight for k in kills)  # a kill that caught messages in flight


# Three at once ------------------------------------------------------------------------------


@ON_POSTGRES
async def test_three_workers_share_the_outbox_and_send_each_message_once(
    pg: str, tmp_path: Path, bot_api: FakeBotApi
) -> None:
    messages, tag = 900, "three"
    async with throwaway_database(pg, tmp_path) as db:
        # A long lease: no worker dies here, so no row may return to pending while in flight.
        # 100 a second each: one worker alone would need 9 s, time for all three to claim.
        config = WorkerConfig(database_url(db), bot_api.base_url, lease_seconds=60, per_second=100)
        workers = [
            Worker(config, tmp_path / f"worker-{n}.log", token=worker_token(n)) for n in range(3)
        ]
        deadline = time.monotonic() + OVERALL
        try:
            for worker in workers:
                worker.start()
            for worker in workers:
                await worker.ready(deadline)
            titles = await fan_out(db, messages, chats=300, tag=tag)
            started = time.monotonic()
            while (await states(db))[OutboxState.SENT] < messages:
                if time.monotonic() > deadline or any(w.exited for w in workers):
                    pytest.fail("\n\n".join(w.tail() for w in workers))
                await asyncio.sleep(0.2)
            elapsed = time.monotonic() - started
        finally:
            for worker in workers:
                worker.kill()
    got = received(bot_api, tag)
    shares = [bot_api.delivered_by[worker_token(n)] for n in range(3)]
    show(
        tmp_path,
        "three_workers",
        {"messages": messages, "per_worker": shares, "seconds": round(elapsed, 1)},
    )
    assert got == Counter(dict.fromkeys(titles, 1))  # every message, each exactly once
    assert all(share > 0 for share in shares), shares
    assert sum(shares) == messages
    assert out_of_order(bot_api, tag) == []  # a chat is served by one worker at a time


# A flaky Bot API ----------------------------------------------------------------------------


async def test_a_flaky_bot_api_gets_everything_once_with_retry_after_honoured(
    backend: str, tmp_path: Path, bot_api: FakeBotApi
) -> None:
    """20% of sends fail (5xx, or 429 with retry_after 1 s), through PTB and the real
    dispatcher: every message arrives once, and no chat is sent to within a retry_after."""
    messages, tag = 400, "flaky"
    bot_api.flaky(random.Random(20), 0.2, retry_after=1)
    async with throwaway_database(backend, tmp_path) as db:
        titles = await fan_out(db, messages, chats=80, tag=tag)
        settings = Settings(
            _env_file=None,
            telegram_token=SecretStr(TOKEN),
            telegram_api_url=bot_api.base_url,
            # Webhook mode: no polling; the fake answers setWebhook and nothing calls it.
            telegram_webhook_url="https://eudesk.example/telegram/webhook",
            telegram_webhook_secret=SecretStr("s3cret"),
        )
        transport = TelegramTransport(settings, build_dispatcher(settings, db))
        await transport.start()
        limits = platform_limits(telegram_per_second=400, telegram_per_chat_per_second=50)
        dispatcher = OutboxDispatcher(
            db,
            {"telegram": transport},
            partial(render_notification, zone=settings.zone),
            worker="flaky",
            limiter=RateLimiter(RateLimits(limits)),
            idle=0.05,
            rng=random.Random(7),
        )
        stop = asyncio.Event()
        sending = asyncio.create_task(dispatcher.run_forever(stop))
        started = time.monotonic()
        try:
            while (await states(db))[OutboxState.SENT] < messages:
                if time.monotonic() > started + OVERALL or sending.done():
                    pytest.fail(f"not everything was sent: {await states(db)}")
                await asyncio.sleep(0.1)
            elapsed = time.monotonic() - started
        finally:
            stop.set()
            await asyncio.wait_for(sending, 30)
            await transport.stop()
        final = await states(db)
    refused = Counter(send.status for send in bot_api.sends if send.status != 200)
    show(
        tmp_path,
        f"flaky_{backend}",
        {
            "messages": messages,
            "attempts": len(bot_api.sends),
            "refused": dict(refused),
            "seconds": round(elapsed, 1),
        },
    )
    assert final == Counter({OutboxState.SENT: messages}), final  # none dead, none pending
    assert received(bot_api, tag) == Counter(dict.fromkeys(titles, 1))
    assert out_of_order(bot_api, tag) == []  # the rest of a chat waits behind a failed send
    assert refused[429] > 0  # both kinds were met, and retried
    assert refused[500] + refused[502] > 0
    assert bot_api.early_sends() == []
