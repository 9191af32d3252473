"""Calendar feeds: each chat's secret feed address, made on first use and replaced on request."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.models import CalendarFeed, Locale, Platform

TOKEN_BYTES = 32  # 256 random bits: the address is the feed's only credential


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


class FeedRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def for_chat(
        self, platform: Platform, chat_id: str, *, user_id: int | None, locale: Locale
    ) -> CalendarFeed:
        """The chat's feed, made on first use; its language follows the chat's latest."""
        feed = await self._session.scalar(
            select(CalendarFeed).where(
                CalendarFeed.platform == platform, CalendarFeed.chat_id == chat_id
            )
        )
        if feed is None:
            feed = CalendarFeed(
                token=new_token(), platform=platform, chat_id=chat_id, user_id=user_id,
                locale=locale,
            )  # fmt: skip
            self._session.add(feed)
        else:
            feed.locale = locale
            feed.user_id = user_id if user_id is not None else feed.user_id
        await self._session.flush()
        return feed

    async def by_token(self, token: str) -> CalendarFeed | None:
        """The feed of a token. An indexed equality lookup: its timing reveals nothing useful
        about a 256-bit random token across a network."""
        if not token or len(token) > 64:
            return None
        return await self._session.scalar(select(CalendarFeed).where(CalendarFeed.token == token))

    async def chat_feeds(self, platform: Platform | None, chat_id: str | None,
                         user_id: int | None) -> list[CalendarFeed]:  # fmt: skip
        """The feeds of a chat, or of a user (every chat they linked one from)."""
        query = select(CalendarFeed).order_by(CalendarFeed.id)
        if platform is not None and chat_id is not None:
            query = query.where(CalendarFeed.platform == platform, CalendarFeed.chat_id == chat_id)
        elif user_id is not None:
            query = query.where(CalendarFeed.user_id == user_id)
        else:
            return []
        return list(await self._session.scalars(query))

    async def rotate(self, feed: CalendarFeed, now: datetime) -> str:
        """A new token for the feed; the old address stops working at once."""
        feed.token = new_token()
        feed.rotated_at = now
        await self._session.flush()
        return feed.token
