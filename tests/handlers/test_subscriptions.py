"""Conversations: /subscribe, /subscriptions, /unsubscribe in each language; bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eudesk.storage.db import Database
from eudesk.storage.models import Body, DigestFrequency, Subscription, SubscriptionTopic
from tests.handlers.conftest import FakeChat


async def _subscriptions(db: Database) -> list[Subscription]:
    """Those these conversations made (not the demo's own, which are on console chats)."""
    async with db.transaction() as session:
        return list(
            await session.scalars(
                select(Subscription)
                .where(Subscription.chat_id.not_like("console:%"))
                .order_by(Subscription.id)
            )
        )


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
    assert await _subscriptions(demo_db) == []


async def test_strangers_cannot_subscribe(stranger_chat: FakeChat, demo_db: Database) -> None:
    assert "/start" in (await stranger_chat.send("/subscribe calls")).text
    assert await _subscriptions(demo_db) == []


@pytest.mark.parametrize(
    ("lang", "text", "stored", "said"),
    [
        ("sr-Latn", "/subscribe calls 3 radna dana, 2h", "3wd,2h", "3 radna dana, 2 sata"),
        ("sr-Cyrl", "претплати позиви 3 радна дана", "3wd", "3 радна дана"),
        ("hu", "/feliratkozas palyazatok 14 nap, 3 munkanap", "14d,3wd", "14 nap, 3 munkanap"),
        ("en", "/subscribe calls 21d, 1 working day", "21d,1wd", "21 days, 1 working day"),
        ("sr-Latn", "/subscribe chapter 23 1d 2h", "1d,2h", "1 dan, 2 sata"),
        ("sr-Latn", "/subscribe body Bačka Topola 5 radnih dana", "5wd", "5 radnih dana"),
    ],
)  # fmt: skip
async def test_subscribe_with_leads_in_every_language(
    chat: FakeChat, demo_db: Database, lang: str, text: str, stored: str, said: str
) -> None:
    await chat.send(f"/lang {lang}")
    answer = await chat.send(text)
    assert said in answer.text, answer.text
    [subscription] = await _subscriptions(demo_db)
    assert subscription.leads == stored
    assert said in (await chat.send("/subscriptions")).text


async def test_subscribing_again_with_other_leads_changes_them(
    chat: FakeChat, demo_db: Database
) -> None:
    await chat.send("/subscribe calls")
    answer = await chat.send("/subscribe calls 3 radna dana")
    assert "podsetnici sada stižu 3 radna dana ranije" in answer.text
    [subscription] = await _subscriptions(demo_db)
    assert subscription.leads == "3wd"
    assert "Već ste pretplaćeni" in (await chat.send("/subscribe calls")).text
    assert (await _subscriptions(demo_db))[0].leads == "3wd"  # no leads given: kept


async def test_a_bad_lead_names_the_accepted_forms(chat: FakeChat, demo_db: Database) -> None:
    answer = await chat.send("/subscribe calls 3 nedelje ranije")
    assert "nije vreme podsetnika" in answer.text
    assert "3 radna dana" in answer.text
    assert "14 dana" in answer.text
    assert await _subscriptions(demo_db) == []
