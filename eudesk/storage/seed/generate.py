"""One unit of demo data (about 100 projects and what hangs on them) as plain rows."""

from __future__ import annotations

import random
from collections import Counter

from eudesk.storage.seed import vocabulary as v
from eudesk.storage.seed.projects import add_programme_deadline, add_project
from eudesk.storage.seed.records import add_guideline, add_meeting, add_passport, add_visa
from eudesk.storage.seed.rows import Batch, Ids, World

PROJECTS_PER_UNIT = 100
MEETINGS_PER_UNIT = 20
PASSPORTS_PER_UNIT = 30
VISAS_PER_UNIT = 20


def generate_unit(world: World, unit: int, ids: Ids, numbering: Counter[str]) -> Batch:
    """Unit `unit` of the demo data; the same world, unit and numbering give the same rows."""
    rng = random.Random(f"eudesk-demo:{world.today.isoformat()}:{unit}")
    batch = Batch()
    for _ in range(PROJECTS_PER_UNIT):
        add_project(rng, world, ids, numbering, batch)
        add_programme_deadline(rng, world, ids, numbering, batch)
    for _ in range(MEETINGS_PER_UNIT):
        add_meeting(rng, world, numbering, batch)
    for _ in range(PASSPORTS_PER_UNIT):
        add_passport(rng, world, ids, numbering, batch)
    for _ in range(VISAS_PER_UNIT):
        add_visa(rng, world, ids, numbering, batch)
    for guideline in v.GUIDELINES:
        add_guideline(rng, world, ids, numbering, batch, guideline)
    return batch
