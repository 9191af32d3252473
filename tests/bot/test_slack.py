"""The real Bolt AsyncApp on signed requests, answering through a loopback fake Slack Web API."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr

from eudesk.bot.settings import Settings
from eudesk.bot.transports.slack import SlackTransport, TransportStartError
from eudesk.bot.transports.slack_render import MAX_BLOCKS, MAX_SECTION_TEXT, render
from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.messages import Attachment, Incoming, Reply
from eudesk.schedules.delivery import ChatUnavailable, RateLimited, TransportError
from eudesk.storage.db import Database
from eudesk.storage.models import Platform
from eudesk.storage.repositories import Repositories
from tests.bot import slack_signing as signing
from tests.bot.fake_slack import TEAM_ID, TOKEN, FakeSlack

USER = "U0DEMO"
CHANNEL = "C0GENERAL"
DM = "D0DEMO"
DATE = re.compile(r"\d{2}\.\d{2}\.\d{4}\.")


def slack_settings(fake: FakeSlack, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "slack_bot_token": SecretStr(TOKEN),
        "slack_signing_secret": SecretStr(signing.SIGNING_SECRET),
        "slack_api_url": fake.api_url,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeSlack]:
    # slack-sdk copies these into its client and ignores NO_PROXY (STYLE.md).
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()


@dataclass
class Slack:
    """Slack's side of the conversation: signed deliveries to /slack/events, and the fake API."""

    transport: SlackTransport
    fake: FakeSlack
    url: str
    session: aiohttp.ClientSession

    async def deliver(
        self, body: str, headers: dict[str, str], *, signed: dict[str, str] | None = None
    ) -> tuple[int, str]:
        """POST one delivery, then wait for the work it started (bounded, never a sleep)."""
        all_headers = {**headers, **(signed or signing.signed_headers(body))}
        async with self.session.post(self.url, data=body, headers=all_headers) as response:
            status, text = response.status, await response.text()
        await asyncio.wait_for(self.transport.drain(), 10)
        return status, text

    async def command(self, text: str, channel: str = CHANNEL) -> tuple[int, str]:
        body, headers = signing.slash_command(
            text, team=TEAM_ID, user=USER, channel=channel, response_url=self.fake.response_url()
        )
        return await self.deliver(body, headers)

    def posted(self) -> list[dict[str, Any]]:
        return self.fake.called("chat.postMessage")


@pytest.fixture
async def slack(fake: FakeSlack, dispatcher: Dispatcher, demo_db: Database) -> AsyncIterator[Slack]:
    async with demo_db.transaction() as session:
        repos = Repositories(session)
        await repos.users.add_identity(
            await repos.users.get("demo"), Platform.SLACK, f"{TEAM_ID}:{USER}"
        )
    transport = SlackTransport(slack_settings(fake), dispatcher)
    await transport.start()
    app = web.Application()
    app.router.add_post("/slack/events", transport.handle_http)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    async with aiohttp.ClientSession() as session:
        yield Slack(transport, fake, url, session)
    await transport.stop()
    await runner.cleanup()


def assert_within_limits(message: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = message["blocks"]
    assert isinstance(blocks, list)
    assert 0 < len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= MAX_SECTION_TEXT
    assert message["text"]
    return blocks


async def test_slash_command_posts_block_kit(slack: Slack) -> None:
    status, body = await slack.command("deadlines week")
    assert (status, body) == (200, "")  # acknowledged empty; the answer is a message
    [message] = slack.posted()
    assert message["channel"] == CHANNEL
    blocks = assert_within_limits(message)
    assert blocks[0]["type"] == "header"
    sections = " ".join(b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b)
    assert DATE.search(sections)


async def test_slash_command_with_a_slash_means_the_same(slack: Slack) -> None:
    await slack.command("deadlines week")
    await slack.command("/deadlines week")
    first, second = slack.posted()
    assert first["blocks"] == second["blocks"]


async def test_app_mention_strips_the_mention(slack: Slack) -> None:
    body, headers = signing.event(
        "app_mention", "<@U0BOT> whoami", team=TEAM_ID, user=USER, channel=CHANNEL, event_id="Ev1"
    )
    assert (await slack.deliver(body, headers))[0] == 200
    [message] = slack.posted()
    assert message["channel"] == CHANNEL
    assert "demo" in str(message["text"])  # /whoami names the account
    in_dm, headers = signing.event(
        "app_mention", "<@U0BOT> whoami", team=TEAM_ID, user=USER, channel=DM, event_id="Ev1b"
    )
    assert (await slack.deliver(in_dm, headers))[0] == 200
    assert len(slack.posted()) == 1  # the DM's own message event is the one answered


async def test_direct_message_is_answered_and_bots_and_edits_are_not(slack: Slack) -> None:
    events = [
        signing.event("message", "whoami", team=TEAM_ID, user=USER, channel=DM, event_id="Ev2"),
        signing.event(
            "message", "whoami", team=TEAM_ID, user=USER, channel=DM, event_id="Ev3", bot_id="B1"
        ),
        signing.event(
            "message",
            "x",
            team=TEAM_ID,
            user=USER,
            channel=DM,
            event_id="Ev4",
            subtype="me_message",
        ),
        signing.event(
            "message", "whoami", team=TEAM_ID, user=USER, channel=CHANNEL, event_id="Ev5"
        ),
    ]
    for index, (body, headers) in enumerate(events):
        # channel_type is what Slack sets for DMs; the last event is in a channel
        body = body.replace('"type": "message"', '"type": "message", "channel_type": "im"')
        if index == 3:
            body = body.replace('"channel_type": "im"', '"channel_type": "channel"')
        assert (await slack.deliver(body, headers))[0] == 200
    [message] = slack.posted()
    assert message["channel"] == DM
    assert "demo" in str(message["text"])


async def test_button_press_posts_the_next_page(slack: Slack, dispatcher: Dispatcher) -> None:
    body, headers = signing.block_action(
        "/projects p2",
        team=TEAM_ID,
        user=USER,
        channel=CHANNEL,
        response_url=slack.fake.response_url(),
    )
    assert (await slack.deliver(body, headers))[0] == 200
    [message] = slack.posted()
    expected = await dispatcher.handle(
        Incoming(Platform.SLACK, CHANNEL, f"{TEAM_ID}:{USER}", "/projects p2", is_callback=True)
    )
    assert message["text"] == render(expected).text
    assert_within_limits(message)


async def test_slash_command_where_the_bot_is_not_answers_privately(slack: Slack) -> None:
    slack.fake.errors["chat.postMessage"] = "not_in_channel"
    await slack.command("deadlines week")
    [private] = slack.fake.called("response_url")
    assert private["blocks"]
    assert private["text"]


async def test_bad_signature_is_refused(slack: Slack) -> None:
    body, headers = signing.slash_command(
        "deadlines week", team=TEAM_ID, user=USER, channel=CHANNEL, response_url="http://x"
    )
    forged = signing.signed_headers(body, secret="not-the-secret")
    assert (await slack.deliver(body, headers, signed=forged))[0] == 401
    assert slack.posted() == []


async def test_stale_timestamp_is_refused(slack: Slack) -> None:
    body, headers = signing.slash_command(
        "deadlines week", team=TEAM_ID, user=USER, channel=CHANNEL, response_url="http://x"
    )
    stale = signing.signed_headers(body, timestamp=int(time.time()) - 6 * 60)
    assert (await slack.deliver(body, headers, signed=stale))[0] == 401
    assert slack.posted() == []


async def test_retried_event_is_handled_once(slack: Slack) -> None:
    body, headers = signing.event(
        "app_mention", "<@U0BOT> whoami", team=TEAM_ID, user=USER, channel=CHANNEL, event_id="EvR"
    )
    assert (await slack.deliver(body, headers))[0] == 200
    retry = {**headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await slack.deliver(body, retry))[0] == 200
    assert len(slack.posted()) == 1


async def test_reply_waits_out_one_429(slack: Slack) -> None:
    slack.fake.rate_limit("chat.postMessage", times=1, retry_after=0)
    await slack.command("whoami")
    assert len(slack.posted()) == 2  # the 429, then the retry that went through


async def test_send_maps_429_to_rate_limited(slack: Slack) -> None:
    slack.fake.rate_limit("chat.postMessage", retry_after=7)
    with pytest.raises(RateLimited) as caught:
        await slack.transport.send(CHANNEL, Reply.text("reminder"))
    assert caught.value.retry_after == 7
    assert len(slack.posted()) == 1  # the outbox reschedules; send() does not wait


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("channel_not_found", ChatUnavailable),
        ("is_archived", ChatUnavailable),
        ("fatal_error", TransportError),
    ],
)
async def test_send_maps_refusals(slack: Slack, error: str, expected: type[TransportError]) -> None:
    slack.fake.errors["chat.postMessage"] = error
    with pytest.raises(expected, match=error):
        await slack.transport.send(CHANNEL, Reply.text("reminder"))


async def test_send_uploads_attachments(slack: Slack) -> None:
    ics = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    reply = Reply(title="Sastanak", attachments=[Attachment("meeting.ics", ics, "text/calendar")])
    ts = await slack.transport.send(CHANNEL, reply)
    assert ts.startswith("1700000000.")  # the fake's message ts
    [upload] = slack.fake.called("upload")
    assert upload["body"] == ics
    [complete] = slack.fake.called("files.completeUploadExternal")
    assert complete["channel_id"] == CHANNEL


async def test_token_never_reaches_the_logs(slack: Slack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await slack.command("deadlines week")
    await slack.transport.send(CHANNEL, Reply.text("reminder"))
    assert slack.posted()
    assert caplog.records  # slack_sdk and Bolt did log at DEBUG
    assert TOKEN not in caplog.text
    assert signing.SIGNING_SECRET not in caplog.text


async def test_bad_token_stops_start_up(fake: FakeSlack, dispatcher: Dispatcher) -> None:
    bad = "xoxb-0000-wrong-token"
    transport = SlackTransport(slack_settings(fake, slack_bot_token=SecretStr(bad)), dispatcher)
    with pytest.raises(TransportStartError, match=r"auth\.test: invalid_auth") as caught:
        await transport.start()
    assert bad not in str(caught.value)


async def test_socket_mode_handler_is_built_from_the_app_token(
    fake: FakeSlack, dispatcher: Dispatcher
) -> None:
    """Only construction: connecting needs a Socket Mode WebSocket the fake does not speak."""
    settings = slack_settings(fake, slack_app_token=SecretStr("xapp-1-fake"))
    handler = SlackTransport(settings, dispatcher).socket_mode_handler()
    try:
        assert handler.client.app_token == "xapp-1-fake"
        assert handler.client.web_client.base_url == fake.api_url
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
