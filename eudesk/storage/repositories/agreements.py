"""Queries over interregional agreements."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class AgreementRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
