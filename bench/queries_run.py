"""In-process latency of each chat query through the real dispatcher, on a seeded database."""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import time
from datetime import UTC, datetime

from sqlalchemy import select

from eudesk.handlers import command_table
from eudesk.handlers.context import HandlerConfig
from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.messages import Incoming
from eudesk.storage.db import Database
from eudesk.storage.models import Meeting, PassportRecord, Platform, Project, VisaRecord

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


async def queries(database: Database) -> list[tuple[str, str]]:
    """(user, text) pairs covering every read command, with references that exist."""
    async with database.transaction() as session:
        project = await session.scalar(select(Project.code).order_by(Project.id).limit(1))
        meeting = await session.scalar(select(Meeting.id).order_by(Meeting.id).limit(1))
        passport = await session.scalar(select(PassportRecord.reference).limit(1))
        visa = await session.scalar(select(VisaRecord.reference).limit(1))
    return [
        ("demo", "/help"),
        ("demo", "/whoami"),
        ("demo", "/deadlines"),
        ("demo", "/deadlines week"),
        ("demo", "/deadlines month"),
        ("demo", "rokovi ove nedelje"),
        ("demo", "/deadlines month Subotica"),
        ("demo-contact", "/deadlines month"),
        ("demo", "/projects"),
        ("demo", "/projects husrb"),
        ("demo", "/projects Бачка Топола"),
        ("demo", f"/project {project}"),
        ("demo", "/meetings"),
        ("demo", "sastanci poglavlje 23"),
        ("demo", f"/meeting {meeting}"),
        ("demo-officer", f"/passport {passport}"),
        ("demo-officer", f"/visa {visa}"),
        ("demo-staff", f"/passport {passport}"),
        ("demo", "/guidelines"),
        ("demo-contact", "/guidelines"),
        ("demo", "/agreements"),
        ("demo", "/calendar"),
        ("demo", "/nonexistent"),
    ]


async def measure(url: str, repeats: int) -> dict[str, object]:
    database = Database.from_url(url)
    config = HandlerConfig(passport_lookups_per_minute=1_000_000)  # measure lookups, not refusals
    dispatcher = Dispatcher(database, command_table(), config, clock=lambda: NOW)
    results: dict[str, object] = {}
    for user, text in await queries(database):
        timings: list[float] = []
        for _ in range(repeats):
            incoming = Incoming(Platform.CONSOLE, chat_id="bench", sender_id=user, text=text)
            started = time.perf_counter()
            await dispatcher.handle(incoming)
            timings.append(time.perf_counter() - started)
        timings.sort()
        results[f"{user}: {text}"] = {
            "p50_ms": statistics.median(timings) * 1000,
            "p99_ms": timings[max(0, int(len(timings) * 0.99) - 1)] * 1000,
        }
    await database.dispose()
    results["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.url, args.repeats))))


if __name__ == "__main__":
    main()
