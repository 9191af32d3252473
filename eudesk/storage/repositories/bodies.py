"""Queries over bodies (secretariats, local self-government units) and contacts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.models import Body
from eudesk.storage.text import contains_pattern, fold


class BodyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def by_id(self, body_id: int) -> Body | None:
        return await self._session.get(Body, body_id)

    async def by_code(self, code: str) -> Body | None:
        return await self._session.scalar(select(Body).where(Body.code == code))

    async def find(self, text: str, *, limit: int = 10) -> list[Body]:
        """Bodies whose name in any script or language contains text, exact names first.

        "Бачка Топола", "Backa Topola" and "Topolya" all find Bačka Topola.
        """
        needle = fold(text)
        if not needle:
            return []
        pattern = contains_pattern(needle)
        # There are about a hundred bodies: rank in Python rather than in dialect-specific SQL.
        found = await self._session.scalars(
            select(Body).where(Body.search_key.like(pattern, escape="\\"))
        )

        def rank(body: Body) -> tuple[int, str]:
            names = [part.strip() for part in body.search_key.split("|")]
            names.append(fold(body.code))
            if needle in names:
                return 0, body.name_sr_latn
            if any(name.startswith(needle) for name in names):
                return 1, body.name_sr_latn
            return 2, body.name_sr_latn

        return sorted(found, key=rank)[:limit]

    @staticmethod
    def is_exact(body: Body, text: str) -> bool:
        """Whether text names the body exactly (in any script, with or without diacritics)."""
        names = (body.code, body.name_sr_latn, body.name_sr_cyrl, body.name_hu, body.name_en)
        return fold(text) in {fold(name) for name in names if name}
