"""Telegram round trips: /deadlines through eudesk's PTB transport vs a bare PTB echo bot."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from telegram import Update  # noqa: TID251 - the bare baseline bot is plain PTB on purpose
from telegram.ext import Application, ContextTypes, MessageHandler, filters  # noqa: TID251

from eudesk.bot.settings import Settings
from eudesk.bot.transports.telegram import ALLOWED_UPDATES, TelegramTransport
from eudesk.handlers import command_table
from eudesk.handlers.context import HandlerConfig
from eudesk.handlers.dispatch import Dispatcher
from eudesk.storage.db import Database
from eudesk.storage.migrate import upgrade
from eudesk.storage.models import Platform
from eudesk.storage.repositories import Repositories
from eudesk.storage.seed import seed_demo, seed_reference
from tests.bot.fake_telegram import FakeBotApi, message_update

TODAY = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # the demo data's "now" (tests/conftest.py)
USER_ID = 4242  # the demo coordinator's Telegram identity, added below
POLL_TIMEOUT = 10  # the long poll both bots ask for; the fake answers at once when an update comes
ROUND_TRIP_LIMIT = 10.0  # seconds one round trip may take before the run is called broken


class TimedBotApi(FakeBotApi):
    """The loopback Bot API, noting when the first sendMessage after an injection arrives."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.arrived: asyncio.Future[float] | None = None

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        if self.arrived is not None and not self.arrived.done():
            self.arrived.set_result(time.perf_counter())
        return await super()._api_sendMessage(params)

    async def round_trip(self, text: str) -> float:
        """Seconds from queueing a message for getUpdates to the bot's sendMessage reaching us."""
        self.arrived = asyncio.get_running_loop().create_future()
        update = message_update(text, USER_ID)
        started = time.perf_counter()
        await self.inject(update)  # wakes the pending getUpdates long poll at once
        arrived = await asyncio.wait_for(self.arrived, ROUND_TRIP_LIMIT)
        return arrived - started


async def prepare(url: str) -> Database:
    """A throwaway database: migrations, reference data, demo data at scale 1, a Telegram user."""
    database = Database.from_url(url)
    await upgrade(database)
    async with database.transaction() as session:
        await seed_reference(session)
    await seed_demo(database, scale=1, today=TODAY.date())
    async with database.transaction() as session:
        repos = Repositories(session)
        await repos.users.add_identity(await repos.users.get("demo"), Platform.TELEGRAM, "4242")
    return database


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None and update.message.text is not None:
        await update.message.reply_text(update.message.text)


async def start_bare(fake: FakeBotApi) -> Callable[[], Awaitable[None]]:
    """A plain PTB Application that echoes text, polling the same way eudesk's transport does."""
    app = Application.builder().token(fake.token).base_url(fake.base_url).job_queue(None).build()
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES)

    async def stop() -> None:
        assert app.updater is not None
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    return stop


def percentiles(timings: list[float]) -> dict[str, float]:
    timings = sorted(timings)
    return {
        "p50_ms": statistics.median(timings) * 1000,
        "p99_ms": timings[max(0, int(len(timings) * 0.99) - 1)] * 1000,
        "max_ms": timings[-1] * 1000,
    }


async def measure(url: str, rounds: int, warmup: int, text: str) -> dict[str, Any]:
    database = await prepare(url)
    dispatcher = Dispatcher(database, command_table(), HandlerConfig(), clock=lambda: TODAY)
    eudesk_api, bare_api = TimedBotApi("1001:eudesk-bench"), TimedBotApi("1002:bare-bench")
    await eudesk_api.start()
    await bare_api.start()
    settings = Settings(
        _env_file=None,
        telegram_token=SecretStr(eudesk_api.token),
        telegram_api_url=eudesk_api.base_url,
    )
    transport = TelegramTransport(settings, dispatcher, poll_timeout=POLL_TIMEOUT)
    await transport.start()
    stop_bare = await start_bare(bare_api)
    eudesk_times: list[float] = []
    bare_times: list[float] = []
    try:
        # Alternate the two bots round by round, so load from elsewhere hits both alike.
        for number in range(warmup + rounds):
            eudesk = await eudesk_api.round_trip(text)
            bare = await bare_api.round_trip(text)
            if number >= warmup:
                eudesk_times.append(eudesk)
                bare_times.append(bare)
    finally:
        await stop_bare()
        await transport.stop()
        await eudesk_api.close()
        await bare_api.close()
        await database.dispose()
    mine, theirs = percentiles(eudesk_times), percentiles(bare_times)
    return {
        "text": text,
        "rounds": rounds,
        "eudesk": mine,
        "bare": theirs,
        "ratio_p50": mine["p50_ms"] / theirs["p50_ms"],
        "ratio_p99": mine["p99_ms"] / theirs["p99_ms"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--text", default="/deadlines")
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "1")  # PTB reads it per call: no deprecation noise
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'telegram-bench.db'}"
        result = asyncio.run(measure(url, args.rounds, args.warmup, args.text))
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
