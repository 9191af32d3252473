"""Conversations: /subscribe, /subscriptions, /unsubscribe in each language; bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eudesk.storage.db import Database
from eudesk.storage.models import Body, DigestFrequency, Subscription, SubscriptionTopic
from tests.handlers.conftest import FakeChat


async def _subscriptions(db: Database) -> list[Subscription]:
    async with db.transaction() as session:
        return list(await session.scalars(select(Subscription).order_by(Subscription.id)))


@pytest.mark.parametrize(
    ("text", "topic", "key", "leads"),
    [
        ("/subscribe calls", SubscriptionTopic.CALLS, "", "14d,3d,1d"),
        ("/pretplati pozivi", SubscriptionTopic.CALLS, "", "14d,3d,1d"),
        ("претплати поглавље 23", SubscriptionTopic.CHAPTER_MEETINGS, "23", "2h"),
        ("/feliratkozas klaszter 2", SubscriptionTopic.CLUSTER_MEETINGS, "2", "2h"),
        ("/subscribe body Бачка Топола", SubscriptionTopic.BODY_DEADLINES, "LSGU-80071",
         "14d,3d,1d"),
        ("/subscribe programme husrb", SubscriptionTopic.PROGRAMME_DEADLINES, "HUSRB",
         "14d,3d,1d"),
        ("/subscribe project demo-husrb-0001", SubscriptionTopic.PROJECT_DEADLINES,
         "DEMO-HUSRB-0001", "14d,3d,1d"),
        ("/subscribe guidelines", SubscriptionTopic.GUIDELINES, "", "14d,3d,1d"),
    ],
)  # fmt: skip
async def test_subscribe_in_every_language(
    chat: FakeChat, demo_db: Database, text: str, topic: SubscriptionTopic, key: str, leads: str
) -> None:
    answer = await chat.send(text)
    assert "Pretplaćeni ste" in answer.text
    [subscription] = await _subscriptions(demo_db)
    assert (subscription.topic, subscription.topic_key) == (topic, key)
    assert subscription.leads == leads
    assert subscription.chat_id == "chat-demo"
    again = await chat.send(text)
    assert "Već ste pretplaćeni" in again.text
    assert len(await _subscriptions(demo_db)) == 1


async def test_a_contact_subscribes_to_their_own_body_with_the_button(
    contact_chat: FakeChat, demo_db: Database
) -> None:
    menu = await contact_chat.send("/subscribe")
    mine = next(b for b in menu.reply.buttons if b.callback == "/subscribe mine")
    await contact_chat.press(mine.callback)
    [subscription] = await _subscriptions(demo_db)
    assert subscription.topic is SubscriptionTopic.BODY_DEADLINES
    async with demo_db.transaction() as session:
        novi_sad = await session.scalar(select(Body.code).where(Body.name_sr_latn == "Novi Sad"))
    assert subscription.topic_key == novi_sad
    assert subscription.contact_id is not None


async def test_list_and_unsubscribe_in_cyrillic(chat: FakeChat, demo_db: Database) -> None:
    await chat.send("/subscribe digest weekly")
    await chat.send("/lang sr-Cyrl")
    listing = await chat.send("претплате")
    [subscription] = await _subscriptions(demo_db)
    assert subscription.digest is DigestFrequency.WEEKLY
    assert f"#{subscription.id}" in listing.text
    assert "Ваше претплате" in listing.text
    stop = listing.reply.buttons[0]
    answer = await chat.press(stop.callback)
    assert "отказана" in answer.text
    assert (await _subscriptions(demo_db))[0].active is False
    assert "Немате претплата" in (await chat.send("/subscriptions")).text


async def test_someone_else_cannot_stop_my_subscription(
    chat: FakeChat, staff_chat: FakeChat, demo_db: Database
) -> None:
    await chat.send("/subscribe calls")
    [subscription] = await _subscriptions(demo_db)
    answer = await staff_chat.send(f"/unsubscribe {subscription.id}")
    assert "nema pretplatu" in answer.text
    assert (await _subscriptions(demo_db))[0].active is True


@pytest.mark.parametrize(
    "text",
    [
        "/subscribe nonsense",
        "/subscribe body Atlantis",
        "/subscribe project NO-SUCH",
        "/subscribe programme XYZ",
        "/subscribe chapter 36",
        "/subscribe cluster 0",
        "/subscribe chapter '; DROP TABLE subscriptions;--",
        "/subscribe body " + "x" * 500,
        "/unsubscribe",
        "/unsubscribe abc",
        "/unsubscribe 99999999999",
    ],
)
async def test_bad_subscriptions_are_answered_and_write_nothing(
    chat: FakeChat, demo_db: Database, text: str
) -> None:
    answer = await chat.send(text)
    assert answer.text.strip()
    assert "greške" not in answer.text
    async with demo_db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Subscription)) == 0


async def test_strangers_cannot_subscribe(stranger_chat: FakeChat, demo_db: Database) -> None:
    assert "/start" in (await stranger_chat.send("/subscribe calls")).text
    assert await _subscriptions(demo_db) == []
