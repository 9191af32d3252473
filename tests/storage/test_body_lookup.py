"""BodyRepository.find_one: one body from its code or its name in any script."""

from __future__ import annotations

import pytest

from eudesk.storage.db import Database
from eudesk.storage.repositories import Repositories
from eudesk.storage.repositories.bodies import AmbiguousBody


@pytest.mark.parametrize(
    "text", ["Бачка Топола", "Backa Topola", "Bačka Topola", "Topolya", "topolya", "LSGU-80071"]
)
async def test_find_one_by_name_in_any_script_or_by_code(demo_db: Database, text: str) -> None:
    async with demo_db.transaction() as session:
        body = await Repositories(session).bodies.find_one(text)
    assert body is not None
    assert body.code == "LSGU-80071"


async def test_find_one_code_is_case_insensitive(demo_db: Database) -> None:
    async with demo_db.transaction() as session:
        body = await Repositories(session).bodies.find_one("  lsgu-80438 ")
    assert body is not None
    assert body.name_sr_latn == "Subotica"


async def test_find_one_nothing_matches(demo_db: Database) -> None:
    async with demo_db.transaction() as session:
        bodies = Repositories(session).bodies
        assert await bodies.find_one("Atlantida") is None
        assert await bodies.find_one("   ") is None


async def test_find_one_ambiguous_lists_the_candidates(demo_db: Database) -> None:
    async with demo_db.transaction() as session:
        with pytest.raises(AmbiguousBody) as raised:
            await Repositories(session).bodies.find_one("Pokrajinski sekretarijat")
    assert len(raised.value.candidates) > 1
    assert all("sekretarijat" in b.name_sr_latn.lower() for b in raised.value.candidates)


async def test_find_one_unique_part_of_a_name(demo_db: Database) -> None:
    async with demo_db.transaction() as session:
        body = await Repositories(session).bodies.find_one("Szabad")
    assert body is not None
    assert body.code == "LSGU-80438"
