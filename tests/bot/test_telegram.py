"""The real python-telegram-bot Application against a loopback Bot API: conversations and sends."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from eudesk.bot.settings import Settings
from eudesk.bot.transports.telegram import TelegramTransport, TransportStartError
from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.messages import Attachment, Reply
from eudesk.schedules.delivery import ChatUnavailable, RateLimited
from eudesk.storage.db import Database
from eudesk.storage.models import Meeting, Platform
from eudesk.storage.repositories import Repositories
from tests.bot.fake_telegram import (
    BOT_USERNAME,
    Call,
    FakeBotApi,
    callback_update,
    message_update,
    well_formed,
)

TOKEN = "123456:AAF-sekret-Token_for_tests"
SECRET = "webhook-secret_42"
KNOWN = 4242  # the demo coordinator's Telegram id, added per test
STRANGER = 777
GROUP = -100500


def settings_for(fake: FakeBotApi, *, webhook: bool, token: str = TOKEN) -> Settings:
    return Settings(
        _env_file=None,
        telegram_token=SecretStr(token),
        telegram_api_url=fake.base_url,
        telegram_webhook_url="https://eudesk.example/telegram/webhook" if webhook else None,
        telegram_webhook_secret=SecretStr(SECRET) if webhook else None,
    )


class Conversation:
    """Updates in (polling: queued at the fake; webhook: POSTed), the bot's calls out."""

    def __init__(self, fake: FakeBotApi, transport: TelegramTransport) -> None:
        self.fake = fake
        self.transport = transport

    async def deliver(self, update: dict[str, object]) -> None:
        if self.transport.webhook_mode:
            body = json.dumps({"update_id": self.fake.next_update_id(), **update}).encode()
            assert await self.transport.handle_webhook(body, SECRET) == 200
        else:
            await self.fake.inject(update)

    async def say(
        self, text: str, user_id: int = KNOWN, *, chat_id: int | None = None, expect: str = ""
    ) -> list[Call]:
        """Send a message; the calls of `expect` (sendMessage by default) it caused."""
        mark = len(self.fake.calls)
        await self.deliver(message_update(text, user_id, chat_id))
        return await self.fake.wait_calls(expect or "sendMessage", since=mark)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi(TOKEN)
    await api.start()
    yield api
    await api.close()


@pytest.fixture
async def known_user(demo_db: Database) -> None:
    async with demo_db.transaction() as session:
        repos = Repositories(session)
        await repos.users.add_identity(await repos.users.get("demo"), Platform.TELEGRAM, "4242")


@pytest.fixture(params=["polling", "webhook"])
async def chat(
    request: pytest.FixtureRequest,
    fake: FakeBotApi,
    dispatcher: Dispatcher,
    known_user: None,
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[Conversation]:
    caplog.set_level(logging.DEBUG)  # from start-up on: PTB logs its API URL at DEBUG
    settings = settings_for(fake, webhook=request.param == "webhook")
    transport = TelegramTransport(settings, dispatcher, poll_timeout=1)
    await transport.start()
    try:
        yield Conversation(fake, transport)
    finally:
        await transport.stop()


async def test_a_conversation(
    chat: Conversation, demo_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    fake = chat.fake

    [welcome] = await chat.say("/start", STRANGER)
    assert welcome.params["chat_id"] == STRANGER
    assert "/start" in welcome.params["text"]

    [deadlines] = await chat.say("/deadlines week")
    assert deadlines.params["parse_mode"] == "HTML"
    text = deadlines.params["text"]
    assert text.startswith("<b>")
    assert "• " in text
    assert well_formed(text)

    [page_one] = await chat.say("/projects")
    rows = page_one.params["reply_markup"]["inline_keyboard"]
    [next_page] = [b["callback_data"] for row in rows for b in row if " p2" in b["callback_data"]]
    mark = len(fake.calls)
    await chat.deliver(callback_update(next_page, KNOWN, page_one.result))
    await fake.wait_calls("answerCallbackQuery", since=mark)
    [edited] = await fake.wait_calls("editMessageText", since=mark)
    assert edited.params["message_id"] == page_one.result["message_id"]
    assert edited.params["text"] != page_one.params["text"]
    assert not fake.of("sendMessage", mark)  # the page replaced its own message

    async with demo_db.transaction() as session:
        meeting_id = await session.scalar(select(Meeting.id).order_by(Meeting.id).limit(1))
    [document] = await chat.say(f"/meeting {meeting_id}", expect="sendDocument")
    filename, content = document.files["document"]
    assert filename == f"meeting-{meeting_id}.ics"
    assert content.startswith(b"BEGIN:VCALENDAR")

    menus = {c.params.get("language_code"): c.params["commands"] for c in fake.of("setMyCommands")}
    assert set(menus) == {None, "sr", "hu", "en"}
    assert {"command": "deadlines", "description": "upcoming deadlines"} in menus["en"]
    assert {"command": "deadlines", "description": "predstojeći rokovi"} in menus["sr"]

    assert [c.method for c in fake.calls if c.result is None] == []  # nothing refused
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert TOKEN.split(":")[1] not in logged


async def test_groups_answer_commands_for_this_bot_and_replies_only(chat: Conversation) -> None:
    fake = chat.fake
    mark = len(fake.calls)
    await chat.deliver(message_update("/whoami@some_other_bot", KNOWN, GROUP))
    await chat.deliver(message_update("rokovi ove nedelje", KNOWN, GROUP))  # chatter
    [answer] = await chat.say(f"/whoami@{BOT_USERNAME}", chat_id=GROUP)
    assert answer.params["chat_id"] == GROUP
    assert len(fake.of("sendMessage", mark)) == 1  # updates are handled in order
    mark = len(fake.calls)
    await chat.deliver(message_update("whoami", KNOWN, GROUP, reply_to=answer.result))
    [again] = await fake.wait_calls("sendMessage", since=mark)
    assert again.params["text"] == answer.params["text"]  # a reply to the bot is for the bot


async def test_a_wrong_webhook_secret_is_refused(
    fake: FakeBotApi, dispatcher: Dispatcher, known_user: None
) -> None:
    transport = TelegramTransport(settings_for(fake, webhook=True), dispatcher)
    await transport.start()
    try:
        [webhook] = fake.of("setWebhook")
        assert webhook.params["secret_token"] == SECRET
        mark = len(fake.calls)
        body = json.dumps({"update_id": 9, **message_update("/whoami", KNOWN)}).encode()
        assert await transport.handle_webhook(body, "wrong") == 403
        assert await transport.handle_webhook(body, None) == 403
        assert await transport.handle_webhook(b"not json", SECRET) == 400
        assert await transport.handle_webhook(body, SECRET) == 200
        await fake.wait_calls("sendMessage", since=mark)
        assert len(fake.of("sendMessage", mark)) == 1
    finally:
        await transport.stop()
    assert not fake.of("getUpdates")  # no polling in webhook mode


@pytest.fixture
async def sender(fake: FakeBotApi, dispatcher: Dispatcher) -> AsyncIterator[TelegramTransport]:
    transport = TelegramTransport(settings_for(fake, webhook=True), dispatcher)
    await transport.start()
    try:
        yield transport
    finally:
        await transport.stop()


async def test_a_long_reply_arrives_as_two_well_formed_messages(
    sender: TelegramTransport, fake: FakeBotApi
) -> None:
    items = [f"<project> & partner {n:03d} " + "x" * 40 for n in range(90)]  # ~5,000 chars
    reply = Reply(title="Projects <all>", items=items, footer="end")
    first = await sender.send("4242", reply)
    messages = fake.of("sendMessage")
    assert len(messages) == 2
    assert first == str(messages[0].result["message_id"])
    for call in messages:
        assert len(call.params["text"]) < 4096
        assert well_formed(call.params["text"])
    assert "&lt;project&gt; &amp; partner 089" in messages[1].params["text"]


async def test_attachments_are_sent_as_documents(
    sender: TelegramTransport, fake: FakeBotApi
) -> None:
    ics = Attachment("meeting-1.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    await sender.send("4242", Reply(lines=["Meeting"], attachments=[ics]))
    [document] = fake.of("sendDocument")
    assert document.files["document"] == (ics.filename, ics.content)


async def test_429_becomes_rate_limited(sender: TelegramTransport, fake: FakeBotApi) -> None:
    fake.rate_limited_sends, fake.retry_after = 1, 7
    with pytest.raises(RateLimited) as caught:
        await sender.send("4242", Reply.text("hello"))
    assert caught.value.retry_after == 7
    assert caught.value.platform == "telegram"


@pytest.mark.parametrize("refusal", ["blocked", "missing"])
async def test_a_chat_that_is_gone_becomes_chat_unavailable(
    sender: TelegramTransport, fake: FakeBotApi, refusal: str
) -> None:
    (fake.blocked_chats if refusal == "blocked" else fake.missing_chats).add(555)
    with pytest.raises(ChatUnavailable) as caught:
        await sender.send("555", Reply.text("hello"))
    assert caught.value.chat_id == "555"


async def test_a_bad_token_stops_start_up_without_showing_it(
    fake: FakeBotApi, dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "654321:AAF-not-the-right-one"
    transport = TelegramTransport(settings_for(fake, webhook=False, token=wrong), dispatcher)
    with pytest.raises(TransportStartError) as caught:
        await transport.start()
    message = str(caught.value)
    assert message == "telegram: the Bot API rejected the token (getMe: Unauthorized)"
    assert wrong.split(":")[1] not in caplog.text
    assert caught.value.__suppress_context__  # PTB's own error names the token
    await transport.stop()  # nothing started: a no-op
