"""The real reference data shipped in `eudesk/storage/reference/*.csv`, upserted by natural key."""

from __future__ import annotations

import csv
import io
from importlib.resources import files
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.db import StorageError
from eudesk.storage.models import (
    Base,
    Body,
    BodyKind,
    Chapter,
    Cluster,
    NegotiatingGroup,
    Programme,
)
from eudesk.storage.text import search_key

# Codes are ours and stable: a renamed secretariat or programme keeps its code, so its row is
# updated in place instead of duplicated. Matched on a distinctive word of the CSV's name.
SECRETARIAT_CODES = {
    "Finance": "PS-FINANCE",
    "Economy": "PS-ECONOMY",
    "Agriculture": "PS-AGRICULTURE",
    "Education": "PS-EDUCATION",
    "Culture": "PS-CULTURE",
    "Healthcare": "PS-HEALTH",
    "Social": "PS-SOCIAL",
    "Higher": "PS-SCIENCE",
    "Regional": "PS-REGIONAL",
    "Urban": "PS-URBANISM",
    "Energy": "PS-ENERGY",
    "Sports": "PS-SPORT",
}
# Checked in order, first match wins ("IPA III" is also in the Serbia-BiH programme's name).
PROGRAMME_CODES = (
    ("Hungary-Serbia", "HUSRB"),
    ("Romania-Serbia", "ROSRB"),
    ("Croatia-Serbia", "HRSRB"),
    ("Serbia-Bosnia", "SRBBIH"),
    ("EUSDR", "EUSDR"),
    ("Danube Region Programme", "DANUBE"),
    ("ADRION", "ADRION"),
    ("IPA III", "IPA3"),
    ("Horizon", "HORIZON"),
    ("Erasmus", "ERASMUS"),
    ("Creative Europe", "CREATIVE"),
    ("Digital Europe", "DIGITAL"),
    ("Fiscalis", "FISCALIS"),
)
CLUSTER_NAMES_SR = {
    1: "Osnove",
    2: "Unutrašnje tržište",
    3: "Konkurentnost i inkluzivni rast",
    4: "Zelena agenda i održiva povezanost",
    5: "Resursi, poljoprivreda i kohezija",
    6: "Spoljni odnosi",
}
# The sources gave no Serbian title for these three; these are the standard Serbian names.
CHAPTER_TITLES_SR = {
    29: "carinska unija",
    30: "spoljni odnosi",
    33: "finansijske i budžetske odredbe",
}


class ReferenceDataError(StorageError):
    """A shipped CSV has a row the seed does not know how to map; carries the file and the row."""

    def __init__(self, file: str, row: str) -> None:
        self.file = file
        self.row = row
        super().__init__(f"{file}: cannot map row {row!r}")


def read_csv(name: str) -> list[dict[str, str]]:
    """The rows of one shipped reference CSV, stripped."""
    text = files("eudesk.storage").joinpath("reference", name).read_text(encoding="utf-8")
    return [
        {key: (value or "").strip() for key, value in row.items()}
        for row in csv.DictReader(io.StringIO(text))
    ]


def _or_none(value: str) -> str | None:
    return value or None


def lsgu_rows() -> list[dict[str, Any]]:
    """The 45 cities and municipalities of AP Vojvodina."""
    rows = []
    for r in read_csv("lsgu.csv"):
        names = (r["name_sr_latn"], r["name_sr_cyrl"], r["name_hu"])
        rows.append(
            {
                "code": f"LSGU-{r['municipality_code']}",
                "kind": BodyKind(r["kind"]),
                "name_sr_latn": r["name_sr_latn"],
                "name_sr_cyrl": r["name_sr_cyrl"],
                "name_hu": _or_none(r["name_hu"]),
                "name_en": r["name_sr_latn"],
                "district_sr_latn": r["district_sr_latn"],
                "district_sr_cyrl": r["district_sr_cyrl"],
                "district_en": r["district_en"],
                "district_code": r["district_iso3166_2"],
                "municipality_code": r["municipality_code"],
                "country": "Serbia",
                "address": _or_none(r["seat_address_sr_cyrl"]),
                "search_key": search_key(*names),
            }
        )
    return rows


def _provincial_code(row: dict[str, str]) -> tuple[str, BodyKind]:
    kind = row["kind"]
    if kind == "provincial secretariat":
        rest = row["name_en"].removeprefix("Provincial Secretariat for ")
        first = rest.split()[0].rstrip(",")
        if first in SECRETARIAT_CODES:
            return SECRETARIAT_CODES[first], BodyKind.PROVINCIAL_SECRETARIAT
    elif kind.startswith("sector"):
        return "SECTOR", BodyKind.SECTOR
    elif kind.startswith("representation"):
        return "BRUSSELS", BodyKind.REPRESENTATION
    elif kind == "provincial fund":
        return "EUROPEAN-AFFAIRS-FUND", BodyKind.PROVINCIAL_BODY
    raise ReferenceDataError("provincial_bodies.csv", row["name_en"])


def provincial_rows() -> list[dict[str, Any]]:
    """The 12 secretariats, the Sector, the Brussels office and the European Affairs Fund."""
    rows = []
    for r in read_csv("provincial_bodies.csv"):
        code, kind = _provincial_code(r)
        rows.append(
            {
                "code": code,
                "kind": kind,
                "name_sr_latn": r["name_sr_latn"],
                "name_sr_cyrl": r["name_sr_cyrl"],
                "name_hu": None,
                "name_en": r["name_en"],
                "country": "Belgium" if kind is BodyKind.REPRESENTATION else "Serbia",
                "search_key": search_key(code, r["name_sr_latn"], r["name_en"]),
            }
        )
    return rows


def programme_rows() -> list[dict[str, Any]]:
    """The EU programmes and strategies the Sector works with."""
    rows = []
    for r in read_csv("programmes.csv"):
        code = next((c for needle, c in PROGRAMME_CODES if needle in r["name"]), None)
        if code is None:
            raise ReferenceDataError("programmes.csv", r["name"])
        rows.append(
            {
                "code": code,
                "name": r["name"],
                "kind": r["kind"],
                "period": _or_none(r["period"]),
                "partner_countries": _or_none(r["partner_countries"]),
                "eligible_area": _or_none(r["vojvodina_eligible_area"]),
                "notes": _or_none(r["budget_and_notes"]),
                "search_key": search_key(code, r["name"]),
            }
        )
    return rows


def negotiation_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The six clusters and the 35 chapters, from one CSV of chapters."""
    clusters: dict[int, dict[str, Any]] = {}
    chapters = []
    for r in read_csv("negotiating_chapters.csv"):
        number = int(r["chapter"])
        cluster = int(r["cluster_no"]) if r["cluster_no"] else None
        if cluster is not None and cluster not in clusters:
            clusters[cluster] = {
                "number": cluster,
                "name_en": r["cluster_en"],
                "name_sr_latn": CLUSTER_NAMES_SR[cluster],
                "status": _or_none(r["cluster_status"]),
            }
        title_sr = r["title_sr_latn"] or CHAPTER_TITLES_SR.get(number)
        if not title_sr:
            raise ReferenceDataError("negotiating_chapters.csv", r["chapter"])
        chapters.append(
            {
                "number": number,
                "cluster_number": cluster,
                "title_en": r["title_en"],
                "title_sr_latn": title_sr,
                "status": r["status"],
                "opened_on": _or_none(r["opened_date"]),
            }
        )
    return sorted(clusters.values(), key=lambda c: c["number"]), chapters


async def _upsert(
    session: AsyncSession, model: type[Base], key: str, rows: list[dict[str, Any]]
) -> int:
    """Insert rows whose key is new, update the columns that changed; returns len(rows)."""
    existing = {getattr(obj, key): obj for obj in (await session.scalars(select(model))).all()}
    for row in rows:
        obj = existing.get(row[key])
        if obj is None:
            session.add(model(**row))
            continue
        for column, value in row.items():
            if getattr(obj, column) != value:
                setattr(obj, column, value)
    # Flush per table: parents must exist before the children that point at them.
    await session.flush()
    return len(rows)


async def seed_reference(session: AsyncSession) -> dict[str, int]:
    """Upsert every reference table; running it again changes nothing unless a CSV changed."""
    clusters, chapters = negotiation_rows()
    counts = {
        "bodies": await _upsert(session, Body, "code", lsgu_rows() + provincial_rows()),
        "programmes": await _upsert(session, Programme, "code", programme_rows()),
        "clusters": await _upsert(session, Cluster, "number", clusters),
        "chapters": await _upsert(session, Chapter, "number", chapters),
    }
    groups = [
        {
            "chapter_number": c["number"],
            "name": f"Pregovaračka grupa {c['number']} – {c['title_sr_latn']}"[:200],
        }
        for c in chapters
    ]
    counts["negotiating_groups"] = await _upsert(
        session, NegotiatingGroup, "chapter_number", groups
    )
    return counts
