"""One measurement in a fresh process, so peak memory (ru_maxrss) belongs to that phase alone."""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from eudesk.storage.db import Database
from eudesk.storage.migrate import upgrade
from eudesk.storage.repositories import Repositories
from eudesk.storage.seed import seed_demo, seed_reference

TODAY = date(2026, 11, 27)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def seed(url: str, scale: int) -> dict[str, float]:
    database = Database.from_url(url)
    await upgrade(database)
    async with database.transaction() as session:
        await seed_reference(session)
    started = time.perf_counter()
    counts = await seed_demo(database, scale=scale, today=TODAY)
    seconds = time.perf_counter() - started
    await database.dispose()
    return {
        "seconds": seconds,
        "projects": counts.get("projects", 0),
        "deadlines": counts.get("deadlines", 0),
    }


async def query(url: str, repeats: int) -> dict[str, float]:
    database = Database.from_url(url)
    now = datetime.combine(TODAY, datetime.min.time(), UTC) + timedelta(hours=9)
    windows = [timedelta(days=1), timedelta(days=7), timedelta(days=30)]
    timings: list[float] = []
    rows = 0
    for i in range(repeats):
        started = time.perf_counter()
        async with database.transaction() as session:
            found = await Repositories(session).deadlines.upcoming(
                now + timedelta(hours=i % 48), windows[i % len(windows)]
            )
        timings.append(time.perf_counter() - started)
        rows += len(found)
    await database.dispose()
    timings.sort()
    return {
        "p50_ms": statistics.median(timings) * 1000,
        "p99_ms": timings[int(len(timings) * 0.99) - 1] * 1000,
        "mean_rows": rows / repeats,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=["seed", "query"])
    parser.add_argument("url")
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args()
    if args.phase == "seed":
        result = asyncio.run(seed(args.url, args.scale))
    else:
        result = asyncio.run(query(args.url, args.repeats))
    result["peak_mib"] = peak_mib()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
