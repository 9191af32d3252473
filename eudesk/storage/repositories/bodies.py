"""Queries over bodies (secretariats, local self-government units) and contacts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class BodyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
