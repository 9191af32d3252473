"""Demo projects, their partners and deadlines, and calls for proposals of the programmes."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from eudesk.storage.models import (
    BodyKind,
    DeadlineKind,
    DeadlineStatus,
    ProjectStatus,
)
from eudesk.storage.seed import vocabulary as v
from eudesk.storage.seed.rows import Batch, Ids, Lsgu, Weighted, World, at_local, money, workday
from eudesk.storage.text import search_key

PROGRAMMES = Weighted(v.PROGRAMME_WEIGHTS)
STATUSES = Weighted({
    ProjectStatus.ONGOING: 45, ProjectStatus.APPROVED: 12, ProjectStatus.SUBMITTED: 12,
    ProjectStatus.PLANNED: 10, ProjectStatus.COMPLETED: 12, ProjectStatus.REJECTED: 6,
    ProjectStatus.WITHDRAWN: 3,
})  # fmt: skip
KINDS = Weighted({
    DeadlineKind.REPORT: 35, DeadlineKind.PAYMENT_CLAIM: 25, DeadlineKind.COFINANCING: 15,
    DeadlineKind.OTHER: 25,
})  # fmt: skip


@lru_cache(maxsize=8192)
def _names_key(*names: str) -> str:
    """The search key of names that repeat across projects (themes, partners), computed once."""
    return search_key(*names)


def _eligible(world: World, programme: str) -> list[Lsgu]:
    districts = v.PROGRAMME_DISTRICTS.get(programme)
    return [b for b in world.lsgus if districts is None or b.district in districts]


def _project_dates(rng: random.Random, today: date, status: ProjectStatus) -> tuple[date, date]:
    months = rng.choice((12, 18, 24, 30, 36))
    if status is ProjectStatus.ONGOING:
        starts = today - timedelta(days=rng.randint(30, 700))
        months = max(months, (today - starts).days // 30 + 3)
    elif status is ProjectStatus.COMPLETED:
        starts = today - timedelta(days=rng.randint(10, 400) + months * 30)
    elif status is ProjectStatus.APPROVED:
        starts = today + timedelta(days=rng.randint(10, 120))
    else:
        starts = today + timedelta(days=rng.randint(90, 330))
    starts = starts.replace(day=1)
    return starts, starts + timedelta(days=months * 30 - 1)


def add_project(
    rng: random.Random, world: World, ids: Ids, numbering: Counter[str], batch: Batch
) -> None:
    programme = PROGRAMMES.pick(rng)
    numbering[programme] += 1
    project_id = ids.take("projects")
    acronym = f"{rng.choice(v.ACRONYM_HEADS)}-{rng.choice(v.ACRONYM_TAILS)}"
    title_en, title_sr = rng.choice(v.THEMES)
    status = STATUSES.pick(rng)
    starts, ends = _project_dates(rng, world.today, status)

    low, high, eu_percent = v.PROGRAMME_BUDGETS[programme]
    total = Decimal(rng.randrange(low, high, 500))
    eu = money(total * eu_percent / 100)
    provincial = min(money(total * rng.randint(20, 100) / 1000), total - eu)
    running = status in (ProjectStatus.APPROVED, ProjectStatus.ONGOING, ProjectStatus.COMPLETED)
    prefinancing = money(eu * rng.choice((10, 15, 20, 25, 30)) / 100) if running else Decimal(0)

    lsgus = rng.sample(_eligible(world, programme), k=rng.randint(1, 3))
    pool = v.FOREIGN_PARTNERS[v.PROGRAMME_PARTNER_POOL.get(programme, "EU")]
    foreign = rng.sample(pool, k=rng.randint(1, 3))
    partners: list[tuple[str, str, int | None]] = [
        (("Grad " if b.kind is BodyKind.CITY else "Opština ") + b.name, "Serbia", b.id)
        for b in lsgus
    ]
    partners += [(name, country, None) for name, country in foreign]
    if rng.random() < 0.4:
        partners.append((rng.choice(v.SERBIAN_PARTNERS), "Serbia", None))
    lead = rng.choices((0, len(lsgus), len(partners) - 1), weights=(55, 35, 10))[0]
    partners.insert(0, partners.pop(lead))
    for ordinal, (name, country, body_id) in enumerate(partners):
        batch.project_partners.append(
            {
                "project_id": project_id,
                "ordinal": ordinal,
                "name": name,
                "country": country,
                "body_id": body_id,
                "is_lead": ordinal == 0,
            }
        )
    code = f"DEMO-{programme}-{numbering[programme]:04d}"
    batch.projects.append(
        {
            "id": project_id,
            "code": code,
            "acronym": acronym,
            "title": title_en if rng.random() < 0.6 else title_sr,
            "programme_id": world.programmes[programme][0],
            "status": status,
            "starts_on": starts,
            "ends_on": ends,
            "total_budget": total,
            "eu_contribution": eu,
            "provincial_cofinancing": provincial,
            "prefinancing": prefinancing,
            "responsible_officer": rng.choice(v.OFFICERS),
            "search_key": (
                f"{search_key(code, acronym)} | {_names_key(title_en, title_sr, partners[0][0])}"
            ),
            "created_at": world.now,
            "is_demo": True,
        }
    )
    cancelled = status in (ProjectStatus.REJECTED, ProjectStatus.WITHDRAWN)
    concerned = [b.id for b in lsgus]
    seen: Counter[DeadlineKind] = Counter()
    for _ in range(rng.randint(12, 20)):
        kind = KINDS.pick(rng)
        seen[kind] += 1
        label = rng.choice(v.DEADLINE_LABELS[kind.value]).format(n=seen[kind])
        bodies = (
            [*concerned, world.bodies["SECTOR"]] if kind is DeadlineKind.COFINANCING else concerned
        )
        _deadline(
            rng,
            world,
            ids,
            numbering,
            batch,
            kind=kind,
            title=f"{acronym}: {label}",
            project_id=project_id,
            programme=programme,
            bodies=bodies,
            cancelled=cancelled,
            # A completed project's deadlines all fell within its run: none is still open.
            within=(starts, ends) if status is ProjectStatus.COMPLETED else None,
        )


def add_programme_deadline(
    rng: random.Random, world: World, ids: Ids, numbering: Counter[str], batch: Batch
) -> None:
    """A call for proposals (or an info day) that concerns a programme, not a project."""
    programme = rng.choice(list(world.programmes))
    is_call = programme != "EUSDR" and rng.random() < 0.75
    label = rng.choice(v.PROGRAMME_EVENTS if is_call else v.PROGRAMME_OTHER)
    eligible = _eligible(world, programme)
    bodies = [b.id for b in rng.sample(eligible, k=min(len(eligible), rng.randint(2, 5)))]
    _deadline(
        rng,
        world,
        ids,
        numbering,
        batch,
        kind=DeadlineKind.CALL if is_call else DeadlineKind.OTHER,
        title=f"{world.programmes[programme][1]}: {label.format(n=rng.randint(1, 4))}",
        project_id=None,
        programme=programme,
        bodies=bodies,
        cancelled=False,
    )


def _deadline(
    rng: random.Random,
    world: World,
    ids: Ids,
    numbering: Counter[str],
    batch: Batch,
    *,
    kind: DeadlineKind,
    title: str,
    project_id: int | None,
    programme: str,
    bodies: list[int],
    cancelled: bool,
    within: tuple[date, date] | None = None,
) -> None:
    if within is None:
        day = workday(world.today + timedelta(days=rng.randint(-60, 300)))
    else:  # one draw either way, so the rest of the demo stays as it was
        day = workday(within[0] + timedelta(days=rng.randint(0, (within[1] - within[0]).days)))
        day = min(day, world.today - timedelta(days=1))
    if day < world.today:
        status = DeadlineStatus.DONE
    elif cancelled or rng.random() < 0.02:
        status = DeadlineStatus.CANCELLED
    else:
        status = DeadlineStatus.OPEN
    deadline_id = ids.take("deadlines")
    numbering["deadline"] += 1
    batch.deadlines.append(
        {
            "id": deadline_id,
            "ref": f"DEMO-DL-{numbering['deadline']:07d}",
            "kind": kind,
            "title": title[:400],
            "due_at": at_local(day, rng.choice((10, 12, 14, 15)), rng.choice((0, 0, 30))),
            "project_id": project_id,
            "programme_id": world.programmes[programme][0],
            "status": status,
            "version": 1,
            "notes": None,
            "created_at": world.now,
            "is_demo": True,
        }
    )
    batch.deadline_bodies.extend({"deadline_id": deadline_id, "body_id": b} for b in bodies)
