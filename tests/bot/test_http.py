"""The HTTP server: health, metrics, routing to the transports, body limit, graceful stop."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from eudesk.bot.http import MAX_BODY, HttpServer, SlackEvents, TelegramWebhook, build_http_app
from eudesk.bot.metrics import Metrics
from eudesk.handlers import command_table
from eudesk.handlers.context import HandlerConfig
from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.messages import Incoming
from eudesk.storage.db import Database
from eudesk.storage.models import Platform
from tests.conftest import NOW

TIMEOUT = aiohttp.ClientTimeout(total=10)


class FakeTelegram:
    """Our own webhook seam: records what the server hands over, answers a fixed status."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.calls: list[tuple[bytes, str | None]] = []

    async def handle_webhook(self, body: bytes, secret_header: str | None) -> int:
        self.calls.append((body, secret_header))
        return self.status


class FakeSlack:
    """Our own Slack seam: reads the request as Bolt's adapter would."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self.entered = asyncio.Event()
        self.release: asyncio.Event | None = None  # set: the answer waits for it

    async def handle_http(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.text())
        self.entered.set()
        if self.release is not None:
            await self.release.wait()
        return web.Response(status=200, text="ok")


def app_for(
    database: Database,
    *,
    metrics: Metrics | None = None,
    telegram: TelegramWebhook | None = None,
    slack: SlackEvents | None = None,
    up: Callable[[], dict[str, bool]] = dict,
) -> web.Application:
    return build_http_app(
        database, metrics or Metrics(), telegram=telegram, slack=slack, transports_up=up
    )


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    """The app on a free loopback port, and a client that ignores proxy settings."""
    server = HttpServer(app, "127.0.0.1", 0)
    await server.start()
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as client:
            yield f"http://127.0.0.1:{server.port}", client
    finally:
        await server.stop()


async def test_healthz_is_ok_when_the_database_answers_and_transports_are_up(
    demo_db: Database,
) -> None:
    app = app_for(demo_db, up=lambda: {"telegram": True, "slack": True})
    async with serving(app) as (url, client), client.get(f"{url}/healthz") as response:
        assert response.status == 200
        body = await response.json()
    assert body == {"database": "ok", "transports": {"telegram": "up", "slack": "up"}}


async def test_healthz_is_503_when_a_transport_is_down(demo_db: Database) -> None:
    app = app_for(demo_db, up=lambda: {"telegram": True, "slack": False})
    async with serving(app) as (url, client), client.get(f"{url}/healthz") as response:
        assert response.status == 503
        body = await response.json()
    assert body == {"database": "ok", "transports": {"telegram": "up", "slack": "down"}}


async def test_healthz_is_503_without_leaking_the_database_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = Database.from_url("postgresql://eudesk:pa55-word@127.0.0.1:1/x")
    caplog.set_level(logging.DEBUG)
    try:
        async with (
            serving(app_for(unreachable)) as (url, client),
            client.get(f"{url}/healthz") as response,
        ):
            assert response.status == 503
            text = await response.text()
    finally:
        await unreachable.dispose()
    assert text == '{"database": "unavailable", "transports": {}}'
    assert "pa55-word" not in caplog.text
    assert "127.0.0.1:1" in caplog.text  # the operator's log says which database, sans password


async def test_metrics_count_what_the_dispatcher_answered(demo_db: Database) -> None:
    table = command_table()
    metrics = Metrics(command.name for command in table.commands)
    dispatcher = Dispatcher(
        demo_db, table, HandlerConfig(), clock=lambda: NOW, observe=metrics.observe
    )
    for text in ("/whoami", "/whoami", "/no-such-command", "/deadlines week"):
        await dispatcher.handle(Incoming(Platform.CONSOLE, "demo", "demo", text))

    async with (
        serving(app_for(demo_db, metrics=metrics)) as (url, client),
        client.get(f"{url}/metrics") as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        exposition = await response.text()

    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
    }

    def messages(command: str, outcome: str) -> float:
        labels = {"platform": "console", "command": command, "outcome": outcome}
        return samples[("eudesk_messages_total", tuple(sorted(labels.items())))]

    assert messages("whoami", "ok") == 2
    assert messages("deadlines", "ok") == 1
    assert messages("none", "user_error") == 1  # an unknown command is not a label value
    assert samples[("eudesk_handler_seconds_count", (("platform", "console"),))] == 4
    assert ("eudesk_errors_total", (("platform", "console"),)) not in samples


def test_metrics_keep_label_values_bounded() -> None:
    metrics = Metrics(["deadlines"])
    metrics.observe("telegram", "rm -rf /", "error", 0.002)
    metrics.observe("martian", "deadlines", "exploded", 7.0)
    metrics.observe("slack", "deadlines", "unavailable", 0.5)
    text = metrics.render().decode()
    assert 'eudesk_messages_total{command="none",outcome="error",platform="telegram"} 1.0' in text
    assert 'eudesk_messages_total{command="deadlines",outcome="error",platform="other"} 1.0' in text
    assert 'eudesk_errors_total{platform="telegram"} 1.0' in text
    assert 'eudesk_errors_total{platform="slack"} 1.0' in text
    assert 'eudesk_handler_seconds_bucket{le="+Inf",platform="other"} 1.0' in text
    assert "rm -rf" not in text


async def test_webhook_routes_reach_their_transports(demo_db: Database) -> None:
    telegram, slack = FakeTelegram(status=403), FakeSlack()
    app = app_for(demo_db, telegram=telegram, slack=slack)
    async with serving(app) as (url, client):
        headers = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
        async with client.post(f"{url}/telegram/webhook", data=b"{}", headers=headers) as sent:
            assert sent.status == 403  # the transport's verdict, passed through
        async with client.post(f"{url}/slack/events", data="token=x&command=/eudesk") as sent:
            assert sent.status == 200
            assert await sent.text() == "ok"
    assert telegram.calls == [(b"{}", "wrong")]
    assert slack.bodies == ["token=x&command=/eudesk"]


async def test_webhook_routes_are_absent_when_not_configured(demo_db: Database) -> None:
    async with serving(app_for(demo_db)) as (url, client):
        for path in ("/telegram/webhook", "/slack/events"):
            async with client.post(f"{url}{path}", data=b"{}") as response:
                assert response.status == 404


async def test_bodies_over_one_mebibyte_are_refused(demo_db: Database) -> None:
    telegram, slack = FakeTelegram(), FakeSlack()
    app = app_for(demo_db, telegram=telegram, slack=slack)

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length to refuse up front
        for _ in range(MAX_BODY // 65536 + 1):
            yield b"x" * 65536

    async with serving(app) as (url, client):
        for path in ("/telegram/webhook", "/slack/events"):
            big = io.BytesIO(b"x" * (MAX_BODY + 1))
            async with client.post(f"{url}{path}", data=big) as response:
                assert response.status == 413
            async with client.post(f"{url}{path}", data=chunked()) as response:
                assert response.status == 413
        exact = io.BytesIO(b"x" * MAX_BODY)
        async with client.post(f"{url}/telegram/webhook", data=exact) as response:
            assert response.status == 200
    assert [len(body) for body, _ in telegram.calls] == [MAX_BODY]
    assert slack.bodies == []


async def test_an_unexpected_failure_is_a_logged_500(
    demo_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        async def handle_webhook(self, body: bytes, secret_header: str | None) -> int:
            raise RuntimeError("bug in the transport")

    async with (
        serving(app_for(demo_db, telegram=Broken())) as (url, client),
        client.post(f"{url}/telegram/webhook", data=b"{}") as response,
    ):
        assert response.status == 500
        assert await response.text() == "internal error"
    assert "bug in the transport" in caplog.text  # with its traceback, once


async def test_stop_waits_for_requests_in_flight(demo_db: Database) -> None:
    slack = FakeSlack()
    slack.release = asyncio.Event()
    server = HttpServer(app_for(demo_db, slack=slack), "127.0.0.1", 0)
    await server.start()
    async with aiohttp.ClientSession(timeout=TIMEOUT) as client:

        async def post() -> tuple[int, str]:
            async with client.post(f"http://127.0.0.1:{server.port}/slack/events") as response:
                return response.status, await response.text()

        request = asyncio.create_task(post())
        await asyncio.wait_for(slack.entered.wait(), 10)
        stopping = asyncio.create_task(server.stop())
        await asyncio.sleep(0.05)  # let stop() close the listener and start waiting
        assert not stopping.done()
        slack.release.set()
        assert await asyncio.wait_for(request, 10) == (200, "ok")
        await asyncio.wait_for(stopping, 10)
