"""Slack slash commands per second through SlackTransport.handle_http on a loopback server."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import resource
import shutil
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from eudesk.bot.settings import Settings
from eudesk.bot.transports.slack import SlackTransport
from eudesk.handlers import command_table
from eudesk.handlers.context import HandlerConfig
from eudesk.handlers.dispatch import Dispatcher
from eudesk.storage.db import Database
from eudesk.storage.migrate import upgrade
from eudesk.storage.models import Platform
from eudesk.storage.repositories import Repositories
from eudesk.storage.seed import seed_demo, seed_reference
from tests.bot import slack_signing as signing
from tests.bot.fake_slack import TEAM_ID, TOKEN, FakeSlack

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # the demo data's "now" (tests/conftest.py)
USER = "U0DEMO"
CHANNEL = "C0GENERAL"
DRAIN_LIMIT = 30.0  # seconds the replies still queued may take after the load (default)
REQUEST_LIMIT = 10.0  # seconds one request may take before it counts as failed
PROXIES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


# The load process: Slack's side (signed deliveries out, the fake Web API for the replies). -------
# It runs apart from eudesk so that eudesk's event loop and CPU share are its own.


async def _deliver(
    session: aiohttp.ClientSession,
    url: str,
    body: str,
    timings: list[float],
    statuses: Counter[str],
) -> None:
    headers = {**signing.FORM, **signing.signed_headers(body)}
    started = time.perf_counter()
    try:
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            status = str(response.status)
    except (aiohttp.ClientError, TimeoutError) as exc:
        status = type(exc).__name__
    timings.append(time.perf_counter() - started)
    statuses[status] += 1


async def _load(conn: Connection, count: int, concurrency: int, seconds: float, text: str) -> None:
    fake = FakeSlack()
    await fake.start()
    conn.send(fake.api_url)
    url: str = await asyncio.to_thread(conn.recv)  # the pipe blocks: keep the fake serving
    body, _ = signing.slash_command(
        text, team=TEAM_ID, user=USER, channel=CHANNEL, response_url=fake.response_url()
    )
    timings: list[float] = []
    statuses: Counter[str] = Counter()
    issued = 0
    timeout = aiohttp.ClientTimeout(total=REQUEST_LIMIT)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.perf_counter()
        deadline = started + seconds

        async def worker() -> None:
            nonlocal issued
            while issued < count and time.perf_counter() < deadline:
                issued += 1
                await _deliver(session, url, body, timings, statuses)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    conn.send(
        {
            "elapsed": elapsed,
            "timings": timings,
            "statuses": dict(statuses),
            "posted_at_end_of_load": len(fake.called("chat.postMessage")),
        }
    )
    await asyncio.to_thread(conn.recv)  # eudesk has drained its replies
    conn.send(len(fake.called("chat.postMessage")))
    await fake.stop()


def load_process(conn: Connection, count: int, concurrency: int, seconds: float, text: str) -> None:
    asyncio.run(_load(conn, count, concurrency, seconds, text))


# The eudesk process: the transport on a minimal aiohttp app, the dispatcher on SQLite. ----------


class _Failures(logging.Handler):
    """Counts the answers that failed after ack() (the transport logs them and moves on)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def prepare(url: str) -> Database:
    """A throwaway database: migrations, reference data, demo data at scale 1, a Slack user."""
    database = Database.from_url(url)
    await upgrade(database)
    async with database.transaction() as session:
        await seed_reference(session)
    await seed_demo(database, scale=1, today=NOW.date())
    async with database.transaction() as session:
        repos = Repositories(session)
        demo = await repos.users.get("demo")
        await repos.users.add_identity(demo, Platform.SLACK, f"{TEAM_ID}:{USER}")
    return database


def percentile(timings: list[float], share: float) -> float:
    ordered = sorted(timings)
    return ordered[max(0, int(len(ordered) * share) - 1)] * 1000


async def measure(
    url: str, conn: Connection, concurrency: int, text: str, count: int, drain_limit: float
) -> dict[str, Any]:
    database = await prepare(url)
    dispatcher = Dispatcher(database, command_table(), HandlerConfig(), clock=lambda: NOW)
    api_url: str = await asyncio.to_thread(conn.recv)
    settings = Settings(
        _env_file=None,
        slack_bot_token=SecretStr(TOKEN),
        slack_signing_secret=SecretStr(signing.SIGNING_SECRET),
        slack_api_url=api_url,
    )
    failures = _Failures()
    logging.getLogger("eudesk.bot.transports.slack").addHandler(failures)
    transport = SlackTransport(settings, dispatcher)
    await transport.start()
    app = web.Application()
    app.router.add_post("/slack/events", transport.handle_http)
    runner = web.AppRunner(app, access_log=None)  # as eudesk/bot/http.py serves it
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    drained = False
    try:
        conn.send(f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events")
        load: dict[str, Any] = await asyncio.to_thread(conn.recv)
        started = time.perf_counter()
        stopping = asyncio.ensure_future(transport.stop())  # refuses new work, drains the rest
        await asyncio.wait({stopping}, timeout=drain_limit)
        drained = stopping.done()
        if drained:
            stopping.result()
        drain_seconds = time.perf_counter() - started
        conn.send("drained")
        posted: int = await asyncio.to_thread(conn.recv)
    finally:
        # Not drained in time: the replies still queued are left to die with the process (main
        # exits at once); cancelling them mid-transaction leaves aiosqlite's threads hanging.
        if drained:
            await runner.cleanup()
            await database.dispose()
    timings: list[float] = load["timings"]
    acked = load["statuses"].get("200", 0)
    return {
        "text": text,
        "concurrency": concurrency,
        "requests": len(timings),
        "statuses": load["statuses"],
        "elapsed_s": load["elapsed"],
        "acked_per_s": acked / load["elapsed"],
        "ack_p50_ms": statistics.median(timings) * 1000,
        "ack_p99_ms": percentile(timings, 0.99),
        "ack_max_ms": max(timings) * 1000,
        "posted_at_end_of_load": load["posted_at_end_of_load"],
        "posted": posted,
        "drain_s": drain_seconds,
        "drained": drained,
        # Replies posted per second over load and drain: the rate the work after ack() keeps up.
        "answered_per_s": posted / (load["elapsed"] + drain_seconds),
        "answer_errors": failures.count,
        "requests_limit": count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--text", default="deadlines week", help="after /eudesk")
    parser.add_argument("--drain-limit", type=float, default=DRAIN_LIMIT)
    args = parser.parse_args()
    for name in PROXIES:  # slack-sdk copies these into its client and ignores NO_PROXY
        os.environ.pop(name, None)
    parent, child = multiprocessing.get_context("spawn").Pipe()
    loader = multiprocessing.get_context("spawn").Process(
        target=load_process,
        args=(child, args.requests, args.concurrency, args.seconds, args.text),
        daemon=True,
    )
    loader.start()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'slack-bench.db'}"
        run = measure(url, parent, args.concurrency, args.text, args.requests, args.drain_limit)
        runner = asyncio.Runner()
        try:
            result = runner.run(run)
        finally:
            loader.join(10)
            if loader.is_alive():
                loader.terminate()
        result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result), flush=True)
        if not result["drained"]:
            shutil.rmtree(tmp, ignore_errors=True)
            os._exit(0)  # see measure(): the abandoned replies would keep the loop from closing
        runner.close()


if __name__ == "__main__":
    main()
