"""Per-chat preferences that exist before (or without) a user: the chosen language."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.models import ChatPreference, Locale, Platform


class PreferenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def locale(self, platform: Platform, external_id: str) -> Locale | None:
        return await self._session.scalar(
            select(ChatPreference.locale).where(
                ChatPreference.platform == platform, ChatPreference.external_id == external_id
            )
        )

    async def set_locale(self, platform: Platform, external_id: str, locale: Locale) -> None:
        preference = await self._session.get(ChatPreference, (platform, external_id))
        if preference is None:
            self._session.add(
                ChatPreference(platform=platform, external_id=external_id, locale=locale)
            )
        else:
            preference.locale = locale
        await self._session.flush()
