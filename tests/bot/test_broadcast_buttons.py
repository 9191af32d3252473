"""The broadcast Send button on every door: the real Telegram and Slack transports and the console.

The button carries only a draft's token; pressing it sends once, whoever presses it again and on
whichever platform; a press by anyone but the author is refused and audited.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from eudesk.bot.transports.console import ConsoleTransport
from eudesk.bot.transports.telegram import TelegramTransport
from eudesk.handlers.dispatch import Dispatcher
from eudesk.storage.db import Database
from eudesk.storage.models import (
    AuditEntry,
    Body,
    Contact,
    Guideline,
    GuidelineAudience,
    OutboxEntry,
)
from tests.bot import slack_signing as signing
from tests.bot.fake_slack import TEAM_ID
from tests.bot.fake_telegram import FakeBotApi, callback_update
from tests.bot.test_slack import CHANNEL, USER, Slack, fake, slack  # noqa: F401 (fixtures)
from tests.bot.test_telegram import (  # noqa: F401 (fixtures)
    KNOWN,
    STRANGER,
    TOKEN,
    Conversation,
    known_user,
    settings_for,
)
from tests.conftest import NOW
from tests.handlers.conftest import FakeChat

REF = "BTN-GL-1"
SEND = re.compile(r"/broadcast_send \S+")


async def _prepare(db: Database) -> str:
    """A guideline for particular bodies; chats for Subotica's and Senta's contacts; Senta's
    code (the preview names Subotica by name and Senta by code)."""
    async with db.transaction() as session:
        session.add(Guideline(ref=REF, title="Smernica za dugme", summary="Sažetak.",
                              audience=GuidelineAudience.BODIES, published_at=NOW))  # fmt: skip
        bodies = list(
            await session.scalars(select(Body).where(Body.name_sr_latn.in_(["Subotica", "Senta"])))
        )
        contacts = await session.scalars(
            select(Contact).where(Contact.body_id.in_([b.id for b in bodies])).order_by(Contact.id)
        )
        for n, contact in enumerate(contacts):
            contact.telegram_chat_id = str(990000 + n)
        return next(b.code for b in bodies if b.name_sr_latn == "Senta")


async def _count(db: Database, query: Any) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(query) or 0)


async def _queued(db: Database) -> int:
    return await _count(
        db, select(func.count()).select_from(OutboxEntry).where(OutboxEntry.kind == "guideline")
    )


async def _refusals(db: Database) -> int:
    return await _count(
        db,
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "guideline.broadcast", AuditEntry.allowed.is_(False)),
    )


@pytest.fixture
async def telegram(
    fake_api: FakeBotApi,
    dispatcher: Dispatcher,
    known_user: None,  # noqa: F811
) -> AsyncIterator[Conversation]:
    transport = TelegramTransport(settings_for(fake_api, webhook=True), dispatcher)
    await transport.start()
    try:
        yield Conversation(fake_api, transport)
    finally:
        await transport.stop()


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi(TOKEN)
    await api.start()
    yield api
    await api.close()


async def test_telegram_send_button_sends_once_and_only_for_its_author(
    telegram: Conversation, demo_db: Database
) -> None:
    senta = await _prepare(demo_db)
    [preview] = await telegram.say(f"/broadcast {REF} Subotica, {senta}")
    assert "Dobijaju je sada u četu" in preview.params["text"]
    keyboard = preview.params["reply_markup"]["inline_keyboard"]
    [data] = [b["callback_data"] for row in keyboard for b in row]
    assert SEND.fullmatch(data)
    assert len(data.encode()) <= 64

    async def press(user: int) -> str:
        mark = len(telegram.fake.calls)
        await telegram.deliver(callback_update(data, user, preview.result))
        await telegram.fake.wait_calls("answerCallbackQuery", since=mark)
        [answer] = await telegram.fake.wait_calls("sendMessage", since=mark)
        return str(answer.params["text"])

    assert "nije vaše" in await press(STRANGER)  # a forwarded button, pressed by someone else
    assert await _queued(demo_db) == 0
    assert await _refusals(demo_db) == 1
    assert "u redu za slanje" in await press(KNOWN)
    assert await _queued(demo_db) == 4
    assert "već poslat" in await press(KNOWN)
    assert await _queued(demo_db) == 4


def _button_values(message: dict[str, Any]) -> list[str]:
    blocks = message["blocks"]
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return [
        element["value"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


async def _press_on_slack(slack: Slack, value: str) -> str:  # noqa: F811
    body, headers = signing.block_action(
        value, team=TEAM_ID, user=USER, channel=CHANNEL, response_url=slack.fake.response_url()
    )
    assert (await slack.deliver(body, headers))[0] == 200
    return str(slack.posted()[-1]["text"])


async def test_slack_send_button_and_a_second_press_from_another_platform(
    slack: Slack,  # noqa: F811
    dispatcher: Dispatcher,
    demo_db: Database,
) -> None:
    senta = await _prepare(demo_db)
    await slack.command(f"broadcast {REF} Суботица, {senta.lower()}")
    [value] = _button_values(slack.posted()[-1])
    assert SEND.fullmatch(value)
    assert "u redu za slanje" in await _press_on_slack(slack, value)
    assert await _queued(demo_db) == 4
    # The same coordinator presses the same button in the console: nothing more is sent.
    again = await FakeChat(dispatcher, "demo").press(value)
    assert "već poslat" in again.text, again.text
    assert "već poslat" in await _press_on_slack(slack, value)
    assert await _queued(demo_db) == 4
    forged = await _press_on_slack(slack, value[:-2] + "zz")
    assert "nije vaše" in forged
    assert await _refusals(demo_db) == 1


async def test_console_shows_the_button_and_typing_its_line_presses_it(
    dispatcher: Dispatcher, demo_db: Database
) -> None:
    senta = await _prepare(demo_db)
    out = io.StringIO()
    await ConsoleTransport(dispatcher, "demo").run(
        io.StringIO(f"/broadcast {REF} Subotica, {senta}\n"), out
    )
    match = re.search(r"\[Pošalji: (/broadcast_send \S+)\]", out.getvalue())
    assert match is not None, out.getvalue()
    pressed = io.StringIO()
    lines = f"{match.group(1)}\n{match.group(1)}\n/ack_status {REF}\n"
    await ConsoleTransport(dispatcher, "demo").run(io.StringIO(lines), pressed)
    transcript = pressed.getvalue()
    assert "u redu za slanje" in transcript
    assert "već poslat" in transcript
    assert "Nije potvrdilo: 4" in transcript
    assert await _queued(demo_db) == 4
