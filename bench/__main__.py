"""`make bench`: seed, queries on SQLite and PostgreSQL; Telegram and Slack transports."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def measure(module: str, *args: str) -> dict[str, Any]:
    """Run one measurement in a fresh process and read the JSON line it prints."""
    result = subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, check=True
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


async def _pg(admin_url: str, statement: str) -> None:
    dsn = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def print_queries(by_backend: dict[str, dict[str, Any]]) -> None:
    """One line per chat query: p50 and p99 per backend, then each run's peak memory."""
    names = list(by_backend)
    print("\nchat queries through the dispatcher, in process (ms)")
    print(f"{'query':<48}" + "".join(f" {n + ' p50':>16} {n + ' p99':>16}" for n in names))
    first = by_backend[names[0]]
    for query in (q for q in first if q != "peak_mib"):
        cells = "".join(
            f" {by_backend[n][query]['p50_ms']:>16.2f} {by_backend[n][query]['p99_ms']:>16.2f}"
            for n in names
        )
        print(f"{query[:48]:<48}{cells}")
    worst = {
        n: max(v["p99_ms"] for q, v in by_backend[n].items() if q != "peak_mib") for n in names
    }
    print(
        "worst p99: "
        + ", ".join(f"{n} {worst[n]:.2f} ms" for n in names)
        + "; peak memory: "
        + ", ".join(f"{n} {by_backend[n]['peak_mib']:.0f} MiB" for n in names)
    )


def print_telegram(result: dict[str, Any]) -> None:
    """eudesk's /deadlines and a bare PTB echo bot, round trips through the same fake Bot API."""
    print(
        f"\ntelegram round trip, update injected -> sendMessage at the fake Bot API "
        f"(polling, {result['rounds']} sequential, ms)"
    )
    print(f"{'bot':<24} {'p50':>8} {'p99':>8} {'max':>8}")
    for label, key in ((f"eudesk {result['text']}", "eudesk"), ("bare PTB echo", "bare")):
        row = result[key]
        print(f"{label:<24} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['max_ms']:>8.2f}")
    print(f"{'ratio eudesk/bare':<24} {result['ratio_p50']:>7.2f}x {result['ratio_p99']:>7.2f}x")


def print_slack(result: dict[str, Any]) -> None:
    """Acked slash commands per second at handle_http, and how fast the replies followed."""
    print(
        f"\nslack /eudesk {result['text']}: signed slash commands to handle_http on loopback "
        f"aiohttp, {result['concurrency']} concurrent"
    )
    print(
        f"{'requests':>8} {'HTTP 200':>8} {'acked/s':>8} {'ack p50 ms':>10} {'ack p99 ms':>10} "
        f"{'ack max ms':>10} {'posted':>7} {'drain s':>8} {'answered/s':>10}"
    )
    print(
        f"{result['requests']:>8} {result['statuses'].get('200', 0):>8} "
        f"{result['acked_per_s']:>8.0f} {result['ack_p50_ms']:>10.2f} "
        f"{result['ack_p99_ms']:>10.2f} {result['ack_max_ms']:>10.2f} {result['posted']:>7} "
        f"{result['drain_s']:>8.1f} {result['answered_per_s']:>10.1f}"
    )
    notes = [f"{result['posted_at_end_of_load']} replies posted by the end of the load"]
    if not result["drained"]:
        notes.append("replies still queued at the drain limit were abandoned")
    if result["answer_errors"]:
        notes.append(f"{result['answer_errors']} answers failed after ack")
    print("; ".join(notes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("EUDESK_BENCH_POSTGRES", DEFAULT_PG),
        help="admin URL of a PostgreSQL server; 'none' to skip",
    )
    args = parser.parse_args()

    targets: list[tuple[str, str]] = []
    tmp = tempfile.TemporaryDirectory()
    targets.append(("sqlite", f"sqlite:///{Path(tmp.name) / 'bench.db'}"))
    pg_name = f"eudesk_bench_{os.getpid()}"
    if args.postgres != "none":
        asyncio.run(_pg(args.postgres, f'CREATE DATABASE "{pg_name}"'))
        targets.append(
            (
                "postgresql",
                make_url(args.postgres).set(database=pg_name).render_as_string(hide_password=False),
            )
        )
    try:
        print(f"storage benchmark, seed demo --scale {args.scale}")
        header = f"{'backend':<11} {'projects':>9} {'deadlines':>10} {'seed s':>8} {'seed MiB':>9}"
        header += f" {'query p50 ms':>13} {'query p99 ms':>13} {'rows':>5} {'query MiB':>10}"
        print(header)
        queries: dict[str, dict[str, Any]] = {}
        for name, url in targets:
            seeded = measure("bench.storage_run", "seed", url, "--scale", str(args.scale))
            queried = measure("bench.storage_run", "query", url)
            queries[name] = measure("bench.queries_run", url)
            print(
                f"{name:<11} {seeded['projects']:>9.0f} {seeded['deadlines']:>10.0f} "
                f"{seeded['seconds']:>8.1f} {seeded['peak_mib']:>9.0f} "
                f"{queried['p50_ms']:>13.2f} {queried['p99_ms']:>13.2f} "
                f"{queried['mean_rows']:>5.0f} {queried['peak_mib']:>10.0f}"
            )
        print_queries(queries)
        print_telegram(measure("bench.telegram_run"))
        print_slack(measure("bench.slack_run"))
    finally:
        if args.postgres != "none":
            asyncio.run(_pg(args.postgres, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        tmp.cleanup()


if __name__ == "__main__":
    main()
