"""The one HTTP server: Telegram webhook, Slack events, /healthz and /metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web

from eudesk.bot.metrics import Metrics
from eudesk.storage.db import Database
from eudesk.storage.errors import DatabaseUnavailable

logger = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Telegram updates and Slack payloads are far smaller
PING_TIMEOUT = 5.0  # a health check must answer even when the database hangs
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FeedSource = Callable[[str], Awaitable[bytes | None]]  # token -> .ics, or None if unknown
ICS_SUFFIX = ".ics"


class TelegramWebhook(Protocol):
    """What the Telegram transport offers in webhook mode."""

    async def handle_webhook(self, body: bytes, secret_header: str | None) -> int: ...


class SlackEvents(Protocol):
    """What the Slack transport offers in HTTP mode."""

    async def handle_http(self, request: web.Request) -> web.Response: ...


@web.middleware
async def error_boundary(request: web.Request, handler: Handler) -> web.StreamResponse:
    """An unexpected failure is logged once with its traceback; the caller gets a bare 500."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        # A feed's path holds its secret token: logged without it.
        path = "/ical/***" if request.path.startswith("/ical/") else request.path
        logger.exception("%s %s failed", request.method, path)
        return web.Response(status=500, text="internal error")


def build_http_app(
    database: Database,
    metrics: Metrics,
    *,
    telegram: TelegramWebhook | None = None,
    slack: SlackEvents | None = None,
    feeds: FeedSource | None = None,
    transports_up: Callable[[], dict[str, bool]],
) -> web.Application:
    """Routes for what is configured: a webhook route exists only in its transport's mode."""

    async def healthz(_request: web.Request) -> web.Response:
        state = await database_state(database)
        transports = transports_up()
        healthy = state == "ok" and all(transports.values())
        body = {
            "database": state,
            "transports": {name: "up" if up else "down" for name, up in transports.items()},
        }
        return web.json_response(body, status=200 if healthy else 503)

    async def prometheus(_request: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": metrics.content_type})

    app = web.Application(client_max_size=MAX_BODY, middlewares=[error_boundary])
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", prometheus)

    if telegram is not None:
        webhook = telegram

        async def telegram_webhook(request: web.Request) -> web.Response:
            body = await request.read()  # over client_max_size: 413
            status = await webhook.handle_webhook(body, request.headers.get(TELEGRAM_SECRET_HEADER))
            return web.Response(status=status)

        app.router.add_post("/telegram/webhook", telegram_webhook)

    if slack is not None:
        events = slack

        async def slack_events(request: web.Request) -> web.Response:
            # Read here so an oversized body is refused (413) before Bolt sees it; aiohttp keeps
            # the bytes, so the transport can read the request again.
            await request.read()
            return await events.handle_http(request)

        app.router.add_post("/slack/events", slack_events)

    if feeds is not None:
        source = feeds

        async def calendar_feed(request: web.Request) -> web.Response:
            name = request.match_info["name"]
            if not name.endswith(ICS_SUFFIX):
                raise web.HTTPNotFound()
            try:
                content = await source(name.removesuffix(ICS_SUFFIX))
            except DatabaseUnavailable as exc:
                logger.warning("calendar feed: %s", exc)
                return web.Response(status=503, text="try again later",
                                    headers={"Retry-After": "60"})  # fmt: skip
            if content is None:
                raise web.HTTPNotFound()
            return web.Response(
                body=content,
                headers={
                    "Content-Type": "text/calendar; charset=utf-8",
                    "Content-Disposition": 'inline; filename="eudesk.ics"',
                    # Calendar apps poll; five minutes old is fresh enough for deadlines.
                    "Cache-Control": "private, max-age=300",
                },
            )

        app.router.add_get("/ical/{name}", calendar_feed)
    return app


async def database_state(database: Database) -> str:
    """One word for /healthz: never the URL or the reason, which may name the host."""
    try:
        await asyncio.wait_for(database.ping(), PING_TIMEOUT)
    except DatabaseUnavailable as exc:
        logger.warning("health check: %s", exc)  # the URL in it has no password
        return "unavailable"
    except TimeoutError:
        logger.warning("health check: the database did not answer in %.0f s", PING_TIMEOUT)
        return "unavailable"
    except Exception:
        logger.exception("health check: the database ping failed")
        return "error"
    return "ok"


class HttpServer:
    """An aiohttp application served on one address; stop() lets in-flight requests finish."""

    def __init__(
        self, app: web.Application, host: str, port: int, *, shutdown_timeout: float = 30.0
    ) -> None:
        self.app = app
        self.host = host
        self.port = port  # 0 picks a free port; start() puts the bound one here
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)

    async def start(self) -> None:
        await self._runner.setup()
        try:
            site = web.TCPSite(self._runner, self.host, self.port)
            await site.start()
        except BaseException:
            await self._runner.cleanup()
            raise
        address = self._runner.addresses[0]
        self.port = int(address[1])
        logger.info("http server listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening, wait for requests being answered, then close."""
        await self._runner.cleanup()
