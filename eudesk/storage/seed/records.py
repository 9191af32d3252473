"""Demo meetings, passport and visa records with their history, and guidelines with deliveries."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

from eudesk.storage.models import (
    DocumentStatus,
    GuidelineAudience,
    MeetingStatus,
    PassportKind,
)
from eudesk.storage.seed import vocabulary as v
from eudesk.storage.seed.rows import Batch, Ids, Row, Weighted, World, at_local, workday

VALIDITY = timedelta(days=1826)  # five years
PLACES = Weighted(dict(v.MEETING_PLACES))


def add_meeting(rng: random.Random, world: World, numbering: Counter[str], batch: Batch) -> None:
    chapter: int | None = rng.choice(v.MEETING_CHAPTERS)
    assert chapter is not None
    title_sr, cluster = world.chapters[chapter]
    if rng.random() < 0.15 and cluster is not None:
        title = f"Klaster {cluster} ({world.clusters[cluster]}): koordinacioni sastanak"
        chapter = None
    else:
        title = f"Pregovaračka grupa {chapter} – {title_sr}: sastanak"
    place = PLACES.pick(rng)
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
            "ref": f"DEMO-MTG-{numbering['meeting']:05d}",
            "title": title[:300],
            "chapter_number": chapter,
            "cluster_number": cluster,
            "starts_at": starts,
            "ends_at": starts + timedelta(minutes=rng.choice((90, 120, 180, 240))),
            "place": place,
            "agenda": "\n".join(f"{i}. {t}" for i, t in enumerate(items, 1)),
            "status": status,
            "version": 1,
            "created_at": world.now,
            "is_demo": True,
        }
    )


def _history(
    rng: random.Random, world: World, record_id: int, steps: list[tuple[DocumentStatus, date]]
) -> list[Row]:
    return [
        {
            "record_id": record_id,
            "status": status,
            "by_user_id": world.officer_id,
            "at": at_local(day, rng.randint(8, 15), rng.choice((0, 15, 30, 45))),
            "note": "demo" if status is DocumentStatus.REQUESTED else None,
        }
        for status, day in steps
    ]


def add_passport(
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
            "id": record_id,
            "reference": f"DEMO-PAS-{numbering['passport']:05d}",
            "kind": kind,
            "holder_name": f"{rng.choice(v.FIRST_NAMES)} {rng.choice(v.LAST_NAMES)}",
            "holder_position": rng.choice(v.HOLDER_POSITIONS),
            "body_id": world.bodies[
                rng.choice(["SECTOR", "BRUSSELS", *v.CHAPTER_SECRETARIAT.values()])
            ],
            "passport_number": (
                f"{'D' if kind is PassportKind.DIPLOMATIC else 'S'}{rng.randint(1, 99999):07d}"
                if issued
                else None
            ),
            "status": path[-1],
            "issued_on": issued,
            "valid_until": issued + VALIDITY if issued else None,
            "notes": None,
            "anonymised_at": None,
            "created_at": world.now,
            "is_demo": True,
        }
    )
    batch.passport_status_events += _history(
        rng, world, record_id, list(zip(path, days, strict=True))
    )


def add_visa(
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
            "id": record_id,
            "reference": f"DEMO-VIS-{numbering['visa']:05d}",
            "passport_id": passport["id"] if passport else None,
            "holder_name": passport["holder_name"]
            if passport
            else f"{rng.choice(v.FIRST_NAMES)} {rng.choice(v.LAST_NAMES)}",
            "country": country,
            "visa_type": rng.choice(v.VISA_TYPES),
            "visa_number": f"{country[:2].upper()}{rng.randint(1_000_000, 9_999_999)}"
            if valid_from
            else None,
            "status": path[-1],
            "valid_from": valid_from,
            "valid_until": valid_from + timedelta(days=rng.choice((30, 90, 180, 365)))
            if valid_from
            else None,
            "anonymised_at": None,
            "created_at": world.now,
            "is_demo": True,
        }
    )
    batch.visa_status_events += _history(rng, world, record_id, list(zip(path, days, strict=True)))


def add_guideline(
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
            "id": guideline_id,
            "ref": f"DEMO-GL-{numbering['guideline']:04d}",
            "title": title,
            "summary": summary,
            "link": "https://region.vojvodina.gov.rs/",
            "audience": audience,
            "locale": locale,
            "published_at": published,
            "created_at": world.now,
            "is_demo": True,
        }
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
        reminded = (
            sent + timedelta(days=3)
            if acked is None and sent + timedelta(days=3) < world.now
            else None
        )
        batch.guideline_deliveries.append(
            {
                "guideline_id": guideline_id,
                "contact_id": contact_id,
                "sent_at": sent,
                "reminded_at": reminded,
                "acknowledged_at": acked,
                "acknowledged_by": None,
            }
        )
