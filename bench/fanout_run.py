"""The reminder fan-out: eudesk's outbox vs PTB's AIORateLimiter, against a rate-limited fake.

Phases, each in its own process (one JSON line out):
  seed URL    a fresh database, migrated, with the fan-out's rows in the outbox
  eudesk URL  the real OutboxDispatcher.run_forever through the real TelegramTransport, with the
              default rate limits, until every row is sent (or dead)
  ptb         the same messages (same texts, same chats, same order) through a PTB Application
              with AIORateLimiter, concurrently as PTB intends: one task per chat, sequential
              within the chat, a few hundred chats at a time

The layout is the hard one for both limits: each chat's messages are adjacent in due order (the
planner writes a subscription's reminders that fall on one moment next to each other), so a
claim holds several rows per chat and the one-a-second per-chat limit binds as well as the
overall one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, insert, select
from telegram import LinkPreviewOptions  # noqa: TID251 - the baseline is plain PTB on purpose
from telegram.constants import ParseMode  # noqa: TID251
from telegram.error import RetryAfter, TelegramError  # noqa: TID251
from telegram.ext import AIORateLimiter, Application  # noqa: TID251

from bench.fake_limited_bot_api import LimitedBotApiProcess
from eudesk.bot.settings import Settings
from eudesk.bot.transports.telegram import TelegramTransport
from eudesk.bot.transports.telegram_render import render
from eudesk.handlers import command_table
from eudesk.handlers.context import HandlerConfig
from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.notices import BELGRADE
from eudesk.handlers.notifications import render_notification
from eudesk.schedules.outbox import OutboxDispatcher
from eudesk.schedules.ratelimit import Rate, RateLimiter, RateLimits, platform_limits
from eudesk.storage.db import Database
from eudesk.storage.migrate import upgrade
from eudesk.storage.models import OutboxEntry, OutboxState

TOKEN = "3003:fanout-bench"
FIRST_CHAT = 700_000_000  # private chats: positive ids
LIMIT_PER_SECOND = 30  # the default overall limit, which the achieved rate is compared with
DUE = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)  # in the past when the run starts: all due
MARKER = re.compile(r"bench message (\d+)\b")
SEED_CHUNK = 2000
POLL_SECONDS = 1.0


@dataclass(slots=True)
class Planned:
    """One notification of the fan-out; `number` orders them all and is in the text."""

    number: int
    chat_id: int
    kind: str
    locale: str
    payload: str


def planned(messages: int, chats: int) -> Iterator[Planned]:
    """The fan-out in due order; each chat's messages in one block (chat-major)."""
    for number in range(messages):
        chat = FIRST_CHAT + number * chats // messages
        data = {
            "item_type": "deadline",
            "item_id": number,
            "ref": f"BENCH-{number}",
            "title": f"bench message {number}",
            "kind": "report",
            "due_at": (DUE + timedelta(days=14)).isoformat(),
            "project_code": "BENCH-1",
            "project_acronym": "BENCH",
            "programme_code": "HUSRB",
            "programme_name": "Interreg VI-A IPA Hungary-Serbia",
        }
        yield Planned(number, chat, "reminder", "sr-Latn", json.dumps(data, sort_keys=True))


def peak_mib() -> float:
    """The process's RSS high-water mark (ru_maxrss, KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib() -> float:
    """The process's resident set now, from /proc (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# seed -------------------------------------------------------------------------------------------


async def seed(url: str, messages: int, chats: int) -> dict[str, Any]:
    database = Database.from_url(url)
    await upgrade(database)
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    for row in planned(messages, chats):
        batch.append(
            {
                "dedupe_key": f"bench:{row.number}",
                "platform": "telegram",
                "chat_id": str(row.chat_id),
                "kind": row.kind,
                "item_type": "deadline",
                "item_id": row.number,
                "item_version": 1,
                "locale": row.locale,
                "payload": row.payload,
                # A microsecond apart: due order is the planned order, ids aside.
                "due_at": DUE + timedelta(microseconds=row.number),
                "state": OutboxState.PENDING,
                "attempts": 0,
            }
        )
        if len(batch) == SEED_CHUNK:
            await _insert(database, batch)
            batch = []
    if batch:
        await _insert(database, batch)
    seconds = time.perf_counter() - started
    await database.dispose()
    return {"rows": messages, "chats": chats, "seconds": seconds}


async def _insert(database: Database, rows: list[dict[str, Any]]) -> None:
    async with database.transaction() as session:
        await session.execute(insert(OutboxEntry), rows)


# eudesk -----------------------------------------------------------------------------------------


async def _unfinished(database: Database) -> int:
    async with database.transaction() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(OutboxEntry)
            .where(OutboxEntry.state.in_([OutboxState.PENDING, OutboxState.LEASED]))
        )
    return int(count or 0)


async def _states(database: Database) -> dict[str, int]:
    async with database.transaction() as session:
        rows = await session.execute(
            select(OutboxEntry.state, func.count()).group_by(OutboxEntry.state)
        )
        return {state.value: int(count) for state, count in rows}


def limits(guard_ms: float) -> RateLimits:
    """The default limits; with a guard, Telegram's windows widened by it (an experiment)."""
    if not guard_ms:
        return RateLimits()
    guard = guard_ms / 1000
    telegram = platform_limits()["telegram"]
    assert telegram.overall is not None
    assert telegram.per_chat is not None
    widened = replace(
        telegram,
        overall=Rate(telegram.overall.count, telegram.overall.per + guard),
        per_chat=Rate(telegram.per_chat.count, telegram.per_chat.per + guard),
    )
    return RateLimits(platforms={"telegram": widened})


async def run_eudesk(
    url: str, messages: int, chats: int, limit_s: float, guard_ms: float, traced: bool = False
) -> dict[str, Any]:
    """The outbox as the reminder service runs it, until the queue is empty or time is up."""
    fake = await LimitedBotApiProcess.start(TOKEN)
    try:
        measured = await _through_eudesk(fake.base_url, url, limit_s, guard_ms, traced)
        stats = await fake.stats(texts=True)  # after the peak was read: the texts are large
    finally:
        await fake.stop()
    return summary(stats, messages, chats) | measured | {"guard_ms": guard_ms}


async def _through_eudesk(
    api_url: str, url: str, limit_s: float, guard_ms: float, traced: bool
) -> dict[str, Any]:
    """Send until done; with `traced`, tracemalloc's peak of Python allocations during the
    sending too (it slows every allocation, so the default run leaves it off)."""
    database = Database.from_url(url)
    settings = Settings(_env_file=None, telegram_token=SecretStr(TOKEN), telegram_api_url=api_url)
    transport = TelegramTransport(settings, Dispatcher(database, command_table(), HandlerConfig()))
    await transport.start()
    # As ReminderService builds it (reminders.py), without the planner: these rows plan nothing.
    outbox = OutboxDispatcher(
        database,
        {"telegram": transport},
        partial(render_notification, zone=BELGRADE),
        worker="bench",
        limiter=RateLimiter(limits(guard_ms)),
    )
    base = rss_mib()
    if traced:
        tracemalloc.start()
    stop = asyncio.Event()
    started = time.perf_counter()
    sending = asyncio.create_task(outbox.run_forever(stop))
    finished = False
    try:
        while time.perf_counter() - started < limit_s:
            await asyncio.sleep(POLL_SECONDS)
            if await _unfinished(database) == 0:
                finished = True
                break
    finally:
        stop.set()
        await sending
        seconds = time.perf_counter() - started
        await transport.stop()
    peak = peak_mib()
    heap = tracemalloc.get_traced_memory()[1] / 2**20 if traced else None
    tracemalloc.stop()
    states = await _states(database)
    await database.dispose()
    return {
        "traced_peak_mib": heap,
        "finished": finished,
        "seconds": seconds,
        "states": states,
        "base_mib": base,
        "peak_mib": peak,
    }


# PTB --------------------------------------------------------------------------------------------


async def run_ptb(messages: int, chats: int, max_retries: int, concurrency: int) -> dict[str, Any]:
    """The same messages through PTB's own rate limiter, as its documentation suggests."""
    by_chat: dict[int, list[str]] = {}
    for row in planned(messages, chats):
        reply = render_notification(row, BELGRADE)  # what eudesk sends for the row
        by_chat.setdefault(row.chat_id, []).extend(render(reply).texts)
    fake = await LimitedBotApiProcess.start(TOKEN)
    try:
        measured = await _through_ptb(fake.base_url, by_chat, max_retries, concurrency)
        stats = await fake.stats(texts=True)
    finally:
        await fake.stop()
    return summary(stats, messages, chats) | measured


async def _through_ptb(
    api_url: str, by_chat: dict[int, list[str]], max_retries: int, concurrency: int
) -> dict[str, Any]:
    """One task per chat, sequential within it, `concurrency` chats at once."""
    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(api_url)
        .rate_limiter(AIORateLimiter(max_retries=max_retries))
        .job_queue(None)
        .updater(None)
        .build()
    )
    await app.initialize()
    gate = asyncio.Semaphore(concurrency)
    failures = {"lost_to_429": 0, "other_errors": 0}
    preview = LinkPreviewOptions(is_disabled=True)

    async def send_chat(chat_id: int, texts: list[str]) -> None:
        async with gate:
            for text in texts:
                try:
                    await app.bot.send_message(
                        chat_id, text, parse_mode=ParseMode.HTML, link_preview_options=preview
                    )
                except RetryAfter:
                    failures["lost_to_429"] += 1  # max_retries used up: the message is dropped
                except TelegramError:
                    failures["other_errors"] += 1

    base = rss_mib()
    started = time.perf_counter()
    try:
        async with asyncio.TaskGroup() as group:
            for chat_id, texts in by_chat.items():
                group.create_task(send_chat(chat_id, texts))
        seconds = time.perf_counter() - started
        peak = peak_mib()
    finally:
        await app.shutdown()
    return failures | {
        "finished": True,
        "seconds": seconds,
        "max_retries": max_retries,
        "concurrency": concurrency,
        "base_mib": base,
        "peak_mib": peak,
    }


# what the fake saw ------------------------------------------------------------------------------


def summary(stats: dict[str, Any], messages: int, chats: int) -> dict[str, Any]:
    """Rate over the steady state (first to last accepted send), 429s, order per chat."""
    accepted = int(stats["accepted"])
    span = stats["span_s"] or 0.0
    rate = (accepted - 1) / span if accepted > 1 and span > 0 else 0.0
    expected: dict[int, list[int]] = {}
    for row in planned(messages, chats):
        expected.setdefault(row.chat_id, []).append(row.number)
    out_of_order = duplicates = missing = 0
    for chat_id, numbers in expected.items():
        texts = stats["texts"].get(str(chat_id), [])
        got = [int(m.group(1)) for text in texts if (m := MARKER.search(text))]
        if got != sorted(got):
            out_of_order += 1
        duplicates += len(got) - len(set(got))
        missing += len(set(numbers) - set(got))
    return {
        "messages": messages,
        "chats": chats,
        "accepted": accepted,
        "span_s": span,
        "rate_per_s": rate,
        "ratio": rate / LIMIT_PER_SECOND,
        "too_many_requests": stats["too_many_requests"],
        "refused_overall": stats["refused_overall"],
        "refused_per_chat": stats["refused_per_chat"],
        "per_second": stats["per_second"],
        "chats_out_of_order": out_of_order,
        "duplicates": duplicates,
        "missing": missing,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("phase", choices=["seed", "eudesk", "ptb"])
    parser.add_argument("url", nargs="?", help="the database (seed and eudesk)")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=2_000)
    parser.add_argument("--max-retries", type=int, default=3, help="AIORateLimiter's")
    parser.add_argument("--concurrency", type=int, default=256, help="chats PTB sends to at once")
    parser.add_argument(
        "--guard-ms", type=float, default=0, help="eudesk: widen each window by this (experiment)"
    )
    parser.add_argument(
        "--tracemalloc", action="store_true", help="eudesk: also trace Python allocations"
    )
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "1")  # PTB 22 warns about retry_after as a number
    # Three times the time the limit allows, and a minute to start: then the run is broken.
    limit_s = 3 * args.messages / LIMIT_PER_SECOND + 60
    if args.phase == "seed":
        result = asyncio.run(seed(args.url, args.messages, args.chats))
        result["peak_mib"] = peak_mib()
    elif args.phase == "eudesk":
        result = asyncio.run(
            run_eudesk(
                args.url, args.messages, args.chats, limit_s, args.guard_ms, args.tracemalloc
            )
        )
    else:
        result = asyncio.run(run_ptb(args.messages, args.chats, args.max_retries, args.concurrency))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
