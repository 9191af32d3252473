"""Queries over negotiating-group meetings, chapters and clusters."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class MeetingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
