"""`eudesk run` as a service: start in order, stop in reverse, one clear line when a part fails."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from eudesk.bot.app import ServiceRole, build_dispatcher
from eudesk.bot.lifecycle import (
    CANNOT_START,
    TOKEN_REJECTED,
    ChatTransports,
    StartupError,
    TransportFactory,
    build_transports,
    run_service,
)
from eudesk.bot.settings import Settings
from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.messages import Reply
from eudesk.storage.db import Database
from eudesk.storage.migrate import upgrade
from eudesk.storage.models import Locale, OutboxEntry, Platform, SubscriptionTopic
from eudesk.storage.repositories import Repositories
from tests.bot.fake_slack import TOKEN as SLACK_TOKEN
from tests.bot.fake_slack import FakeSlack
from tests.bot.fake_telegram import FakeBotApi, message_update
from tests.bot.slack_signing import SIGNING_SECRET, signed_headers, slash_command
from tests.cli import run_cli
from tests.databases import throwaway_database

TOKEN = "123456:SECRET-TOKEN-lifecycle"
NO_PLATFORMS: dict[str, Any] = {
    "telegram_token": None,
    "telegram_webhook_url": None,
    "slack_bot_token": None,
    "slack_signing_secret": None,
    "slack_app_token": None,
}


class CannotStart(Exception):
    """What our fake transports raise for "cannot start", as the real ones raise their own."""


class FakeTransport:
    """Our own seam: records start and stop in a shared log; may refuse to start."""

    def __init__(self, platform: str, log: list[str], fail: Exception | None = None) -> None:
        self.platform = platform
        self.log = log
        self.fail = fail
        self.webhooks: list[bytes] = []
        self.sent: list[tuple[str, str]] = []

    async def start(self) -> None:
        self.log.append(f"start {self.platform}")
        if self.fail is not None:
            raise self.fail

    async def stop(self) -> None:
        self.log.append(f"stop {self.platform}")

    async def send(self, chat_id: str, reply: Reply) -> str:
        self.sent.append((chat_id, reply.plain()))
        return str(len(self.sent))

    async def handle_webhook(self, body: bytes, secret_header: str | None) -> int:
        self.webhooks.append(body)
        return 200


def fakes(*transports: FakeTransport, webhook: FakeTransport | None = None) -> TransportFactory:
    def build(_settings: Settings, _dispatcher: Dispatcher, _receive: bool) -> ChatTransports:
        return ChatTransports(
            in_order=list(transports), telegram_webhook=webhook, start_errors=(CannotStart,)
        )

    return build


def service_settings(port: int = 0, **overrides: Any) -> Settings:
    """Explicit settings; port 0 picks a free port."""
    return Settings(
        _env_file=None, http_host="127.0.0.1", http_port=port, **{**NO_PLATFORMS, **overrides}
    )


class Running:
    """run_service in a task, and the HTTP port it reported once up."""

    def __init__(self, log: list[str] | None = None) -> None:
        self.ready = asyncio.Event()
        self.port = 0
        self.log = log  # given: "http server up" goes in the start/stop log

    def on_ready(self, port: int) -> None:
        if self.log is not None:
            self.log.append("http server up")
        self.port = port
        self.ready.set()

    async def until_ready(self, task: asyncio.Task[None]) -> None:
        """Returns once the service is up; raises what run_service raised if it ended first."""
        waiter = asyncio.create_task(self.ready.wait())
        done, _ = await asyncio.wait({task, waiter}, timeout=10, return_when="FIRST_COMPLETED")
        waiter.cancel()
        if task in done:
            task.result()
            pytest.fail("run_service returned before it was ready")
        assert done, "run_service did not become ready within 10 s"


async def test_starts_in_order_and_stops_in_reverse(demo_db: Database) -> None:
    log: list[str] = []
    telegram, slack = FakeTransport("telegram", log), FakeTransport("slack", log)
    running = Running(log)
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_service(
            service_settings(),
            demo_db,
            role=ServiceRole.WEB,
            stop_event=stop,
            transports=fakes(telegram, slack, webhook=telegram),
            on_ready=running.on_ready,
        )
    )
    await running.until_ready(task)
    url = f"http://127.0.0.1:{running.port}"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:
        async with client.get(f"{url}/healthz") as response:
            assert response.status == 200
            assert await response.json() == {
                "database": "ok",
                "transports": {"telegram": "up", "slack": "up"},
            }
        async with client.post(f"{url}/telegram/webhook", data=b"{}") as response:
            assert response.status == 200
        async with client.post(f"{url}/slack/events", data=b"{}") as response:
            assert response.status == 404  # Slack is not in HTTP mode here
    stop.set()
    await asyncio.wait_for(task, 10)
    assert log == [
        "start telegram",
        "start slack",
        "http server up",
        "stop slack",
        "stop telegram",
    ]
    assert telegram.webhooks == [b"{}"]


async def test_a_transport_that_cannot_start_stops_what_started(demo_db: Database) -> None:
    log: list[str] = []
    telegram = FakeTransport("telegram", log)
    slack = FakeTransport("slack", log, fail=CannotStart("invalid_auth"))
    running = Running()
    with pytest.raises(StartupError) as caught:
        await asyncio.wait_for(
            run_service(
                service_settings(),
                demo_db,
                role=ServiceRole.WEB,
                stop_event=asyncio.Event(),
                transports=fakes(telegram, slack),
                on_ready=running.on_ready,
            ),
            10,
        )
    assert caught.value.component == "slack"
    assert str(caught.value) == "cannot start slack: invalid_auth"
    assert log == ["start telegram", "start slack", "stop telegram"]
    assert not running.ready.is_set()


async def test_a_secret_quoted_by_a_transport_is_not_repeated(demo_db: Database) -> None:
    log: list[str] = []
    telegram = FakeTransport("telegram", log, fail=CannotStart(f"GET /bot{TOKEN}/getMe: 401"))
    with pytest.raises(StartupError) as caught:
        await asyncio.wait_for(
            run_service(
                service_settings(telegram_token=TOKEN),
                demo_db,
                role=ServiceRole.WEB,
                stop_event=asyncio.Event(),
                transports=fakes(telegram),
            ),
            10,
        )
    assert TOKEN not in str(caught.value)
    assert str(caught.value) == "cannot start telegram: GET /bot***/getMe: 401"


async def test_a_bug_at_start_keeps_its_traceback_and_still_stops_the_rest(
    demo_db: Database,
) -> None:
    log: list[str] = []
    telegram = FakeTransport("telegram", log)
    slack = FakeTransport("slack", log, fail=RuntimeError("bug"))
    with pytest.raises(RuntimeError, match="bug"):
        await asyncio.wait_for(
            run_service(
                service_settings(),
                demo_db,
                role=ServiceRole.WEB,
                stop_event=asyncio.Event(),
                transports=fakes(telegram, slack),
            ),
            10,
        )
    assert log == ["start telegram", "start slack", "stop telegram"]


@contextmanager
def port_taken() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


async def test_a_busy_http_port_is_a_startup_error(demo_db: Database) -> None:
    log: list[str] = []
    with port_taken() as port, pytest.raises(StartupError) as caught:
        await asyncio.wait_for(
            run_service(
                service_settings(port),
                demo_db,
                role=ServiceRole.WEB,
                stop_event=asyncio.Event(),
                transports=fakes(FakeTransport("telegram", log)),
            ),
            10,
        )
    assert caught.value.component == "http server"
    assert str(caught.value).startswith(f"cannot start http server: 127.0.0.1:{port}: ")
    assert log == ["start telegram", "stop telegram"]


async def test_sigterm_stops_the_service_in_reverse_order(demo_db: Database) -> None:
    log: list[str] = []
    before = signal.getsignal(signal.SIGTERM)
    running = Running()
    task = asyncio.create_task(
        run_service(
            service_settings(),
            demo_db,
            role=ServiceRole.WEB,
            transports=fakes(FakeTransport("telegram", log), FakeTransport("slack", log)),
            on_ready=running.on_ready,
        )
    )
    await running.until_ready(task)
    # Only signal ourselves when the service's handler is in place (never the default: exit).
    assert signal.getsignal(signal.SIGTERM) not in (before, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(task, 10)
    assert log == ["start telegram", "start slack", "stop slack", "stop telegram"]
    assert signal.getsignal(signal.SIGTERM) == before


def free_port() -> int:
    """A loopback port where nothing listens (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_eudesk_run_names_the_transport_that_cannot_start(tmp_path: Path) -> None:
    result = await asyncio.to_thread(
        run_cli,
        "run",
        database_url=await migrated_sqlite_url(tmp_path),
        cwd=tmp_path,
        extra_env={
            **no_proxy_env(),
            "EUDESK_TELEGRAM_TOKEN": TOKEN,
            "EUDESK_TELEGRAM_API_URL": f"http://127.0.0.1:{free_port()}/bot",
        },
    )
    assert result.returncode == CANNOT_START, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("eudesk: cannot start telegram: "), result.stderr
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stderr + result.stdout
    assert TOKEN.split(":")[1] not in result.stderr + result.stdout


def test_build_transports_picks_what_is_configured(demo_db: Database) -> None:
    dispatcher = build_dispatcher(service_settings(), demo_db)
    assert build_transports(service_settings(), dispatcher).in_order == []
    settings = service_settings(
        telegram_token=TOKEN,
        telegram_webhook_url="https://eudesk.example/telegram/webhook",
        telegram_webhook_secret="s3cret",
        slack_bot_token=SLACK_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_app_token="xapp-1-socket",
    )
    chat = build_transports(settings, dispatcher)
    assert [t.platform for t in chat.in_order] == ["telegram", "slack"]
    assert id(chat.telegram_webhook) == id(chat.in_order[0])  # the same transport serves it
    assert chat.slack_events is None  # Socket Mode: no /slack/events route
    assert len(chat.start_errors) == 2


async def test_both_platforms_in_one_process(
    demo_db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The real transports behind one HTTP server; a reply in flight at stop still goes out."""
    caplog.set_level(logging.DEBUG)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)  # slack-sdk ignores NO_PROXY
    bot_api, slack_api = FakeBotApi(TOKEN), FakeSlack()
    await bot_api.start()
    await slack_api.start()
    settings = service_settings(
        telegram_token=TOKEN,
        telegram_api_url=bot_api.base_url,
        telegram_webhook_url="https://eudesk.example/telegram/webhook",
        telegram_webhook_secret="s3cret",
        slack_bot_token=SLACK_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.api_url,
    )
    running, stop = Running(), asyncio.Event()
    task = asyncio.create_task(
        run_service(
            settings,
            demo_db,
            role=ServiceRole.WEB,
            stop_event=stop,
            on_ready=running.on_ready,
        )
    )
    try:
        await running.until_ready(task)
        url = f"http://127.0.0.1:{running.port}"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:
            async with client.get(f"{url}/healthz") as response:
                assert await response.json() == {
                    "database": "ok",
                    "transports": {"telegram": "up", "slack": "up"},
                }
            update = json.dumps({"update_id": 1, **message_update("/help", 4242)})
            right = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
            async with client.post(f"{url}/telegram/webhook", data=update) as response:
                assert response.status == 403  # no secret
            webhook = client.post(f"{url}/telegram/webhook", data=update, headers=right)
            async with webhook as response:
                assert response.status == 200
            await bot_api.wait_calls("sendMessage")
            body, form = slash_command(
                "help",
                team="T0TEST",
                user="U0ANA",
                channel="D0ANA",
                response_url=slack_api.response_url(),
            )
            headers = {**form, **signed_headers(body)}
            async with client.post(f"{url}/slack/events", data=body, headers=headers) as sent:
                assert sent.status == 200  # acknowledged; the answer follows
            async with client.get(f"{url}/metrics") as response:
                exposition = await response.text()
        assert 'eudesk_messages_total{command="help",outcome="ok",platform="telegram"} 1.0' in (
            exposition
        )
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await bot_api.close()
        await slack_api.stop()
    # Answered after the ack, in a task of the transport: posted by the time the service ended.
    [posted] = slack_api.called("chat.postMessage")
    assert posted["channel"] == "D0ANA"
    for secret in (TOKEN, TOKEN.split(":")[1], SLACK_TOKEN, SIGNING_SECRET):
        assert secret not in caplog.text
    # PTB's DEBUG line for setWebhook quotes secret_token; at INFO (the default) it is absent.
    assert not [r for r in caplog.records if r.levelno >= logging.INFO and "s3cret" in r.message]


async def test_with_reminders_on_the_service_plans_and_stops_in_order(
    tmp_path: Path, backend: str
) -> None:
    """The planner runs once before the HTTP server is up; everything stops in reverse."""
    today = datetime.now(UTC).date()
    async with throwaway_database(backend, tmp_path, demo_today=today) as database:
        async with database.transaction() as session:
            await Repositories(session).subscriptions.subscribe(
                platform=Platform.TELEGRAM, chat_id="4242", topic=SubscriptionTopic.CALLS,
                locale=Locale.EN,
            )  # fmt: skip
        log: list[str] = []
        telegram = FakeTransport("telegram", log)
        running = Running(log)
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_service(
                service_settings(),
                database,
                stop_event=stop,
                transports=fakes(telegram),
                on_ready=running.on_ready,
                role=ServiceRole.ALL,
            )
        )
        await running.until_ready(task)
        async with database.transaction() as session:
            planned = await session.scalar(select(func.count()).select_from(OutboxEntry))
        stop.set()
        await asyncio.wait_for(task, 30)
        assert planned  # the calls ahead were planned for chat 4242 before start-up finished
        assert log == ["start telegram", "http server up", "stop telegram"]


def no_proxy_env() -> dict[str, str]:
    names = {name: "" for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")}
    return names | {name.lower(): "" for name in names}


async def migrated_sqlite_url(folder: Path) -> str:
    url = f"sqlite:///{folder}/eudesk.db"
    database = Database.from_url(url)
    try:
        await upgrade(database)
    finally:
        await database.dispose()
    return url


@pytest.mark.parametrize("platform", ["telegram", "slack"])
async def test_eudesk_run_with_a_rejected_token_exits_with_the_status_the_units_name(
    tmp_path: Path, platform: str
) -> None:
    """One line naming the variable (never its value); the status systemd will not restart on."""
    url = await migrated_sqlite_url(tmp_path)
    rejected = {"telegram": "999:REJECTED-telegram-token", "slack": "xoxb-rejected-slack-token"}
    if platform == "telegram":
        fake_bot = FakeBotApi("123:ACCEPTED-token")
        await fake_bot.start()
        close = fake_bot.close
        env = {"EUDESK_TELEGRAM_TOKEN": rejected[platform],
               "EUDESK_TELEGRAM_API_URL": fake_bot.base_url}  # fmt: skip
        variable = "EUDESK_TELEGRAM_TOKEN"
    else:
        fake_slack = FakeSlack()
        await fake_slack.start()
        close = fake_slack.stop
        env = {"EUDESK_SLACK_BOT_TOKEN": rejected[platform],
               "EUDESK_SLACK_SIGNING_SECRET": SIGNING_SECRET,
               "EUDESK_SLACK_API_URL": fake_slack.api_url}  # fmt: skip
        variable = "EUDESK_SLACK_BOT_TOKEN"
    try:
        result = await asyncio.to_thread(
            run_cli, "run", database_url=url, cwd=tmp_path,
            extra_env={**no_proxy_env(), **env, "EUDESK_HTTP_PORT": "0"},
        )  # fmt: skip
    finally:
        await close()
    assert result.returncode == TOKEN_REJECTED, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"eudesk: cannot start {platform}: {variable} was rejected"), last
    assert rejected[platform] not in result.stderr + result.stdout
    assert rejected[platform].split(":")[-1] not in result.stderr + result.stdout
    assert_units_prevent_restart_on(TOKEN_REJECTED)


def assert_units_prevent_restart_on(status: int) -> None:
    units = sorted((Path(__file__).resolve().parents[2] / "deploy").glob("eudesk-*.service"))
    for unit in units:
        if "run --only" in unit.read_text():
            assert f"RestartPreventExitStatus=2 {status}" in unit.read_text(), unit.name


async def test_a_rejected_slack_app_token_names_it(demo_db: Database) -> None:
    """Socket Mode: the bot token is fine, apps.connections.open refuses the app token."""
    fake = FakeSlack()
    await fake.start()
    settings = service_settings(
        slack_bot_token=SLACK_TOKEN, slack_app_token="xapp-1-rejected-app-token",
        slack_api_url=fake.api_url,
    )  # fmt: skip
    try:
        with pytest.raises(StartupError) as caught:
            await asyncio.wait_for(
                run_service(settings, demo_db, role=ServiceRole.WEB, stop_event=asyncio.Event()),
                30,
            )
    finally:
        await fake.stop()
    assert caught.value.exit_status == TOKEN_REJECTED
    assert str(caught.value).startswith("cannot start slack: EUDESK_SLACK_APP_TOKEN was rejected")
    assert "xapp-1-rejected-app-token" not in str(caught.value)
    assert fake.called("apps.connections.open")


async def test_an_unreachable_api_is_not_a_rejected_token(demo_db: Database) -> None:
    """Out of reach may pass: it keeps the plain status, so systemd tries again."""
    settings = service_settings(
        telegram_token=TOKEN, telegram_api_url=f"http://127.0.0.1:{free_port()}/bot"
    )
    with pytest.raises(StartupError) as caught:
        await asyncio.wait_for(
            run_service(settings, demo_db, role=ServiceRole.WEB, stop_event=asyncio.Event()), 30
        )
    assert caught.value.exit_status == CANNOT_START
