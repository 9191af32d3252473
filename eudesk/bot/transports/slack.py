"""Slack on Bolt's AsyncApp: HTTP (/slack/events) or Socket Mode in, Block Kit replies out."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    async_default_handlers,
)
from slack_sdk.web.async_client import AsyncWebClient

from eudesk.bot.settings import Settings
from eudesk.bot.transports.slack_render import render
from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.messages import Incoming, Reply
from eudesk.schedules.delivery import ChatUnavailable, RateLimited, TransportError
from eudesk.storage.models import Platform

logger = logging.getLogger(__name__)

PLATFORM = Platform.SLACK.value
# Errors after which a channel will not take our messages until someone acts.
CHAT_GONE = frozenset({"channel_not_found", "is_archived", "not_in_channel", "account_inactive"})
SEEN_EVENTS = 10_000  # event ids remembered to drop Slack's retried deliveries (per process)
MENTION = re.compile(r"^\s*(<@[A-Z0-9]+(\|[^>]*)?>\s*)+")


# auth.test / apps.connections.open errors that mean "this token will never work".
TOKEN_REFUSED = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive",
     "not_allowed_token_type"}
)  # fmt: skip
BOT_TOKEN_VARIABLE = "EUDESK_SLACK_BOT_TOKEN"
APP_TOKEN_VARIABLE = "EUDESK_SLACK_APP_TOKEN"
# What a start-up call to the Web API may raise that is not a bug (SlackApiError is a
# SlackClientError: a refusal).
START_ERRORS = (SlackClientError, aiohttp.ClientError, TimeoutError, OSError)


class TransportStartError(Exception):
    """A transport could not start; the message names it and why, and holds no secret.
    `rejected_token` names the variable of a token Slack refused (never its value)."""

    def __init__(self, transport: str, reason: str, *, rejected_token: str | None = None) -> None:
        self.transport = transport
        self.reason = reason
        self.rejected_token = rejected_token
        super().__init__(f"{transport}: {reason}")


def unescape(text: str) -> str:
    """Slack escapes &, < and > in message text; commands want them back."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def command_line(text: str) -> str:
    """`/eudesk deadlines week` and `/eudesk /deadlines week` both mean "/deadlines week"."""
    text = text.strip()
    if not text:
        return "/help"
    return text if text.startswith("/") else f"/{text}"


def _sender(team_id: str, user_id: str) -> str:
    return f"{team_id}:{user_id}"


def command_incoming(body: dict[str, Any]) -> Incoming:
    """A slash command payload as an Incoming."""
    channel = str(body["channel_id"])
    return Incoming(
        platform=Platform.SLACK,
        chat_id=channel,
        sender_id=_sender(body["team_id"], body["user_id"]),
        sender_name=body.get("user_name"),
        text=command_line(unescape(str(body.get("text", "")))),
        is_group=not channel.startswith("D"),
    )


def event_incoming(body: dict[str, Any]) -> Incoming:
    """An app_mention or a direct message event as an Incoming (the leading mention stripped)."""
    event = body["event"]
    team = event.get("user_team") or event.get("team") or body["team_id"]
    channel = str(event["channel"])
    return Incoming(
        platform=Platform.SLACK,
        chat_id=channel,
        sender_id=_sender(team, event["user"]),
        text=unescape(MENTION.sub("", str(event.get("text", "")))).strip(),
        is_group=event.get("channel_type") != "im" and not channel.startswith("D"),
    )


def action_incoming(body: dict[str, Any]) -> Incoming:
    """A button press (block_actions): the button's value is the command line."""
    user = body["user"]
    team = user.get("team_id") or body["team"]["id"]
    channel = body.get("channel") or {}
    chat_id = str(channel.get("id") or body.get("container", {}).get("channel_id", ""))
    return Incoming(
        platform=Platform.SLACK,
        chat_id=chat_id,
        sender_id=_sender(team, user["id"]),
        sender_name=user.get("username"),
        text=str(body["actions"][0].get("value", "")),
        is_callback=True,
        is_group=not chat_id.startswith("D"),
    )


def map_error(chat_id: str, exc: SlackApiError) -> TransportError:
    """A Web API refusal as one of our delivery errors."""
    response = exc.response
    if response.status_code == 429:
        retry_after = response.headers.get("Retry-After") or response.headers.get("retry-after")
        try:
            seconds = float(retry_after) if retry_after is not None else 1.0
        except ValueError:
            seconds = 1.0
        return RateLimited(PLATFORM, seconds)
    error = str(response.get("error") or f"HTTP {response.status_code}")
    if error in CHAT_GONE:
        return ChatUnavailable(PLATFORM, chat_id, error)
    return TransportError(PLATFORM, error)


class SlackTransport:
    """Receives commands, mentions, DMs and button presses; sends Replies (the Sender protocol).

    With receive=False it only sends (a worker process): the Web API client checks the token,
    no Socket Mode connection is opened and handle_http refuses every request.
    """

    platform = PLATFORM

    def __init__(self, settings: Settings, dispatcher: Dispatcher, *, receive: bool = True) -> None:
        if settings.slack_bot_token is None:
            raise ValueError("SlackTransport needs EUDESK_SLACK_BOT_TOKEN")
        token = settings.slack_bot_token.get_secret_value()
        self.dispatcher = dispatcher
        self.receives = receive
        self._api_url = settings.slack_api_url
        self._signing_secret = settings.slack_signing_secret
        self._app_token = settings.slack_app_token
        # Replies to a user wait out one 429; the outbox's sends raise RateLimited instead.
        retry_once = AsyncRateLimitErrorRetryHandler(max_retry_count=1)
        self.client = AsyncWebClient(
            token=token,
            base_url=settings.slack_api_url,
            retry_handlers=[*async_default_handlers(), retry_once],
        )
        self._outbox_client = AsyncWebClient(token=token, base_url=settings.slack_api_url)
        signing_secret = self._signing_secret.get_secret_value() if self._signing_secret else ""
        # The client carries the token (passing both makes Bolt warn). process_before_response:
        # Bolt awaits each listener, which acks and hands the work to a task we keep; otherwise
        # Bolt would run listeners in tasks nobody holds.
        self.app = AsyncApp(
            client=self.client,
            signing_secret=signing_secret,
            request_verification_enabled=self._signing_secret is not None,
            process_before_response=True,
        )
        self.app.middleware(self._drop_retried_events)
        self.app.command("/eudesk")(self._on_command)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.app.action(re.compile(r"^eudesk_btn_\d+$"))(self._on_action)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self._socket: AsyncSocketModeHandler | None = None
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Check the bot token (auth.test), then connect Socket Mode when an app token is set."""
        try:
            auth = await self._outbox_client.auth_test()
        except START_ERRORS as exc:
            raise self._start_error(
                exc, "the Web API rejected the bot token (auth.test", BOT_TOKEN_VARIABLE
            ) from exc
        logger.info("slack: signed in as %s in %s", auth.get("user"), auth.get("team"))
        if not self.receives:
            logger.info("slack: started (send only)")
            return
        if self._app_token is not None:
            # The Socket Mode client retries a refused app token forever, logging a traceback
            # each time: ask apps.connections.open once first (its URL is simply not used).
            await self._check_app_token(self._app_token.get_secret_value())
            self._socket = self.socket_mode_handler()
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            logger.info("slack: Socket Mode connected")

    async def _check_app_token(self, app_token: str) -> None:
        try:
            await self._outbox_client.apps_connections_open(app_token=app_token)
        except START_ERRORS as exc:
            raise self._start_error(
                exc, "Slack refused the app token (apps.connections.open", APP_TOKEN_VARIABLE
            ) from exc

    def _start_error(self, exc: Exception, refusal: str, variable: str) -> TransportStartError:
        """A failed start-up call as a TransportStartError: a refused token is named by its
        variable, never its value; anything else is the Web API out of reach."""
        if isinstance(exc, SlackApiError):
            error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
            refused = error in TOKEN_REFUSED or exc.response.status_code == 401
            return TransportStartError(
                PLATFORM, f"{refusal}: {error})", rejected_token=variable if refused else None
            )
        reason = f"cannot reach the Web API at {self._api_url} ({type(exc).__name__})"
        return TransportStartError(PLATFORM, reason)

    def socket_mode_handler(self) -> AsyncSocketModeHandler:
        """Socket Mode over the app token (the handler opens an aiohttp session: close it)."""
        if self._app_token is None:
            raise ValueError("Socket Mode needs EUDESK_SLACK_APP_TOKEN")
        return AsyncSocketModeHandler(self.app, self._app_token.get_secret_value())

    async def stop(self) -> None:
        """No new work, then the socket closes and the in-flight replies finish."""
        self._closed = True
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        await self.drain()

    async def drain(self) -> None:
        """Wait for every reply being worked on (their errors are logged where they happen)."""
        while self._tasks:
            await asyncio.gather(*self._tasks)

    # -- inbound -----------------------------------------------------------------------------

    async def handle_http(self, request: web.Request) -> web.Response:
        """POST /slack/events: Bolt verifies the signature (401 when bad or stale) and routes."""
        if not self.receives:
            return web.Response(status=404, text="this process only sends")
        if self._signing_secret is None:
            return web.Response(status=404, text="Slack events arrive over Socket Mode")
        if self._closed:
            return web.Response(status=503, text="shutting down")
        response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def _drop_retried_events(
        self, body: dict[str, Any], next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        """Slack redelivers an event (X-Slack-Retry-Num) it thinks we missed: answer it once."""
        event_id = body.get("event_id")
        if isinstance(event_id, str):
            if event_id in self._seen:
                logger.info("slack: dropped a repeated delivery of %s", event_id)
                return BoltResponse(status=200, body="")
            self._seen[event_id] = None
            if len(self._seen) > SEEN_EVENTS:
                self._seen.popitem(last=False)
        return await next()

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """/eudesk <command> ...: acknowledged empty, answered with a message in the channel."""
        await ack()
        self._spawn(self._answer(command_incoming(body), respond=respond))

    async def _on_mention(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """@eudesk <command> in a channel: answered in the thread it came from, if any."""
        await ack()
        event = body["event"]
        if event.get("channel_type") == "im" or str(event.get("channel", "")).startswith("D"):
            return  # a mention in a DM also arrives as the DM itself: answer that one
        self._spawn(self._answer(event_incoming(body), thread_ts=event.get("thread_ts")))

    async def _on_message(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """A direct message; channel messages, edits, joins and bots' messages are ignored."""
        await ack()
        event = body["event"]
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        if not event.get("user"):
            return
        self._spawn(self._answer(event_incoming(body)))

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """A button press: its value goes through the core like a typed command."""
        await ack()
        self._spawn(self._answer(action_incoming(body), respond=respond))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(
        self,
        incoming: Incoming,
        *,
        thread_ts: str | None = None,
        respond: AsyncRespond | None = None,
    ) -> None:
        """The work after ack(): the core's answer posted to the chat (the task's boundary)."""
        try:
            reply = await self.dispatcher.handle(incoming)
            try:
                await self._post(self.client, incoming.chat_id, reply, thread_ts)
            except SlackApiError as exc:
                # A slash command or button in a channel the bot is not in: answer privately.
                if respond is None or exc.response.get("error") not in CHAT_GONE:
                    raise
                rendered = render(reply)
                await respond(text=rendered.text, blocks=rendered.blocks or None)
        except Exception:
            logger.exception("slack: answering in %s failed", incoming.chat_id)

    # -- outbound ----------------------------------------------------------------------------

    async def send(self, chat_id: str, reply: Reply) -> str:
        """Post a Reply and its files; returns the message ts. Raises our errors, not the SDK's."""
        try:
            return await self._post(self._outbox_client, chat_id, reply)
        except SlackApiError as exc:
            raise map_error(chat_id, exc) from exc
        except (SlackClientError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise TransportError(PLATFORM, f"Web API unreachable ({type(exc).__name__})") from exc

    async def _post(
        self, client: AsyncWebClient, chat_id: str, reply: Reply, thread_ts: str | None = None
    ) -> str:
        rendered = render(reply)
        response = await client.chat_postMessage(
            channel=chat_id,
            text=rendered.text,
            blocks=rendered.blocks or None,
            thread_ts=thread_ts,
            unfurl_links=False,
        )
        # A user id as chat_id posts to the DM; files need that DM's channel id.
        channel = str(response.get("channel") or chat_id)
        for attachment in reply.attachments:
            await client.files_upload_v2(
                channel=channel,
                file=attachment.content,
                filename=attachment.filename,
                title=attachment.filename,
                thread_ts=thread_ts,
            )
        return str(response["ts"])
