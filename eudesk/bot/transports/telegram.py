"""Telegram on python-telegram-bot 22: polling or webhook in, HTML replies out, errors mapped."""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
from datetime import timedelta
from typing import Any

# PTB 22 warns (an error under pytest) when retry_after etc. are read as numbers; as timedeltas not.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import (
    BotCommand,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Update,
    User,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from eudesk.bot.settings import Settings
from eudesk.bot.transports.telegram_render import Rendered, addressed, file_url, menus, render
from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.messages import Button, Incoming, Reply
from eudesk.schedules.delivery import ChatUnavailable, RateLimited, TransportError
from eudesk.storage.models import Platform

logger = logging.getLogger(__name__)

PLATFORM = "telegram"
ALLOWED_UPDATES = ["message", "callback_query"]
_PAGING = re.compile(r"^/\S+ p\d+(\s|$)")

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


TOKEN_VARIABLE = "EUDESK_TELEGRAM_TOKEN"


class TransportStartError(TransportError):
    """A transport could not start (bad token, unreachable API); the message is safe to print.
    `rejected_token` names the variable of a token the Bot API refused (never its value)."""

    def __init__(self, reason: str, *, rejected_token: str | None = None) -> None:
        super().__init__(PLATFORM, reason)
        self.rejected_token = rejected_token


def _incoming(chat: Chat, user: User, text: str, *, is_callback: bool) -> Incoming:
    return Incoming(
        platform=Platform.TELEGRAM,
        chat_id=str(chat.id),
        sender_id=str(user.id),
        text=text,
        sender_name=user.full_name or user.username,
        locale_hint=user.language_code,
        is_callback=is_callback,
        is_group=chat.type in (ChatType.GROUP, ChatType.SUPERGROUP),
    )


def to_incoming(update: Update, bot_username: str) -> Incoming | None:
    """A message or button press for the core; None for what this bot should not answer.

    In groups the bot answers commands (bare, or addressed to it with @) and replies to its own
    messages; plain chatter and commands for other bots are left alone.
    """
    query = update.callback_query
    if query is not None:
        if query.message is None or not query.data:
            return None  # a press on an inline-mode message: no chat to answer in
        return _incoming(query.message.chat, query.from_user, query.data, is_callback=True)
    message = update.message
    if message is None or message.text is None or message.from_user is None:
        return None
    text = addressed(message.text, bot_username)
    if text is None:
        return None
    group = message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
    replied = message.reply_to_message
    to_bot = (
        replied is not None
        and replied.from_user is not None
        and ((replied.from_user.username or "").casefold() == bot_username.casefold())
    )
    if group and not text.startswith("/") and not to_bot:
        return None
    return _incoming(message.chat, message.from_user, text, is_callback=False)


class _Redact(logging.Filter):
    """Takes the token out of PTB's log lines: at DEBUG it logs the API URL, which holds it."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), None
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = text.replace(self.token, "<token>")
        return True


def _ptb_loggers() -> list[logging.Logger]:
    """PTB's loggers (created when it is imported) and ours; a filter applies to its own only."""
    names = [n for n in logging.Logger.manager.loggerDict if n.split(".")[0] == "telegram"]
    return [logging.getLogger(name) for name in [*names, __name__]]


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _chat(chat_id: str) -> int | str:
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


def _markup(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.callback) for b in row] for row in rows]
    )


class TelegramTransport:
    """The Telegram side of eudesk: starts PTB on the shared loop and sends Replies (a Sender).

    With receive=False it only sends (a worker process): the bot is initialised, which checks
    the token, but nothing polls, no webhook is set or deleted and the menus are left alone, so
    the process that receives keeps its getUpdates or its webhook to itself.
    """

    platform = PLATFORM

    def __init__(
        self,
        settings: Settings,
        dispatcher: Dispatcher,
        *,
        poll_timeout: float = 10.0,
        receive: bool = True,
    ) -> None:
        if settings.telegram_token is None:
            raise TransportStartError("no token configured (EUDESK_TELEGRAM_TOKEN)")
        self.settings = settings
        self.dispatcher = dispatcher
        self.poll_timeout = poll_timeout
        self.receives = receive
        self._token = settings.telegram_token.get_secret_value()
        secret = settings.telegram_webhook_secret
        self._secret = secret.get_secret_value() if secret is not None else None
        self._app: AnyApplication | None = None
        self._redaction = _Redact(self._token)
        self._username = ""
        # httpx logs every request URL, and a Bot API URL holds the token.
        for name in ("httpx", "httpcore"):
            quiet = logging.getLogger(name)
            if quiet.level < logging.WARNING:  # NOTSET too: the root may be at DEBUG later
                quiet.setLevel(logging.WARNING)

    @property
    def webhook_mode(self) -> bool:
        return self.receives and self.settings.telegram_webhook_url is not None

    @property
    def application(self) -> AnyApplication:
        if self._app is None:
            raise TransportError(PLATFORM, "not started")
        return self._app

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "<token>")

    def _build(self) -> AnyApplication:
        builder = (
            Application.builder()
            .token(self._token)
            .base_url(self.settings.telegram_api_url)
            .base_file_url(file_url(self.settings.telegram_api_url))
            .job_queue(None)
        )
        if self.webhook_mode or not self.receives:
            builder = builder.updater(None)
        app: AnyApplication = builder.build()
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, self._on_update))
        app.add_handler(CallbackQueryHandler(self._on_update))
        app.add_error_handler(self._on_error)
        return app

    async def start(self) -> None:
        """initialize → menus → webhook or polling; a bad token raises TransportStartError."""
        if self.webhook_mode and not self._secret:
            raise TransportStartError("webhook mode needs EUDESK_TELEGRAM_WEBHOOK_SECRET")
        for ptb_logger in _ptb_loggers():
            ptb_logger.addFilter(self._redaction)
        app = self._build()
        try:
            await app.initialize()
        # PTB's messages here name the token, so they are not chained into tracebacks.
        except InvalidToken:
            await self._abandon(app)
            raise TransportStartError(
                "the Bot API rejected the token (getMe: Unauthorized)",
                rejected_token=TOKEN_VARIABLE,
            ) from None
        except TelegramError as exc:
            await self._abandon(app)
            reason = f"cannot reach the Bot API at {self.settings.telegram_api_url}"
            raise TransportStartError(f"{reason} ({self._redact(exc.message)})") from None
        self._app = app
        self._username = app.bot.username
        if not self.receives:
            logger.info("telegram: @%s started (send only)", self._username)
            return
        try:
            await self._set_menus()
            if self.webhook_mode:
                await app.bot.set_webhook(
                    str(self.settings.telegram_webhook_url),
                    secret_token=self._secret,
                    allowed_updates=ALLOWED_UPDATES,
                )
            await app.start()
            if app.updater is not None:
                await app.updater.start_polling(
                    timeout=int(self.poll_timeout), allowed_updates=ALLOWED_UPDATES
                )
        except InvalidToken:  # revoked between getMe and here
            await self.stop()
            raise TransportStartError(
                "the Bot API rejected the token (Unauthorized)", rejected_token=TOKEN_VARIABLE
            ) from None
        except TelegramError as exc:
            await self.stop()
            raise TransportStartError(self._redact(exc.message)) from None
        logger.info("telegram: @%s started (%s)", self._username, self._mode())

    def _mode(self) -> str:
        return "webhook" if self.webhook_mode else "polling"

    async def stop(self) -> None:
        """Polling, then the update processing (pending updates finish), then the HTTP client."""
        app, self._app = self._app, None
        if app is None:
            return
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        logger.info("telegram: stopped")
        for ptb_logger in _ptb_loggers():
            ptb_logger.removeFilter(self._redaction)

    async def _abandon(self, app: AnyApplication) -> None:
        """After a failed initialize: PTB will not shut down what it never initialized."""
        await app.bot.request.shutdown()
        for ptb_logger in _ptb_loggers():
            ptb_logger.removeFilter(self._redaction)

    async def _set_menus(self) -> None:
        """Best effort: a menu the API refuses is logged; the bot works without it."""
        entries = menus(self.dispatcher.commands, self.settings.default_locale)
        for code, pairs in entries.items():
            commands = [BotCommand(name, description) for name, description in pairs]
            try:
                await self.application.bot.set_my_commands(commands, language_code=code)
            except TelegramError as exc:
                logger.warning("telegram: menu for %s refused: %s", code, self._redact(str(exc)))

    async def handle_webhook(self, body: bytes, secret_header: str | None) -> int:
        """One POST from Telegram: the HTTP status to answer. The update is queued, not awaited."""
        if not self.webhook_mode or self._secret is None:
            return 404
        given = (secret_header or "").encode()
        if not secret_header or not hmac.compare_digest(given, self._secret.encode()):
            return 403
        if self._app is None or not self._app.running:
            return 503
        try:
            data = json.loads(body)
            update = Update.de_json(data, self._app.bot) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError, AttributeError):
            update = None
        if update is None:
            return 400
        await self._app.update_queue.put(update)
        return 200

    async def _on_update(self, update: Update, context: Any) -> None:
        """A message or button press: acknowledge a press at once, ask the core, send the reply."""
        query = update.callback_query
        if query is not None:
            try:
                await query.answer()
            except TelegramError as exc:  # an old press: the answer is only cosmetic
                logger.debug("telegram: callback answer refused: %s", self._redact(str(exc)))
        incoming = to_incoming(update, self._username)
        if incoming is None:
            return
        reply = await self.dispatcher.handle(incoming)
        # A paging button replaces its own message; other buttons (ack...) answer below it.
        edit = None
        if query is not None and query.message and _PAGING.match(incoming.text):
            edit = query.message.message_id
        try:
            await self._deliver(incoming.chat_id, reply, edit=edit)
        except TransportError as exc:
            logger.warning("telegram: reply to chat %s not sent: %s", incoming.chat_id, exc)

    async def _on_error(self, update: object, context: Any) -> None:
        """The outermost boundary of an update: log once with the traceback."""
        logger.error("telegram: an update failed", exc_info=context.error)

    async def send(self, chat_id: str, reply: Reply) -> str:
        """Sender: the reply to a chat; returns the first message's id."""
        return await self._deliver(chat_id, reply)

    async def _deliver(self, chat_id: str, reply: Reply, *, edit: int | None = None) -> str:
        rendered = render(reply)
        try:
            editable = edit is not None and len(rendered.texts) == 1 and not reply.attachments
            if editable and edit is not None and await self._edit(chat_id, edit, rendered):
                return str(edit)
            return await self._send_new(chat_id, reply, rendered)
        except TelegramError as exc:
            raise self._mapped(exc, chat_id) from exc

    async def _edit(self, chat_id: str, message_id: int, rendered: Rendered) -> bool:
        """Edit in place; False when Telegram will not (too old, deleted) so a new one is sent."""
        try:
            await self.application.bot.edit_message_text(
                rendered.texts[0],
                chat_id=_chat(chat_id),
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=_markup(rendered.keyboard),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except BadRequest as exc:
            return "not modified" in exc.message.lower()
        return True

    async def _send_new(self, chat_id: str, reply: Reply, rendered: Rendered) -> str:
        bot = self.application.bot
        ids: list[int] = []
        for number, text in enumerate(rendered.texts, start=1):
            last = number == len(rendered.texts)
            message = await bot.send_message(
                _chat(chat_id),
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=_markup(rendered.keyboard) if last else None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
            ids.append(message.message_id)
        for attachment in reply.attachments:
            document = InputFile(attachment.content, filename=attachment.filename)
            message = await bot.send_document(_chat(chat_id), document)
            ids.append(message.message_id)
        if not ids:
            raise TransportError(PLATFORM, "empty reply")
        return str(ids[0])

    def _mapped(self, exc: TelegramError, chat_id: str) -> TransportError:
        """PTB's errors as the project's: what the reminder outbox knows how to handle."""
        reason = self._redact(exc.message)
        if isinstance(exc, RetryAfter):
            return RateLimited(PLATFORM, _seconds(exc.retry_after))
        if isinstance(exc, Forbidden):
            return ChatUnavailable(PLATFORM, chat_id, reason)
        if isinstance(exc, ChatMigrated):
            return ChatUnavailable(PLATFORM, chat_id, f"moved to {exc.new_chat_id}")
        if isinstance(exc, BadRequest) and "chat not found" in reason.lower():
            return ChatUnavailable(PLATFORM, chat_id, reason)
        return TransportError(PLATFORM, reason)
