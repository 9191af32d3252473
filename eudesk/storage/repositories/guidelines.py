"""Queries over guidelines, their deliveries and acknowledgements."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class GuidelineRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
