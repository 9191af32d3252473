"""Calendar feeds: each chat's secret feed address, made on first use and replaced on request."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.leads import Lead, ordered
from eudesk.storage.models import CalendarFeed, Locale, Platform, Subscription, SubscriptionTopic
from eudesk.storage.repositories.planning import ITEM_TOPICS, DueItem, PlanningRepository
from eudesk.storage.repositories.subscriptions import (
    SubscriptionRepository,
    subscription_leads,
    topic_key,
)

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

    async def followed(
        self, platform: Platform, chat_id: str, start: datetime, end: datetime
    ) -> list[FollowedItem]:
        return await followed_items(self._session, platform, chat_id, start, end)

    async def rotate(self, feed: CalendarFeed, now: datetime) -> str:
        """A new token for the feed; the old address stops working at once."""
        feed.token = new_token()
        feed.rotated_at = now
        await self._session.flush()
        return feed.token


@dataclass(frozen=True, slots=True)
class FollowedItem:
    """A deadline or meeting a chat follows, with the lead times of the subscriptions it matched."""

    item: DueItem
    leads: tuple[Lead, ...]  # largest first
    cancelled: bool


async def followed_items(
    session: AsyncSession, platform: Platform, chat_id: str, start: datetime, end: datetime
) -> list[FollowedItem]:
    """The open and cancelled deadlines and meetings in (start, end] that the chat's active
    subscriptions name, each once, by moment; the topic matching is the planner's own."""
    connection = await session.connection()
    planning = PlanningRepository(session, connection.dialect.name)
    subscriptions = await SubscriptionRepository(session).for_chat(platform, chat_id)
    by_topic: dict[SubscriptionTopic, dict[str, list[Subscription]]] = {}
    for sub in subscriptions:
        key = topic_key(sub)
        if sub.topic in ITEM_TOPICS and key is not None:
            by_topic.setdefault(sub.topic, {}).setdefault(key, []).append(sub)
    found: dict[tuple[str, int], tuple[DueItem, set[Lead], bool]] = {}
    for topic, keyed in by_topic.items():
        for cancelled in (False, True):
            for key, item in await planning.due_items(
                topic, keyed.keys(), start, end, cancelled=cancelled
            ):
                entry = found.setdefault((item.item_type, item.id), (item, set(), cancelled))
                for sub in keyed.get(key, []):
                    entry[1].update(subscription_leads(sub.leads, sub.topic))
    items = [
        FollowedItem(item, ordered(leads), cancelled) for item, leads, cancelled in found.values()
    ]
    return sorted(items, key=lambda f: (f.item.moment, f.item.item_type, f.item.id))
