"""`make bench`: seed --scale N and the upcoming-deadlines query, on SQLite and PostgreSQL."""

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
    finally:
        if args.postgres != "none":
            asyncio.run(_pg(args.postgres, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        tmp.cleanup()


if __name__ == "__main__":
    main()
