"""Demo subscriptions: reminders that a fresh demo shows at once (`eudesk reminders preview`).

Staff on the console (the console user's chat is "console:NAME"), some municipal contacts
(their reminders go to the demo contact's console chat, never to an invented Telegram chat),
every kind of lead (calendar days, working days, hours, minutes) and a daily digest. They
belong to demo users and contacts, so replacing the demo data removes them with those.
"""

from __future__ import annotations

from datetime import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.models import (
    Contact,
    DigestFrequency,
    Locale,
    Platform,
    Subscription,
    SubscriptionTopic,
    User,
)

T = SubscriptionTopic
NOVI_SAD, SUBOTICA, ZRENJANIN = "LSGU-80284", "LSGU-80438", "LSGU-80152"

# (user, topic, key, leads, digest)
STAFF = [
    ("demo", T.BODY_DEADLINES, NOVI_SAD, "14d,3wd,1d", DigestFrequency.NONE),
    ("demo", T.CALLS, "", "7d,1d", DigestFrequency.NONE),
    ("demo", T.CHAPTER_MEETINGS, "23", "1d,2h", DigestFrequency.NONE),
    ("demo", T.CLUSTER_MEETINGS, "2", "90m", DigestFrequency.NONE),
    # A chat with a digest reads its deadlines there, not one by one: the admin's, not demo's.
    ("demo-admin", T.BODY_DEADLINES, SUBOTICA, "14d,3d,1d", DigestFrequency.NONE),
    ("demo-admin", T.DIGEST, "daily", "14d,3d,1d", DigestFrequency.DAILY),
    ("demo-staff", T.CALLS, "", "14d,3d,1d", DigestFrequency.NONE),
    ("demo-staff", T.PROGRAMME_DEADLINES, "HUSRB", "5wd,1wd", DigestFrequency.NONE),
]
# (body whose first demo contact subscribes, leads): to the demo contact's console chat.
CONTACTS = [(NOVI_SAD, "14d,3wd"), (SUBOTICA, "7d,2wd"), (ZRENJANIN, "3wd,4h")]


def _console(name: str) -> str:
    return f"console:{name}"


async def seed_subscriptions(session: AsyncSession) -> int:
    """Add the demo subscriptions; returns how many."""
    users = {u.name: u for u in await session.scalars(select(User).where(User.is_demo.is_(True)))}
    rows = [
        Subscription(
            user_id=users[name].id, platform=Platform.CONSOLE, chat_id=_console(name), topic=topic,
            topic_key=key, leads=leads, locale=users[name].locale, digest=digest,
            quiet_start=time(8), quiet_end=time(18),
        )
        for name, topic, key, leads, digest in STAFF
        if name in users
    ]  # fmt: skip
    contact_user = users.get("demo-contact")
    for code, leads in CONTACTS:
        contact = await session.scalar(
            select(Contact).where(Contact.ref == f"DEMO-C-{code}-1", Contact.is_demo.is_(True))
        )
        if contact is None or contact_user is None:
            continue
        rows.append(
            Subscription(
                contact_id=contact.id, platform=Platform.CONSOLE,
                chat_id=_console(contact_user.name), topic=T.BODY_DEADLINES, topic_key=code,
                leads=leads, locale=contact.locale if contact.locale else Locale.SR_LATN,
            )
        )  # fmt: skip
    session.add_all(rows)
    await session.flush()
    return len(rows)
