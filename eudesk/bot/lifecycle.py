"""`eudesk run` as a service: transports, reminders and HTTP by role; stopped in reverse."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from eudesk.bot.app import ServiceRole, build_dispatcher, feed_source
from eudesk.bot.http import HttpServer, SlackEvents, TelegramWebhook, build_http_app
from eudesk.bot.metrics import Metrics
from eudesk.bot.runtime import require_schema
from eudesk.bot.settings import Settings
from eudesk.handlers import command_table
from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.messages import Reply
from eudesk.schedules.delivery import Sender
from eudesk.schedules.ratelimit import RateLimits, platform_limits
from eudesk.schedules.reminders import ReminderOptions, ReminderService
from eudesk.storage.changes import ChangeListener
from eudesk.storage.db import Database

logger = logging.getLogger(__name__)

STOP_TIMEOUT = 30.0  # per component: in-flight replies finish, a hung SDK does not block exit
# Exit statuses of `eudesk run` (2 is a bad setting, 3 an unreachable database: see cli.py).
CANNOT_START = 1  # a component could not start (a busy port, an API out of reach): may pass
TOKEN_REJECTED = 4  # Telegram or Slack rejected a token: only a new token helps, no restart


class StartupError(Exception):
    """A component could not start; the message is one line, safe to print (no secrets).
    `exit_status` is what `eudesk run` exits with: TOKEN_REJECTED when the platform refused
    a token (the systemd units do not restart on it), else CANNOT_START."""

    def __init__(self, component: str, reason: str, *, exit_status: int = CANNOT_START) -> None:
        self.component = component
        self.reason = reason
        self.exit_status = exit_status
        super().__init__(f"cannot start {component}: {reason}")


class Transport(Protocol):
    """A chat transport as the service sees it: started once, stopped once, able to send."""

    platform: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, chat_id: str, reply: Reply) -> str: ...


@dataclass
class ChatTransports:
    """The configured transports in start order, which of them serve HTTP routes, and the
    exceptions that mean "cannot start" (anything else is a bug and keeps its traceback)."""

    in_order: list[Transport] = field(default_factory=list)
    telegram_webhook: TelegramWebhook | None = None
    slack_events: SlackEvents | None = None
    start_errors: tuple[type[Exception], ...] = ()


# (settings, dispatcher, receive): receive=False builds send-only transports (a worker).
TransportFactory = Callable[[Settings, Dispatcher, bool], ChatTransports]


def build_transports(
    settings: Settings, dispatcher: Dispatcher, receive: bool = True
) -> ChatTransports:
    """Telegram and Slack when configured; each SDK is imported only when its platform is on.
    Send-only transports (receive=False) serve no HTTP route."""
    chat = ChatTransports()
    if settings.telegram_enabled:
        try:
            from eudesk.bot.transports import telegram
        except ImportError as exc:
            raise StartupError("telegram", f"cannot load the transport: {exc}") from exc
        try:
            bot = telegram.TelegramTransport(settings, dispatcher, receive=receive)
        except telegram.TransportStartError as exc:
            raise StartupError("telegram", redact(describe(exc), settings)) from exc
        chat.in_order.append(bot)
        chat.start_errors += (telegram.TransportStartError,)
        if receive and settings.telegram_webhook_url:
            chat.telegram_webhook = bot
    if settings.slack_enabled:
        try:
            from eudesk.bot.transports import slack
        except ImportError as exc:
            raise StartupError("slack", f"cannot load the transport: {exc}") from exc
        try:
            app = slack.SlackTransport(settings, dispatcher, receive=receive)
        except slack.TransportStartError as exc:
            raise StartupError("slack", redact(describe(exc), settings)) from exc
        chat.in_order.append(app)
        chat.start_errors += (slack.TransportStartError,)
        if receive and settings.slack_app_token is None:  # HTTP mode; Socket Mode: no route
            chat.slack_events = app
    return chat


async def run_service(
    settings: Settings,
    database: Database,
    *,
    role: ServiceRole = ServiceRole.ALL,
    stop_event: asyncio.Event | None = None,
    transports: TransportFactory = build_transports,
    on_ready: Callable[[int], None] | None = None,
) -> None:
    """Start the database check, the transports, the reminders (worker, all) and the HTTP
    server; run until SIGTERM, SIGINT or `stop_event`; stop in reverse. `on_ready` gets the
    HTTP port once everything is up.

    Raises StartupError when a component cannot start, after stopping what had started;
    DatabaseUnavailable when the database does not answer, DatabaseNotReady when it is not at
    this eudesk's schema (the CLI's own lines for them)."""
    metrics = Metrics(command.name for command in command_table().commands)
    dispatcher = build_dispatcher(settings, database, observe=metrics.observe)
    chat = transports(settings, dispatcher, role.receives)
    up = {transport.platform: False for transport in chat.in_order}
    http = HttpServer(
        build_http_app(
            database,
            metrics,
            # A worker must not claim the webhook routes: they belong to the web process.
            telegram=chat.telegram_webhook if role.receives else None,
            slack=chat.slack_events if role.receives else None,
            feeds=feed_source(settings, database) if role.receives else None,
            transports_up=lambda: dict(up),
        ),
        settings.http_host,
        settings.http_port,
    )
    stop = stop_event if stop_event is not None else asyncio.Event()
    with stop_on_signals(stop):
        async with AsyncExitStack() as stack:
            await database.ping()
            await require_schema(database)  # before serving: "run `eudesk db upgrade`"
            for transport in chat.in_order:
                await start(transport.platform, transport.start(), chat.start_errors, settings)
                up[transport.platform] = True
                stack.push_async_callback(stop_transport, transport, up)
            if role.reminds:
                # After the transports (it sends through them), before the HTTP server; stopped
                # before the transports, so the messages in flight go out first.
                senders = {transport.platform: transport for transport in chat.in_order}
                await start_reminders(stack, settings, database, senders)
            where = f"{settings.http_host}:{settings.http_port}"
            await start("http server", http.start(), (OSError,), settings, where=where)
            stack.push_async_callback(stop_component, "http server", http.stop)
            parts = [*up, *(["reminders"] if role.reminds else []), f"http on port {http.port}"]
            logger.info("started (%s): %s", role.value, ", ".join(parts))
            if on_ready is not None:
                on_ready(http.port)
            await stop.wait()
            logger.info("stopping")
    logger.info("stopped")


async def start_reminders(
    stack: AsyncExitStack, settings: Settings, database: Database, senders: Mapping[str, Sender]
) -> None:
    """The reminder service, woken by data changes; stopped by `stack`.

    Changes committed in this process wake it through the Database; on PostgreSQL a listener
    also hears those of the other processes (a web process, the CLI)."""
    service = ReminderService(
        database, senders, zone=settings.zone, options=reminder_options(settings)
    )
    await service.start()
    stack.push_async_callback(stop_component, "reminders", service.stop)
    stack.callback(database.on_change(service.wake))
    if database.dialect == "postgresql":
        listener = ChangeListener(database.url, lambda _payload: service.wake())
        await listener.start()
        stack.push_async_callback(stop_component, "change listener", listener.stop)


def reminder_options(config: Settings) -> ReminderOptions:
    """The reminder service's tunables from the EUDESK_* settings."""
    limits = RateLimits(
        platform_limits(
            telegram_per_second=config.telegram_per_second,
            telegram_per_chat_per_second=config.telegram_per_chat_per_second,
            telegram_per_group_per_minute=config.telegram_per_group_per_minute,
            slack_per_channel_per_second=config.slack_per_channel_per_second,
        )
    )
    return ReminderOptions(
        limits=limits,
        max_attempts=config.outbox_max_attempts,
        lease=timedelta(seconds=config.outbox_lease_seconds),
        digest_time=config.digest_time,
        guideline_reminder_days=config.guideline_reminder_days,
        retention_years=config.retention_years,
    )


async def start(
    component: str,
    starting: Awaitable[None],
    expected: tuple[type[Exception], ...],
    settings: Settings,
    *,
    where: str = "",
) -> None:
    """Await a start; an expected failure becomes a StartupError naming the component, and
    one that says a token was rejected (its `rejected_token`, the variable's name) exits with
    TOKEN_REJECTED and names the variable, never its value."""
    try:
        await starting
    except expected as exc:
        reason = redact(describe(exc), settings)
        token = getattr(exc, "rejected_token", None)
        if isinstance(token, str) and token:
            raise StartupError(
                component, f"{token} was rejected: {reason}", exit_status=TOKEN_REJECTED
            ) from exc
        raise StartupError(component, f"{where}: {reason}" if where else reason) from exc


async def stop_transport(transport: Transport, up: dict[str, bool]) -> None:
    up[transport.platform] = False  # /healthz says "down" while it drains
    await stop_component(transport.platform, transport.stop)


async def stop_component(component: str, stopping: Callable[[], Awaitable[None]]) -> None:
    """Stop one component; a failure is logged and the others still stop."""
    try:
        await asyncio.wait_for(stopping(), STOP_TIMEOUT)
    except TimeoutError:
        logger.error("%s did not stop within %.0f s", component, STOP_TIMEOUT)
    except Exception:
        logger.exception("stopping %s failed", component)
    else:
        logger.info("stopped %s", component)


def describe(exc: Exception) -> str:
    """The reason alone: the transports' errors carry it apart from their "platform: " prefix."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) and reason:
        return reason
    return str(exc) or type(exc).__name__


def redact(text: str, settings: Settings) -> str:
    """A message as it may be printed: every configured secret replaced, in case an SDK
    quoted one (a Bot API URL contains the token)."""
    secrets = (
        settings.telegram_token,
        settings.telegram_webhook_secret,
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
    )
    for secret in secrets:
        value = secret.get_secret_value() if secret is not None else ""
        if value:
            text = text.replace(value, "***")
    return text


@contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set `stop` while the service runs; the previous handlers come back."""
    loop = asyncio.get_running_loop()
    installed = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(signum)
        try:
            loop.add_signal_handler(signum, received, signum, stop)
        except (NotImplementedError, RuntimeError, ValueError):
            continue  # not on this platform, or not the main thread: stop_event only
        installed.append((signum, previous))
    try:
        yield
    finally:
        for signum, previous in installed:
            loop.remove_signal_handler(signum)
            if previous is not None:  # None: set outside Python, cannot be restored
                signal.signal(signum, previous)


def received(signum: signal.Signals, stop: asyncio.Event) -> None:
    logger.info("%s received: stopping", signum.name)
    stop.set()
