"""Invented demo data (`is_demo`, refs "DEMO-"), bulk-inserted fast enough for scale 100."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, exists, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.db import Database, StorageError
from eudesk.storage.models import (
    Agreement,
    AgreementStatus,
    Base,
    Body,
    BodyKind,
    Chapter,
    Cluster,
    Contact,
    Deadline,
    DeadlineBody,
    GroupMember,
    Guideline,
    GuidelineDelivery,
    Identity,
    Locale,
    Meeting,
    NegotiatingGroup,
    PassportRecord,
    PassportStatusEvent,
    Platform,
    Programme,
    Project,
    ProjectPartner,
    Role,
    User,
    UserRole,
    VisaRecord,
    VisaStatusEvent,
)
from eudesk.storage.seed import vocabulary as v
from eudesk.storage.seed.generate import generate_unit
from eudesk.storage.seed.rows import BELGRADE, Batch, Ids, Lsgu, World
from eudesk.storage.seed.subscriptions import seed_subscriptions
from eudesk.storage.text import fold, search_key

# Scale units per transaction: small enough to report progress, big enough to batch well.
UNITS_PER_CHUNK = 5
# The order demo rows are deleted in: children (or rows that only SET NULL a referrer) first.
DEMO_TABLES: tuple[Any, ...] = (
    Deadline,
    Project,
    Meeting,
    VisaRecord,
    PassportRecord,
    Guideline,
    Agreement,
    User,
    Contact,
)
MODELS: dict[str, Any] = {
    "projects": Project,
    "project_partners": ProjectPartner,
    "deadlines": Deadline,
    "deadline_bodies": DeadlineBody,
    "meetings": Meeting,
    "passport_records": PassportRecord,
    "passport_status_events": PassportStatusEvent,
    "visa_records": VisaRecord,
    "visa_status_events": VisaStatusEvent,
    "guidelines": Guideline,
    "guideline_deliveries": GuidelineDelivery,
}
PRESET_IDS = ("projects", "deadlines", "passport_records", "visa_records", "guidelines")
DEMO_USERS = {
    "demo": (Role.COORDINATOR, Role.STAFF),
    "demo-staff": (Role.STAFF,),
    "demo-officer": (Role.PASSPORT_OFFICER, Role.STAFF),
    "demo-admin": (Role.ADMIN, Role.STAFF),
    "demo-contact": (Role.CONTACT,),
}
CONTACT_BODY = "LSGU-80284"  # Novi Sad


class ReferenceDataMissing(StorageError):
    """Demo data hangs on the reference data; carries what was missing."""

    def __init__(self, missing: str) -> None:
        self.missing = missing
        super().__init__(f"reference data missing ({missing}): run `eudesk seed reference` first")


class DemoAlreadySeeded(StorageError):
    """Demo rows exist already; carries the first table found holding some."""

    def __init__(self, table: str) -> None:
        self.table = table
        super().__init__(f"demo data already present (in {table}): pass replace=True to redo it")


class RealDataOnDemo(StorageError):
    """Real rows hang on demo rows, so removing the demo data would remove them too."""

    def __init__(self, kind: str, ref: str) -> None:
        self.kind = kind
        self.ref = ref
        super().__init__(
            f"real {kind} {ref} belongs to a demo project: move it before replacing demo data"
        )


async def seed_demo(
    db: Database,
    *,
    scale: int = 1,
    today: date | None = None,
    replace: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Insert `scale` units of demo data (about 100 projects each); returns rows per table."""
    if scale < 1:
        raise ValueError(f"scale must be at least 1, not {scale}")
    today = today or datetime.now(BELGRADE).date()
    counts: Counter[str] = Counter()
    async with db.transaction() as session:
        world = await _load_world(session, today)
        if replace:
            await delete_demo(session)
        else:
            await _refuse_if_seeded(session)
        counts.update(await _seed_fixed(session, world))
    numbering: Counter[str] = Counter()
    for start in range(0, scale, UNITS_PER_CHUNK):
        async with db.transaction() as session, _roomy_cache(session, db.dialect):
            ids = Ids({t: await _next_id(session, MODELS[t]) for t in PRESET_IDS})
            for unit in range(start, min(scale, start + UNITS_PER_CHUNK)):
                batch = generate_unit(world, unit, ids, numbering)
                counts.update(await _insert(session, batch, postgres=db.dialect == "postgresql"))
            if db.dialect == "postgresql":
                await _advance_sequences(session)
        if progress is not None:
            progress(min(scale, start + UNITS_PER_CHUNK), scale)
    async with db.transaction() as session:
        counts["subscriptions"] += await seed_subscriptions(session)
    async with db.transaction() as session:
        # Fresh statistics after a bulk load, or the planners guess (PostgreSQL would until
        # autovacuum gets round to it; SQLite never does on its own).
        await session.execute(text("ANALYZE"))
    return dict(counts)


async def delete_demo(session: AsyncSession) -> dict[str, int]:
    """Remove every demo row; children go with their parents by ON DELETE CASCADE."""
    # A real deadline filed against a demo project would be cascaded away with it: refuse.
    real_on_demo = await session.scalar(
        select(Deadline.ref)
        .join(Project, Project.id == Deadline.project_id)
        .where(Project.is_demo.is_(True), Deadline.is_demo.is_(False))
        .limit(1)
    )
    if real_on_demo is not None:
        raise RealDataOnDemo("deadline", real_on_demo)
    removed = {}
    for model in DEMO_TABLES:
        result = await session.execute(
            delete(model).where(model.is_demo.is_(True)),
            execution_options={"synchronize_session": False},
        )
        removed[model.__tablename__] = result.rowcount  # type: ignore[attr-defined]
    return removed


async def _refuse_if_seeded(session: AsyncSession) -> None:
    for model in DEMO_TABLES:
        if await session.scalar(select(exists().where(model.is_demo.is_(True)))):
            raise DemoAlreadySeeded(model.__tablename__)


async def _load_world(session: AsyncSession, today: date) -> World:
    columns = (Body.id, Body.code, Body.kind, Body.name_sr_latn, Body.district_code)
    bodies = (await session.execute(select(*columns))).all()
    lsgus = [
        Lsgu(b.id, b.name_sr_latn, b.kind, b.district_code or "") for b in bodies if b.kind.is_lsgu
    ]
    programmes = {p.code: (p.id, p.name) for p in (await session.scalars(select(Programme)))}
    chapters = {
        c.number: (c.title_sr_latn, c.cluster_number)
        for c in await session.scalars(select(Chapter))
    }
    clusters = {c.number: c.name_sr_latn for c in await session.scalars(select(Cluster))}
    world = World(today, lsgus, {b.code: b.id for b in bodies}, programmes, chapters, clusters)
    needed = {"SECTOR", "BRUSSELS", CONTACT_BODY, *v.CHAPTER_SECRETARIAT.values()}
    for what, ok in (
        ("local self-government units", len(lsgus) == 45),
        ("bodies", needed <= world.bodies.keys()),
        ("programmes", set(v.PROGRAMME_WEIGHTS) <= programmes.keys()),
        ("chapters", set(v.MEETING_CHAPTERS) <= chapters.keys()),
    ):
        if not ok:
            raise ReferenceDataMissing(what)
    return world


async def _seed_fixed(session: AsyncSession, world: World) -> dict[str, int]:
    """What does not grow with scale: contacts, users, agreements, group members."""
    rng = random.Random(f"eudesk-demo-fixed:{world.today.isoformat()}")
    bodies = (await session.execute(select(Body.id, Body.code, Body.kind, Body.name_hu))).all()
    contacts: dict[str, list[Contact]] = {}
    for body in sorted(bodies, key=lambda b: b.code):
        if not (body.kind.is_lsgu or body.kind is BodyKind.PROVINCIAL_SECRETARIAT):
            continue
        for n in (1, 2):
            name = f"{rng.choice(v.FIRST_NAMES)} {rng.choice(v.LAST_NAMES)}"
            hungarian = body.name_hu is not None and rng.random() < 0.3
            contacts.setdefault(body.code, []).append(Contact(
                ref=f"DEMO-C-{body.code}-{n}", body_id=body.id, name=name,
                position=v.CONTACT_POSITIONS[(n - 1) * 2 + rng.randint(0, 1)],
                email=f"{fold(name).replace(' ', '.')}.{n}@demo.invalid",
                locale=Locale.HU if hungarian else Locale.SR_LATN, is_demo=True,
            ))  # fmt: skip
    session.add_all([c for pair in contacts.values() for c in pair])
    await session.flush()
    for code, pair in contacts.items():
        ids = [c.id for c in pair]
        if code.startswith("LSGU-"):
            world.lsgu_contacts += ids
        else:
            world.provincial_contacts += ids
    groups = {g.chapter_number: g.id for g in await session.scalars(select(NegotiatingGroup))}
    members = [
        {"group_id": groups[chapter], "contact_id": contacts[code][0].id}
        for chapter, code in v.CHAPTER_SECRETARIAT.items()
        if chapter in groups
    ]
    if members:
        await session.execute(insert(GroupMember), members)
    users = [
        User(
            name=name,
            is_demo=True,
            roles=[UserRole(role=r) for r in roles],
            identities=[Identity(platform=Platform.CONSOLE, external_id=name)],
            contact_id=contacts[CONTACT_BODY][0].id if Role.CONTACT in roles else None,
            body_id=world.bodies[CONTACT_BODY] if Role.CONTACT in roles else world.bodies["SECTOR"],
        )
        for name, roles in DEMO_USERS.items()
    ]
    session.add_all(users)
    agreements = [
        Agreement(
            partner_region=region,
            country=country,
            areas=areas,
            is_demo=True,
            signed_on=world.today - timedelta(days=rng.randint(400, 4000)),
            status=rng.choice((AgreementStatus.SIGNED, AgreementStatus.ACTIVE)),
            search_key=search_key(region, country),
        )
        for region, country, areas in v.AGREEMENTS
    ]
    agreements[-1].status, agreements[-1].signed_on = AgreementStatus.IN_PREPARATION, None
    session.add_all(agreements)
    await session.flush()
    world.officer_id = users[list(DEMO_USERS).index("demo-officer")].id
    return {
        "contacts": sum(len(p) for p in contacts.values()),
        "users": len(users),
        "agreements": len(agreements),
        "group_members": len(members),
    }


async def _next_id(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(select(func.coalesce(func.max(model.id), 0)))) + 1


async def _insert(session: AsyncSession, batch: Batch, *, postgres: bool) -> Counter[str]:
    """Each table's rows in one statement, parents first."""
    counts: Counter[str] = Counter()
    for f in fields(batch):
        rows = getattr(batch, f.name)
        if not rows:
            continue
        table = Base.metadata.tables[f.name]
        if postgres:
            await _copy(session, table, rows)
        else:
            # Core, not ORM, bulk insert: the same executemany without the ORM's per-row work.
            await session.execute(insert(table), rows)
        counts[f.name] += len(rows)
    return counts


async def _copy(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL's COPY, three times faster than executemany here; values still go through
    each column's bind processing, so they are stored exactly as an INSERT would store them."""
    connection = await session.connection()
    dialect = connection.dialect
    columns = list(rows[0])
    processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    records = [
        tuple(
            p(row[c]) if p is not None else row[c] for c, p in zip(columns, processors, strict=True)
        )
        for row in rows
    ]
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        table.name, records=records, columns=columns
    )


@asynccontextmanager
async def _roomy_cache(session: AsyncSession, dialect: str) -> AsyncIterator[None]:
    """On SQLite, a page cache big enough for the indexes being filled (2 MiB by default)."""
    if dialect != "sqlite":
        yield
        return
    before = await session.scalar(text("PRAGMA cache_size"))
    await session.execute(text("PRAGMA cache_size = -262144"))  # KiB, an upper bound
    try:
        yield
    finally:
        await session.execute(text(f"PRAGMA cache_size = {int(before or -2000)}"))


async def _advance_sequences(session: AsyncSession) -> None:
    """Ids were given by us, so PostgreSQL's sequences must be moved past them."""
    for table in PRESET_IDS:
        await session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")
        )
