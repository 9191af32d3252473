"""One unit of demo data (~100 projects and what hangs on them) as plain rows, without a database."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from eudesk.storage.models import (
    BodyKind,
    DeadlineKind,
    DeadlineStatus,
    DocumentStatus,
    GuidelineAudience,
    MeetingStatus,
    PassportKind,
    ProjectStatus,
)
from eudesk.storage.seed import vocabulary as v
from eudesk.storage.text import search_key
from eudesk.storage.types import CENT

BELGRADE = ZoneInfo("Europe/Belgrade")
PROJECTS_PER_UNIT = 100
MEETINGS_PER_UNIT = 20
PASSPORTS_PER_UNIT = 30
VISAS_PER_UNIT = 20
VALIDITY = timedelta(days=1826)  # five years
STATUS_WEIGHTS = {
    ProjectStatus.ONGOING: 45, ProjectStatus.APPROVED: 12, ProjectStatus.SUBMITTED: 12,
    ProjectStatus.PLANNED: 10, ProjectStatus.COMPLETED: 12, ProjectStatus.REJECTED: 6,
    ProjectStatus.WITHDRAWN: 3,
}  # fmt: skip
KIND_WEIGHTS = {
    DeadlineKind.REPORT: 35, DeadlineKind.PAYMENT_CLAIM: 25, DeadlineKind.COFINANCING: 15,
    DeadlineKind.OTHER: 25,
}  # fmt: skip
Row = dict[str, Any]


@dataclass(frozen=True)
class Lsgu:
    id: int
    name: str
    kind: BodyKind
    district: str


@dataclass
class World:
    """What the generator needs from the database: reference ids and the fixed demo rows."""

    today: date
    lsgus: list[Lsgu]
    bodies: dict[str, int]  # code -> id
    programmes: dict[str, tuple[int, str]]  # code -> (id, name)
    chapters: dict[int, tuple[str, int | None]]  # number -> (Serbian title, cluster)
    clusters: dict[int, str]  # number -> Serbian name
    lsgu_contacts: list[int] = field(default_factory=list)
    provincial_contacts: list[int] = field(default_factory=list)
    officer_id: int | None = None

    @property
    def now(self) -> datetime:
        return at_local(self.today, 9)


@dataclass
class Batch:
    """Rows of every demo table, in insertion order (parents first)."""

    projects: list[Row] = field(default_factory=list)
    project_partners: list[Row] = field(default_factory=list)
    deadlines: list[Row] = field(default_factory=list)
    deadline_bodies: list[Row] = field(default_factory=list)
    meetings: list[Row] = field(default_factory=list)
    passport_records: list[Row] = field(default_factory=list)
    passport_status_events: list[Row] = field(default_factory=list)
    visa_records: list[Row] = field(default_factory=list)
    visa_status_events: list[Row] = field(default_factory=list)
    guidelines: list[Row] = field(default_factory=list)
    guideline_deliveries: list[Row] = field(default_factory=list)


class Ids:
    """Primary keys handed out in advance, so children can point at parents without a round trip."""

    def __init__(self, first: dict[str, int]) -> None:
        self._next = dict(first)

    def take(self, table: str) -> int:
        value = self._next[table]
        self._next[table] = value + 1
        return value


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    """Office time in Novi Sad on a day, as the UTC moment it is stored as."""
    return datetime.combine(day, time(hour, minute), tzinfo=BELGRADE).astimezone(UTC)


def workday(day: date) -> date:
    """The day, or the Friday before it when it falls on a weekend."""
    return day - timedelta(days=max(0, day.weekday() - 4))


def pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def generate_unit(world: World, unit: int, ids: Ids, numbering: Counter[str]) -> Batch:
    """Unit `unit` of the demo data; the same world, unit and numbering give the same rows."""
    rng = random.Random(f"eudesk-demo:{world.today.isoformat()}:{unit}")
    batch = Batch()
    for _ in range(PROJECTS_PER_UNIT):
        _project(rng, world, ids, numbering, batch)
        _programme_deadline(rng, world, ids, numbering, batch)
    for _ in range(MEETINGS_PER_UNIT):
        _meeting(rng, world, numbering, batch)
    for _ in range(PASSPORTS_PER_UNIT):
        _passport(rng, world, ids, numbering, batch)
    for _ in range(VISAS_PER_UNIT):
        _visa(rng, world, ids, numbering, batch)
    for guideline in v.GUIDELINES:
        _guideline(rng, world, ids, numbering, batch, guideline)
    return batch


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


def _project(
    rng: random.Random, world: World, ids: Ids, numbering: Counter[str], batch: Batch
) -> None:
    programme = pick(rng, v.PROGRAMME_WEIGHTS)
    numbering[programme] += 1
    project_id = ids.take("projects")
    acronym = f"{rng.choice(v.ACRONYM_HEADS)}-{rng.choice(v.ACRONYM_TAILS)}"
    title_en, title_sr = rng.choice(v.THEMES)
    status = pick(rng, STATUS_WEIGHTS)
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
                "project_id": project_id, "ordinal": ordinal, "name": name,
                "country": country, "body_id": body_id, "is_lead": ordinal == 0,
            }  # fmt: skip
        )
    code = f"DEMO-{programme}-{numbering[programme]:04d}"
    batch.projects.append(
        {
            "id": project_id, "code": code, "acronym": acronym,
            "title": title_en if rng.random() < 0.6 else title_sr,
            "programme_id": world.programmes[programme][0], "status": status,
            "starts_on": starts, "ends_on": ends, "total_budget": total,
            "eu_contribution": eu, "provincial_cofinancing": provincial,
            "prefinancing": prefinancing, "responsible_officer": rng.choice(v.OFFICERS),
            "search_key": search_key(code, acronym, title_en, title_sr, partners[0][0]),
            "created_at": world.now, "is_demo": True,
        }  # fmt: skip
    )
    cancelled = status in (ProjectStatus.REJECTED, ProjectStatus.WITHDRAWN)
    concerned = [b.id for b in lsgus]
    seen: Counter[DeadlineKind] = Counter()
    for _ in range(rng.randint(12, 20)):
        kind = pick(rng, KIND_WEIGHTS)
        seen[kind] += 1
        label = rng.choice(v.DEADLINE_LABELS[kind.value]).format(n=seen[kind])
        bodies = [*concerned, world.bodies["SECTOR"]] if kind is DeadlineKind.COFINANCING else concerned
        _deadline(
            rng, world, ids, numbering, batch, kind=kind, title=f"{acronym}: {label}",
            project_id=project_id, programme=programme, bodies=bodies, cancelled=cancelled,
        )  # fmt: skip


def _programme_deadline(
    rng: random.Random, world: World, ids: Ids, numbering: Counter[str], batch: Batch
) -> None:
    """A call for proposals (or an info day) that concerns a programme, not a project."""
    programme = rng.choice(list(world.programmes))
    is_call = programme != "EUSDR" and rng.random() < 0.75
    label = rng.choice(v.PROGRAMME_EVENTS if is_call else v.PROGRAMME_OTHER)
    eligible = _eligible(world, programme)
    bodies = [b.id for b in rng.sample(eligible, k=min(len(eligible), rng.randint(2, 5)))]
    _deadline(
        rng, world, ids, numbering, batch,
        kind=DeadlineKind.CALL if is_call else DeadlineKind.OTHER,
        title=f"{world.programmes[programme][1]}: {label.format(n=rng.randint(1, 4))}",
        project_id=None, programme=programme, bodies=bodies, cancelled=False,
    )  # fmt: skip


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
) -> None:
    day = workday(world.today + timedelta(days=rng.randint(-60, 300)))
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
            "id": deadline_id, "ref": f"DEMO-DL-{numbering['deadline']:07d}", "kind": kind,
            "title": title[:400], "due_at": at_local(day, rng.choice((10, 12, 14, 15)),
                                                     rng.choice((0, 0, 30))),
            "project_id": project_id, "programme_id": world.programmes[programme][0],
            "status": status, "version": 1, "notes": None, "created_at": world.now,
            "is_demo": True,
        }  # fmt: skip
    )
    batch.deadline_bodies.extend({"deadline_id": deadline_id, "body_id": b} for b in bodies)


def _meeting(rng: random.Random, world: World, numbering: Counter[str], batch: Batch) -> None:
    chapter: int | None = rng.choice(v.MEETING_CHAPTERS)
    assert chapter is not None
    title_sr, cluster = world.chapters[chapter]
    if rng.random() < 0.15 and cluster is not None:
        title = f"Klaster {cluster} ({world.clusters[cluster]}): koordinacioni sastanak"
        chapter = None
    else:
        title = f"Pregovaračka grupa {chapter} – {title_sr}: sastanak"
    place = pick(rng, dict(v.MEETING_PLACES))
    day = workday(world.today + timedelta(days=rng.randint(-60, 300)))
    starts = at_local(day, rng.choice((10, 11, 12)), rng.choice((0, 30)))
    if day < world.today:
        status = MeetingStatus.HELD
    else:
        status = MeetingStatus.CANCELLED if rng.random() < 0.05 else MeetingStatus.SCHEDULED
    items = [*rng.sample(v.AGENDA_ITEMS[:-1], k=rng.randint(2, 4)), v.AGENDA_ITEMS[-1]]
    numbering["meeting"] += 1
    batch.meetings.append(
        {
            "ref": f"DEMO-MTG-{numbering['meeting']:05d}", "title": title[:300],
            "chapter_number": chapter, "cluster_number": cluster, "starts_at": starts,
            "ends_at": starts + timedelta(minutes=rng.choice((90, 120, 180, 240))),
            "place": place, "agenda": "\n".join(f"{i}. {t}" for i, t in enumerate(items, 1)),
            "status": status, "version": 1, "created_at": world.now, "is_demo": True,
        }  # fmt: skip
    )


def _history(
    rng: random.Random, world: World, record_id: int, steps: list[tuple[DocumentStatus, date]]
) -> list[Row]:
    return [
        {
            "record_id": record_id, "status": status, "by_user_id": world.officer_id,
            "at": at_local(day, rng.randint(8, 15), rng.choice((0, 15, 30, 45))),
            "note": "demo" if status is DocumentStatus.REQUESTED else None,
        }  # fmt: skip
        for status, day in steps
    ]


def _passport(
    rng: random.Random, world: World, ids: Ids, numbering: Counter[str], batch: Batch
) -> None:
    final = rng.choices(range(5), weights=(10, 10, 10, 50, 20))[0]
    path = list(v.DOCUMENT_PATH[: min(final, 3) + 1])
    gaps = [0, rng.randint(3, 10), rng.randint(10, 30), rng.randint(2, 7)]
    offsets = [sum(gaps[: i + 1]) for i in range(len(path))]
    if final == 4:
        ending = rng.choice(v.DOCUMENT_ENDINGS)
        after = 1826 - offsets[3] + offsets[2] if ending is DocumentStatus.EXPIRED else 0
        path.append(ending)
        offsets.append(offsets[-1] + max(after, rng.randint(30, 600)))
    start = world.today - timedelta(days=offsets[-1] + rng.randint(1, 120))
    if path[-1] is DocumentStatus.DELIVERED and rng.random() < 0.3:
        # A few valid passports run out soon, so "expiring" queries find something.
        start = world.today + timedelta(days=rng.randint(10, 300)) - VALIDITY
        start -= timedelta(days=offsets[2])
    days = [start + timedelta(days=o) for o in offsets]
    kind = PassportKind.DIPLOMATIC if rng.random() < 0.35 else PassportKind.OFFICIAL
    issued = days[2] if len(days) > 2 else None
    record_id = ids.take("passport_records")
    numbering["passport"] += 1
    batch.passport_records.append(
        {
            "id": record_id, "reference": f"DEMO-PAS-{numbering['passport']:05d}", "kind": kind,
            "holder_name": f"{rng.choice(v.FIRST_NAMES)} {rng.choice(v.LAST_NAMES)}",
            "holder_position": rng.choice(v.HOLDER_POSITIONS),
            "body_id": world.bodies[rng.choice(["SECTOR", "BRUSSELS", *v.CHAPTER_SECRETARIAT.values()])],
            "passport_number": (
                f"{'D' if kind is PassportKind.DIPLOMATIC else 'S'}{rng.randint(1, 99999):07d}"
                if issued else None
            ),
            "status": path[-1], "issued_on": issued,
            "valid_until": issued + VALIDITY if issued else None, "notes": None,
            "anonymised_at": None, "created_at": world.now, "is_demo": True,
        }  # fmt: skip
    )
    batch.passport_status_events += _history(rng, world, record_id, list(zip(path, days, strict=True)))


def _visa(
    rng: random.Random, world: World, ids: Ids, numbering: Counter[str], batch: Batch
) -> None:
    usable = [
        p for p in batch.passport_records
        if p["status"] in (DocumentStatus.ISSUED, DocumentStatus.DELIVERED)
    ]  # fmt: skip
    passport = rng.choice(usable) if usable else None
    final = rng.choices(range(5), weights=(10, 20, 15, 45, 10))[0]
    path = [*v.DOCUMENT_PATH, DocumentStatus.RETURNED][: final + 1]
    gaps = [0, rng.randint(2, 7), rng.randint(5, 20), rng.randint(1, 3), rng.randint(10, 60)]
    offsets = [sum(gaps[: i + 1]) for i in range(len(path))]
    start = world.today - timedelta(days=offsets[-1] + rng.randint(1, 300))
    days = [start + timedelta(days=o) for o in offsets]
    valid_from = days[2] + timedelta(days=rng.randint(5, 30)) if len(days) > 2 else None
    country = rng.choice(v.VISA_COUNTRIES)
    record_id = ids.take("visa_records")
    numbering["visa"] += 1
    batch.visa_records.append(
        {
            "id": record_id, "reference": f"DEMO-VIS-{numbering['visa']:05d}",
            "passport_id": passport["id"] if passport else None,
            "holder_name": passport["holder_name"] if passport else
            f"{rng.choice(v.FIRST_NAMES)} {rng.choice(v.LAST_NAMES)}",
            "country": country, "visa_type": rng.choice(v.VISA_TYPES),
            "visa_number": f"{country[:2].upper()}{rng.randint(1_000_000, 9_999_999)}"
            if valid_from else None,
            "status": path[-1], "valid_from": valid_from,
            "valid_until": valid_from + timedelta(days=rng.choice((30, 90, 180, 365)))
            if valid_from else None,
            "anonymised_at": None, "created_at": world.now, "is_demo": True,
        }  # fmt: skip
    )
    batch.visa_status_events += _history(rng, world, record_id, list(zip(path, days, strict=True)))


def _guideline(
    rng: random.Random,
    world: World,
    ids: Ids,
    numbering: Counter[str],
    batch: Batch,
    guideline: tuple[str, str, GuidelineAudience, Any],
) -> None:
    title, summary, audience, locale = guideline
    published = at_local(workday(world.today - timedelta(days=rng.randint(3, 120))), 11)
    guideline_id = ids.take("guidelines")
    numbering["guideline"] += 1
    batch.guidelines.append(
        {
            "id": guideline_id, "ref": f"DEMO-GL-{numbering['guideline']:04d}", "title": title,
            "summary": summary, "link": "https://region.vojvodina.gov.rs/",
            "audience": audience, "locale": locale, "published_at": published,
            "created_at": world.now, "is_demo": True,
        }  # fmt: skip
    )
    recipients = {
        GuidelineAudience.ALL_LSGU: world.lsgu_contacts,
        GuidelineAudience.PROVINCIAL: world.provincial_contacts,
    }.get(audience, world.lsgu_contacts + world.provincial_contacts)
    sent = published + timedelta(minutes=10)
    for contact_id in recipients:
        acked = sent + timedelta(hours=rng.randint(1, 240)) if rng.random() < 0.65 else None
        if acked is not None and acked > world.now:
            acked = None
        reminded = sent + timedelta(days=3) if acked is None and sent + timedelta(days=3) < world.now else None
        batch.guideline_deliveries.append(
            {
                "guideline_id": guideline_id, "contact_id": contact_id, "sent_at": sent,
                "reminded_at": reminded, "acknowledged_at": acked, "acknowledged_by": None,
            }  # fmt: skip
        )
