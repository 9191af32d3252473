"""Queries over passport and visa records (personal data)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class DocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
