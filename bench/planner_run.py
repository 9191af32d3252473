"""The planner tick at 10^4..10^6 deadlines: it must grow with what is due, not with what exists.

Phases, each in its own process (one JSON line out):
  build URL  a fresh database: migrations, reference data (bodies, programmes), a few hundred
             projects, N deadlines of which a FIXED set (the same rows at every N) is due within
             the planning horizon, the rest in the past or far ahead; a fixed set of subscriptions
  tick URL   Planner.plan_once as the reminder service builds it (working-day placement): the
             first tick, which writes the reminders (the outbox emptied before each repeat), then
             the steady-state tick, which finds them all planned; medians of a few runs
  explain URL  the query plans of the planner's item queries (why a tick is not flat, if it is not)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from eudesk.handlers.notices import BELGRADE
from eudesk.schedules.calendar import WorkingCalendar
from eudesk.schedules.planner import MARGIN, Planner, calendar_place
from eudesk.storage.db import Database
from eudesk.storage.migrate import upgrade
from eudesk.storage.models import (
    Base,
    Body,
    DeadlineKind,
    DeadlineStatus,
    OutboxEntry,
    Programme,
    ProjectStatus,
    SubscriptionTopic,
)
from eudesk.storage.repositories.planning import PlanningRepository
from eudesk.storage.seed import seed_reference

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # a Friday: placement crosses a weekend
DUE_DEADLINES = 1_000  # open deadlines within every subscription's horizon (14 d lead + 7 d)
DUE_WITHIN = timedelta(days=20)
HORIZON = timedelta(minutes=20160) + MARGIN  # what the planner reads for the default leads
PROJECTS = 300
SUBSCRIPTIONS = {
    SubscriptionTopic.BODY_DEADLINES: 100,
    SubscriptionTopic.PROGRAMME_DEADLINES: 60,
    SubscriptionTopic.CALLS: 40,
}
PAST_SHARE = 0.25  # of the deadlines not due: done ones in the last ten years; the rest far ahead
CHUNK = 50_000
KINDS = [DeadlineKind.REPORT, DeadlineKind.COFINANCING, DeadlineKind.PAYMENT_CLAIM,
         DeadlineKind.OTHER]  # fmt: skip


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# build ------------------------------------------------------------------------------------------


async def _write(session: AsyncSession, name: str, rows: list[dict[str, Any]]) -> None:
    """Core executemany on SQLite; COPY on PostgreSQL, values through each column's bind
    processing so they are stored exactly as an INSERT would store them (as seed demo does)."""
    if not rows:
        return
    table = Base.metadata.tables[name]
    connection = await session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        await session.execute(insert(table), rows)
        return
    # COPY knows nothing of the model's Python-side defaults (budgets, lead times...): add them.
    defaults = {
        c.name: c.default.arg
        for c in table.columns
        if c.name not in rows[0] and isinstance(c.default, ScalarElementColumnDefault)
    }
    columns = [*rows[0], *defaults]
    rows = [row | defaults for row in rows]
    processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    records = [
        tuple(p(row[c]) if p else row[c] for c, p in zip(columns, processors, strict=True))
        for row in rows
    ]
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        table.name, records=records, columns=columns
    )


def _due_slots(total: int) -> dict[int, int]:
    """Deadline id → which of the fixed due deadlines it is; spread evenly over the ids."""
    return {j * total // DUE_DEADLINES + 1: j for j in range(DUE_DEADLINES)}


def _deadline(
    ident: int, due_at: datetime, status: DeadlineStatus, rng: random.Random, world: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One deadline (of a project, or of a programme alone) and the bodies it concerns."""
    call = rng.random() < 0.2
    on_project = not call and rng.random() < 0.8
    row = {
        "id": ident,
        "ref": f"BENCH-D{ident:07d}",
        "kind": DeadlineKind.CALL if call else rng.choice(KINDS),
        "title": f"Bench deadline {ident}",
        "due_at": due_at,
        "project_id": rng.choice(world["projects"]) if on_project else None,
        "programme_id": None if on_project else rng.choice(world["programmes"]),
        "status": status,
        "version": 1,
        "created_at": NOW,
        "is_demo": True,
    }
    bodies = rng.sample(world["bodies"], rng.choice((1, 1, 2)))
    return row, [{"deadline_id": ident, "body_id": body} for body in bodies]


def deadlines(total: int, world: dict[str, Any]) -> Iterator[tuple[dict[str, Any], list[Any]]]:
    """The deadlines by id: the fixed due ones come from their own seed, so every size has them."""
    slots = _due_slots(total)
    rest = random.Random(7)
    for ident in range(1, total + 1):
        slot = slots.get(ident)
        if slot is not None:
            rng = random.Random(slot)  # the same deadline at every size
            due = NOW + timedelta(hours=1) + (DUE_WITHIN - timedelta(hours=1)) * rng.random()
            yield _deadline(ident, due, DeadlineStatus.OPEN, rng, world)
        elif rest.random() < PAST_SHARE:
            due = NOW - timedelta(days=1 + rest.random() * 3650)
            yield _deadline(ident, due, DeadlineStatus.DONE, rest, world)
        else:
            due = NOW + timedelta(days=100 + rest.random() * 3650)
            yield _deadline(ident, due, DeadlineStatus.OPEN, rest, world)


async def _world(database: Database) -> dict[str, Any]:
    """Reference data, the projects, and the ids and codes the deadlines are spread over."""
    async with database.transaction() as session:
        await seed_reference(session)
        programmes = list(
            await session.execute(select(Programme.id, Programme.code).order_by(Programme.id))
        )
        bodies = list(await session.execute(select(Body.id, Body.code).order_by(Body.id)))
        projects = [
            {
                "id": n,
                "code": f"BENCH-P{n:04d}",
                "acronym": f"BP{n}",
                "title": f"Bench project {n}",
                "programme_id": programmes[n % len(programmes)][0],
                "status": ProjectStatus.ONGOING,
                "created_at": NOW,
                "is_demo": True,
            }
            for n in range(1, PROJECTS + 1)
        ]
        await _write(session, "projects", projects)
    return {
        "programmes": [ident for ident, _ in programmes],
        "programme_codes": [code for _, code in programmes],
        "bodies": [ident for ident, _ in bodies],
        "body_codes": [code for _, code in bodies],
        "projects": [row["id"] for row in projects],
    }


def subscriptions(world: dict[str, Any]) -> list[dict[str, Any]]:
    """The fixed subscriptions: by body, by programme, and to every call for proposals."""
    keys = {
        SubscriptionTopic.BODY_DEADLINES: world["body_codes"],
        SubscriptionTopic.PROGRAMME_DEADLINES: world["programme_codes"],
        SubscriptionTopic.CALLS: [""],
    }
    rows: list[dict[str, Any]] = []
    for topic, count in SUBSCRIPTIONS.items():
        for n in range(count):
            rows.append(
                {
                    "platform": "telegram",
                    "chat_id": str(800_000_000 + len(rows)),
                    "topic": topic,
                    "topic_key": keys[topic][n % len(keys[topic])],
                    "created_at": NOW,
                }
            )
    return rows


async def build(url: str, total: int) -> dict[str, Any]:
    database = Database.from_url(url)
    await upgrade(database)
    started = time.perf_counter()
    world = await _world(database)
    rows: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for row, bodies in deadlines(total, world):
        rows.append(row)
        links += bodies
        if len(rows) == CHUNK:
            await _deadline_chunk(database, rows, links)
            rows, links = [], []
    await _deadline_chunk(database, rows, links)
    async with database.transaction() as session:
        await _write(session, "subscriptions", subscriptions(world))
        # Fresh statistics, as a maintained database has them (autovacuum; SQLite's optimize).
        await session.execute(text("ANALYZE"))
    seconds = time.perf_counter() - started
    await database.dispose()
    return {"deadlines": total, "due": DUE_DEADLINES, "build_s": seconds}


async def _deadline_chunk(
    database: Database, rows: list[dict[str, Any]], links: list[dict[str, Any]]
) -> None:
    async with database.transaction() as session:
        await _write(session, "deadlines", rows)
        await _write(session, "deadline_bodies", links)


# tick -------------------------------------------------------------------------------------------


def planner(database: Database) -> Planner:
    """As ReminderService builds it: placement through working days and allowed hours."""
    return Planner(database, place=calendar_place(WorkingCalendar(BELGRADE)), clock=lambda: NOW)


async def _empty_outbox(database: Database) -> None:
    async with database.transaction() as session:
        await session.execute(delete(OutboxEntry))


async def tick(url: str, repeats: int) -> dict[str, Any]:
    database = Database.from_url(url)
    first: list[float] = []
    steady: list[float] = []
    created = again = 0
    for _ in range(repeats):
        await _empty_outbox(database)
        tick_planner = planner(database)  # a fresh calendar cache, as after a restart
        started = time.perf_counter()
        created = (await tick_planner.plan_once()).created
        first.append(time.perf_counter() - started)
    tick_planner = planner(database)
    for _ in range(repeats):
        started = time.perf_counter()
        again = (await tick_planner.plan_once()).created
        steady.append(time.perf_counter() - started)
    queries = await item_queries(database)
    await database.dispose()
    return {
        "first_s": statistics.median(first),
        "steady_s": statistics.median(steady),
        "queries_ms": queries,
        "first_all_s": first,
        "steady_all_s": steady,
        "created": created,
        "created_again": again,
    }


async def item_queries(database: Database, repeats: int = 7) -> float:
    """Median milliseconds of the planner's item queries, one per topic, as a tick issues them:
    the part of a tick that would grow with the deadlines that exist if an index were missing."""
    async with database.transaction() as session:
        world = await _codes(session)
    keys = {
        topic: {row["topic_key"] for row in subscriptions(world) if row["topic"] == topic}
        for topic in SUBSCRIPTIONS
    }
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        async with database.transaction() as session:
            repo = PlanningRepository(session, database.dialect)
            for topic, topic_keys in keys.items():
                await repo.due_items(topic, topic_keys, NOW, NOW + HORIZON)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


# explain ----------------------------------------------------------------------------------------


async def explain(url: str) -> dict[str, Any]:
    """The plan of each topic's item query, as the planner issues it (same SQL, same values)."""
    database = Database.from_url(url)
    plans: dict[str, list[str]] = {}
    prefix = "EXPLAIN QUERY PLAN " if database.dialect == "sqlite" else "EXPLAIN "
    async with database.transaction() as session:
        world = await _codes(session)
        connection = await session.connection()
        issued: list[tuple[str, Any]] = []

        def capture(conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
            issued.append((statement, params))

        event.listen(connection.sync_connection, "before_cursor_execute", capture)
        repo = PlanningRepository(session, database.dialect)
        for topic in SUBSCRIPTIONS:
            keys = {row["topic_key"] for row in subscriptions(world) if row["topic"] == topic}
            await repo.due_items(topic, keys, NOW, NOW + HORIZON)
            statement, params = issued[-1]
            rows = await connection.exec_driver_sql(prefix + statement, params)
            plans[topic.value] = [" ".join(str(v) for v in row) for row in rows]
        event.remove(connection.sync_connection, "before_cursor_execute", capture)
    await database.dispose()
    return {"plans": plans}


async def _codes(session: AsyncSession) -> dict[str, Any]:
    return {
        "body_codes": list(await session.scalars(select(Body.code).order_by(Body.id))),
        "programme_codes": list(
            await session.scalars(select(Programme.code).order_by(Programme.id))
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("phase", choices=["build", "tick", "explain"])
    parser.add_argument("url")
    parser.add_argument("--deadlines", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.phase == "build":
        result = asyncio.run(build(args.url, args.deadlines))
    elif args.phase == "tick":
        result = asyncio.run(tick(args.url, args.repeats))
    else:
        result = asyncio.run(explain(args.url))
    result["peak_mib"] = peak_mib()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
