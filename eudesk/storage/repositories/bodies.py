"""Queries over bodies (secretariats, local self-government units) and contacts.

Two lookups by what a person types: `find(text)` lists the candidates (for search answers),
`find_one(text)` resolves one body from a code or a name in any script, or says why it cannot
(None when nothing matches, AmbiguousBody with the candidates when several do).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.errors import StorageError
from eudesk.storage.models import Body
from eudesk.storage.text import contains_pattern, fold


class AmbiguousBody(StorageError):
    """The text names more than one body; carries the candidates, best first."""

    def __init__(self, text: str, candidates: list[Body]) -> None:
        self.text = text
        self.candidates = candidates
        codes = ", ".join(body.code for body in candidates)
        super().__init__(f"{text!r} matches several bodies: {codes}")


class BodyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def by_id(self, body_id: int) -> Body | None:
        return await self._session.get(Body, body_id)

    async def all(self) -> Sequence[Body]:
        """Every body, grouped by kind, then by code."""
        return (await self._session.scalars(select(Body).order_by(Body.kind, Body.code))).all()

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

    async def find_one(self, text: str) -> Body | None:
        """The one body that text names: its code (any case), or its name in any script or
        language ("Бачка Топола" = "Backa Topola" = "Topolya"), or the only body whose name
        contains text. None when no body matches; AmbiguousBody when several do.
        """
        text = text.strip()
        if not text:
            return None
        by_code = await self._session.scalar(
            select(Body).where(func.lower(Body.code) == text.lower())
        )
        if by_code is not None:
            return by_code
        candidates = await self.find(text, limit=1000)
        exact = [body for body in candidates if self.is_exact(body, text)]
        if len(exact) == 1:
            return exact[0]
        if len(exact) > 1:
            raise AmbiguousBody(text, exact)
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            raise AmbiguousBody(text, candidates[:10])
        return None

    @staticmethod
    def is_exact(body: Body, text: str) -> bool:
        """Whether text names the body exactly (in any script, with or without diacritics)."""
        names = (body.code, body.name_sr_latn, body.name_sr_cyrl, body.name_hu, body.name_en)
        return fold(text) in {fold(name) for name in names if name}
