"""`make bench`: seed, queries on SQLite and PostgreSQL; Telegram and Slack transports; the
reminder fan-out against a rate-limited fake Bot API; the planner tick at 10^4..10^6 deadlines.

`python -m bench --only fanout,planner` runs some sections; `--quick` shrinks the new ones."""

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
SECTIONS = ("storage", "telegram", "slack", "fanout", "planner")
# (messages, chats) of the fan-out, and of the smaller run that shows memory does not follow it.
FANOUT = {"full": ((10_000, 2_000), (2_000, 400)), "quick": ((1_000, 200), (300, 60))}
PLANNER_SIZES = {"full": (10_000, 100_000, 1_000_000), "quick": (10_000, 30_000, 100_000)}
FLAT = 1.5  # item queries at the largest size this many times the smallest's: not flat


def measure(module: str, *args: str) -> dict[str, Any]:
    """Run one measurement in a fresh process and read the JSON line it prints."""
    result = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stderr[-4000:], file=sys.stderr)  # the child's traceback, not just its exit
        result.check_returncode()
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def pg_url(admin_url: str, database: str) -> str:
    return make_url(admin_url).set(database=database).render_as_string(hide_password=False)


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


def tail_seconds(per_second: list[int], limit: int) -> int:
    """The seconds at the end of a run that sent under 90% of the limit (the drain)."""
    tail = 0
    for count in reversed(per_second):
        if count >= 0.9 * limit:
            break
        tail += 1
    return tail


def print_fanout(
    limit: int, runs: list[tuple[str, dict[str, Any]]], small: dict[str, Any] | None
) -> None:
    """Each sender's achieved rate against the limit, the 429s, order per chat, memory."""
    first = runs[0][1]
    print(
        f"\nreminder fan-out: {first['messages']} messages to {first['chats']} chats (a chat's "
        f"messages adjacent in due order) through a loopback Bot API that allows {limit}/s "
        "overall and 1/s per chat (sliding one-second windows)"
    )
    print(
        f"{'sender':<34} {'accepted':>8} {'seconds':>8} {'rate/s':>7} {'ratio':>6} "
        f"{'429s':>5} {'(all/chat)':>10} {'disorder':>8} {'lost':>5} {'dup':>4} "
        f"{'tail s':>6} {'base MiB':>8} {'peak MiB':>8}"
    )
    for label, row in runs:
        refused = f"{row['refused_overall']}/{row['refused_per_chat']}"
        print(
            f"{label:<34} {row['accepted']:>8} {row['seconds']:>8.1f} {row['rate_per_s']:>7.2f} "
            f"{row['ratio']:>6.3f} {row['too_many_requests']:>5} {refused:>10} "
            f"{row['chats_out_of_order']:>8} {row['missing']:>5} {row['duplicates']:>4} "
            f"{tail_seconds(row['per_second'], limit):>6} "
            f"{row['base_mib']:>8.0f} {row['peak_mib']:>8.0f}"
        )
    print(
        "rate: accepted sends from the first to the last, per second; ratio: of the limit; "
        "disorder: chats that got their messages out of order; tail: the last seconds under "
        "90% of the limit"
    )
    for label, row in runs:
        if not row.get("finished", True):
            print(f"{label}: did not finish in time; {row.get('states')}")
    if small is not None:
        eudesk = runs[0][1]
        print(
            f"eudesk peak memory (RSS high-water mark, ru_maxrss): {small['messages']} messages "
            f"{small['peak_mib']:.0f} MiB (base {small['base_mib']:.0f}), "
            f"{eudesk['messages']} messages {eudesk['peak_mib']:.0f} MiB "
            f"(base {eudesk['base_mib']:.0f})"
        )


def run_fanout(size: str, postgres: str | None, tmp: Path) -> None:
    """eudesk's outbox (SQLite; PostgreSQL too when asked), then PTB, then a smaller eudesk run."""
    (messages, chats), (few, few_chats) = FANOUT[size]
    counts = ("--messages", str(messages), "--chats", str(chats))
    runs: list[tuple[str, dict[str, Any]]] = []
    targets = [("sqlite", f"sqlite:///{tmp / 'fanout.db'}")]
    pg_name = f"eudesk_bench_{os.getpid()}_fanout"
    if postgres is not None:
        asyncio.run(_pg(postgres, f'CREATE DATABASE "{pg_name}"'))
        targets.append(("postgresql", pg_url(postgres, pg_name)))
    try:
        for backend, url in targets:
            measure("bench.fanout_run", "seed", url, *counts)
            runs.append(
                (f"eudesk outbox ({backend})", measure("bench.fanout_run", "eudesk", url, *counts))
            )
    finally:
        if postgres is not None:
            asyncio.run(_pg(postgres, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
    ptb = measure("bench.fanout_run", "ptb", *counts)
    runs.append((f"PTB AIORateLimiter (retries {ptb['max_retries']})", ptb))
    small_url = f"sqlite:///{tmp / 'fanout-small.db'}"
    small_counts = ("--messages", str(few), "--chats", str(few_chats))
    measure("bench.fanout_run", "seed", small_url, *small_counts)
    small = measure("bench.fanout_run", "eudesk", small_url, *small_counts)
    print_fanout(30, runs, small)


def print_planner(backend: str, rows: list[dict[str, Any]]) -> None:
    print(
        f"\nplanner tick, {backend}: a fixed {rows[0]['due']} deadlines due within the horizon, "
        "200 subscriptions (median seconds)"
    )
    print(
        f"{'deadlines':>10} {'build s':>8} {'first tick':>10} {'created':>8} "
        f"{'steady tick':>11} {'created':>8} {'item queries ms':>15} {'peak MiB':>8}"
    )
    for row in rows:
        print(
            f"{row['deadlines']:>10} {row['build_s']:>8.1f} {row['first_s']:>10.2f} "
            f"{row['created']:>8} {row['steady_s']:>11.2f} {row['created_again']:>8} "
            f"{row['queries_ms']:>15.1f} {row['peak_mib']:>8.0f}"
        )
    largest, smallest = rows[-1], rows[0]
    print(
        f"at {largest['deadlines']} / at {smallest['deadlines']} deadlines: steady tick "
        f"{largest['steady_s'] / smallest['steady_s']:.2f}x, first tick "
        f"{largest['first_s'] / smallest['first_s']:.2f}x, item queries "
        f"{largest['queries_ms'] / smallest['queries_ms']:.2f}x"
    )


def run_planner(size: str, postgres: str | None, tmp: Path) -> None:
    """Build each size, time its ticks; EXPLAIN the item queries when the tick is not flat."""
    repeats = "2" if size == "quick" else "3"
    backends: list[str] = ["sqlite"] + (["postgresql"] if postgres is not None else [])
    for backend in backends:
        rows: list[dict[str, Any]] = []
        for total in PLANNER_SIZES[size]:
            name = f"eudesk_bench_{os.getpid()}_planner_{total}"
            if backend == "sqlite":
                url = f"sqlite:///{tmp / f'planner-{total}.db'}"
            else:
                assert postgres is not None
                asyncio.run(_pg(postgres, f'CREATE DATABASE "{name}"'))
                url = pg_url(postgres, name)
            try:
                built = measure("bench.planner_run", "build", url, "--deadlines", str(total))
                ticked = measure("bench.planner_run", "tick", url, "--repeats", repeats)
                row = built | ticked
                if total == PLANNER_SIZES[size][-1] and (
                    rows and ticked["queries_ms"] > FLAT * rows[0]["queries_ms"]
                ):
                    row["plans"] = measure("bench.planner_run", "explain", url)["plans"]
                rows.append(row)
            finally:
                if backend == "sqlite":
                    Path(tmp / f"planner-{total}.db").unlink(missing_ok=True)
                else:
                    assert postgres is not None
                    asyncio.run(_pg(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        print_planner(backend, rows)
        for topic, plan in rows[-1].get("plans", {}).items():
            print(f"not flat: the plan of the {topic} query at {rows[-1]['deadlines']} deadlines:")
            for line in plan:
                print(f"    {line}")


def run_storage(scale: int, postgres: str | None, tmp: Path) -> None:
    """Seed and query on each backend, then every chat query through the dispatcher."""
    targets: list[tuple[str, str]] = [("sqlite", f"sqlite:///{tmp / 'bench.db'}")]
    pg_name = f"eudesk_bench_{os.getpid()}"
    if postgres is not None:
        asyncio.run(_pg(postgres, f'CREATE DATABASE "{pg_name}"'))
        targets.append(("postgresql", pg_url(postgres, pg_name)))
    try:
        print(f"storage benchmark, seed demo --scale {scale}")
        header = f"{'backend':<11} {'projects':>9} {'deadlines':>10} {'seed s':>8} {'seed MiB':>9}"
        header += f" {'query p50 ms':>13} {'query p99 ms':>13} {'rows':>5} {'query MiB':>10}"
        print(header)
        queries: dict[str, dict[str, Any]] = {}
        for name, url in targets:
            seeded = measure("bench.storage_run", "seed", url, "--scale", str(scale))
            queried = measure("bench.storage_run", "query", url)
            queries[name] = measure("bench.queries_run", url)
            print(
                f"{name:<11} {seeded['projects']:>9.0f} {seeded['deadlines']:>10.0f} "
                f"{seeded['seconds']:>8.1f} {seeded['peak_mib']:>9.0f} "
                f"{queried['p50_ms']:>13.2f} {queried['p99_ms']:>13.2f} "
                f"{queried['mean_rows']:>5.0f} {queried['peak_mib']:>10.0f}"
            )
        print_queries(queries)
    finally:
        if postgres is not None:
            asyncio.run(_pg(postgres, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))


def sections(text: str) -> list[str]:
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown sections {unknown}; choose from {SECTIONS}")
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("EUDESK_BENCH_POSTGRES", DEFAULT_PG),
        help="admin URL of a PostgreSQL server; 'none' to skip",
    )
    parser.add_argument(
        "--only", type=sections, default=list(SECTIONS), help=f"some of {','.join(SECTIONS)}"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller fan-out and planner sizes (development)"
    )
    parser.add_argument(
        "--fanout-postgres",
        action="store_true",
        help="run eudesk's fan-out on PostgreSQL too (another 10,000 / 30 s)",
    )
    args = parser.parse_args()
    postgres = None if args.postgres == "none" else args.postgres
    size = "quick" if args.quick else "full"
    with tempfile.TemporaryDirectory() as tmp:
        if "storage" in args.only:
            run_storage(args.scale, postgres, Path(tmp))
        if "telegram" in args.only:
            print_telegram(measure("bench.telegram_run"))
        if "slack" in args.only:
            print_slack(measure("bench.slack_run"))
        if "fanout" in args.only:
            run_fanout(size, postgres if args.fanout_postgres else None, Path(tmp))
        if "planner" in args.only:
            run_planner(size, postgres, Path(tmp))


if __name__ == "__main__":
    main()
