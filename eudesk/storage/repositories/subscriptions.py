"""Subscriptions: which chat wants which reminders (added, listed, removed)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.leads import (
    MAX_LEAD_DAYS,
    Lead,
    LeadUnit,
    format_tokens,
    ordered,
    parse_token,
    parse_tokens,
)
from eudesk.storage.models import (
    DigestFrequency,
    Locale,
    Platform,
    Programme,
    Subscription,
    SubscriptionTopic,
)

DEADLINE_LEADS = "14d,3d,1d"
MEETING_LEADS = "2h"
MEETING_TOPICS = frozenset({SubscriptionTopic.CHAPTER_MEETINGS, SubscriptionTopic.CLUSTER_MEETINGS})
# The farthest any lead reaches before its item (90 working days, the longest allowed).
MAX_LEAD_REACH = Lead(MAX_LEAD_DAYS, LeadUnit.WORKING_DAYS).reach


def default_leads(topic: SubscriptionTopic) -> str:
    return MEETING_LEADS if topic in MEETING_TOPICS else DEADLINE_LEADS


def subscription_leads(text: str, topic: SubscriptionTopic) -> tuple[Lead, ...]:
    """A row's leads, largest first; a token that does not parse is dropped, and a row with
    none left gets the default of its topic (the front doors store only good tokens)."""
    found: list[Lead] = []
    for part in (p for p in text.split(",") if p.strip()):
        try:
            found.append(parse_token(part))
        except ValueError:
            continue
    return ordered(found) or parse_tokens(default_leads(topic))


def topic_key(sub: Subscription) -> str | None:
    """The key items are matched on; chapter and cluster numbers normalised ("07" → "7")."""
    if sub.topic == SubscriptionTopic.CALLS:
        return ""
    key = sub.topic_key.strip()
    if sub.topic in MEETING_TOPICS:
        return str(int(key)) if key.isdigit() else None
    return key or None


class SubscriptionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def subscribe(
        self,
        *,
        platform: Platform,
        chat_id: str,
        topic: SubscriptionTopic,
        topic_key: str = "",
        locale: Locale,
        user_id: int | None = None,
        contact_id: int | None = None,
        digest: DigestFrequency = DigestFrequency.NONE,
        leads: Sequence[Lead] | None = None,
    ) -> tuple[Subscription, bool]:
        """The chat's subscription to a topic, made active; (it, whether it was new). `leads`
        replaces its lead times; None keeps an existing one's and gives a new one the default."""
        stored = format_tokens(leads) if leads else None
        found = await self._session.scalar(
            select(Subscription).where(
                Subscription.platform == platform,
                Subscription.chat_id == chat_id,
                Subscription.topic == topic,
                Subscription.topic_key == topic_key,
            )
        )
        if found is not None:
            was_active = found.active
            found.active, found.locale, found.digest = True, locale, digest
            if stored is not None:
                found.leads = stored
            await self._session.flush()
            return found, not was_active
        subscription = Subscription(
            platform=platform, chat_id=chat_id, topic=topic, topic_key=topic_key,
            leads=stored or default_leads(topic), locale=locale, user_id=user_id,
            contact_id=contact_id, digest=digest,
        )  # fmt: skip
        self._session.add(subscription)
        await self._session.flush()
        return subscription, True

    async def for_chat(self, platform: Platform, chat_id: str) -> Sequence[Subscription]:
        """The chat's active subscriptions, oldest first."""
        return (
            await self._session.scalars(
                select(Subscription)
                .where(
                    Subscription.platform == platform,
                    Subscription.chat_id == chat_id,
                    Subscription.active.is_(True),
                )
                .order_by(Subscription.id)
            )
        ).all()

    async def unsubscribe(self, platform: Platform, chat_id: str, subscription_id: int) -> bool:
        """Deactivate one of the chat's own subscriptions; False when it has no such one."""
        found = await self._session.scalar(
            select(Subscription).where(
                Subscription.id == subscription_id,
                Subscription.platform == platform,
                Subscription.chat_id == chat_id,
                Subscription.active.is_(True),
            )
        )
        if found is None:
            return False
        found.active = False
        await self._session.flush()
        return True

    async def programme_code(self, text: str) -> str | None:
        """A programme's code as stored, from what someone typed (any case)."""
        return await self._session.scalar(
            select(Programme.code).where(Programme.code == text.strip().upper())
        )
