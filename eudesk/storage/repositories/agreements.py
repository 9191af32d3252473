"""Interregional agreements, found by partner region or country in any script."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.models import Agreement
from eudesk.storage.text import contains_pattern, fold


class AgreementRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def search(self, *terms: str) -> list[Agreement]:
        """Agreements whose region or country contains any of the terms (all when none given)."""
        query = select(Agreement).order_by(Agreement.country, Agreement.partner_region)
        patterns = [contains_pattern(term) for term in terms if fold(term)]
        if patterns:
            query = query.where(or_(*(Agreement.search_key.like(p, escape="\\") for p in patterns)))
        return list((await self._session.scalars(query)).all())
