"""`eudesk run --only worker|web`: a worker sends the outbox and receives nothing; web, reverse."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from eudesk.bot.app import ServiceRole, build_dispatcher
from eudesk.bot.lifecycle import ChatTransports, TransportFactory, build_transports, run_service
from eudesk.bot.settings import Settings
from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.messages import Incoming, Reply
from eudesk.schedules.planner import Planner, PlanReport
from eudesk.storage.db import Database
from eudesk.storage.models import (
    Deadline,
    DeadlineStatus,
    Locale,
    OutboxEntry,
    OutboxState,
    Platform,
    Project,
    SubscriptionTopic,
)
from eudesk.storage.repositories import Repositories
from tests.bot.fake_slack import TOKEN as SLACK_TOKEN
from tests.bot.fake_slack import FakeSlack
from tests.bot.fake_telegram import FakeBotApi, message_update
from tests.bot.slack_signing import SIGNING_SECRET
from tests.cli import run_cli
from tests.databases import throwaway_database

TOKEN = "123456:SECRET-TOKEN-roles"
TELEGRAM_CHAT = "4242"
SLACK_CHANNEL = "C0ROLES"
STRANGER = 777
WAIT = 30.0  # seconds: only keeps a broken test from hanging
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
NO_PLATFORMS: dict[str, Any] = {
    "telegram_token": None,
    "telegram_webhook_url": None,
    "slack_bot_token": None,
    "slack_signing_secret": None,
    "slack_app_token": None,
}


class CountingBotApi(FakeBotApi):
    """The loopback Bot API, counting getUpdates too (the fake leaves polls out of its record)."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.polls = 0

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        self.polls += 1
        return await super()._api_getUpdates(params)


def role_settings(**overrides: Any) -> Settings:
    """Explicit settings: any free HTTP port, limits high enough that sends do not queue."""
    return Settings(
        _env_file=None,
        http_host="127.0.0.1",
        http_port=0,
        telegram_per_chat_per_second=50,
        slack_per_channel_per_second=50,
        **{**NO_PLATFORMS, **overrides},
    )


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXIES:  # slack-sdk ignores NO_PROXY; the fakes are on loopback
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def bot_api() -> AsyncIterator[CountingBotApi]:
    api = CountingBotApi(TOKEN)
    await api.start()
    yield api
    await api.close()


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlack]:
    api = FakeSlack()
    await api.start()
    yield api
    await api.stop()


async def add_due_rows(database: Database, platform: Platform, chat: str, count: int) -> None:
    """Notices due a minute ago, each with a title of its own (cancellation notices: the
    planner leaves them alone, unlike reminders for items it does not know)."""
    due = datetime.now(UTC) - timedelta(minutes=1)
    rows = [
        OutboxEntry(
            dedupe_key=f"roles:{platform.value}:{chat}:{n}",
            platform=platform,
            chat_id=chat,
            kind="cancellation",
            payload=json.dumps({"item_type": "deadline", "title": f"roles {chat} {n}"}),
            due_at=due,
        )
        for n in range(count)
    ]
    async with database.transaction() as session:
        session.add_all(rows)


async def count_in(database: Database, state: OutboxState) -> int:
    async with database.transaction() as session:
        query = select(func.count()).select_from(OutboxEntry).where(OutboxEntry.state == state)
        return int(await session.scalar(query) or 0)


async def until(condition: Callable[[], Awaitable[bool]]) -> None:
    """Wait for a condition the service brings about (bounded, so a bug fails, not hangs)."""

    async def poll() -> None:
        while not await condition():  # noqa: ASYNC110 - the database holds the state, not an Event
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), WAIT)


@asynccontextmanager
async def running(
    settings: Settings,
    database: Database,
    role: ServiceRole,
    transports: TransportFactory = build_transports,
) -> AsyncIterator[str]:
    """run_service in a task; yields its base URL once up, stops it afterwards."""
    ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()
    service = run_service(
        settings, database, role=role, stop_event=stop, transports=transports,
        on_ready=ready.set_result,
    )  # fmt: skip
    task = asyncio.create_task(service)
    try:
        either: set[asyncio.Future[Any]] = {task, ready}
        done, _ = await asyncio.wait(either, timeout=WAIT, return_when="FIRST_COMPLETED")
        if task in done:
            task.result()
            pytest.fail("run_service ended before it was ready")
        assert done, "run_service was not ready in time"
        yield f"http://127.0.0.1:{ready.result()}"
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)


async def status_of(client: aiohttp.ClientSession, method: str, url: str) -> int:
    async with client.request(method, url, data=b"{}") as response:
        return response.status


@pytest.mark.parametrize("receiving", ["polling and socket mode", "webhooks"])
async def test_a_worker_sends_the_outbox_and_receives_nothing(
    tmp_path: Path,
    backend: str,
    no_proxy: None,
    bot_api: CountingBotApi,
    slack_api: FakeSlack,
    receiving: str,
) -> None:
    webhooks = receiving == "webhooks"
    settings = role_settings(
        telegram_token=TOKEN,
        telegram_api_url=bot_api.base_url,
        telegram_webhook_url="https://eudesk.example/telegram/webhook" if webhooks else None,
        telegram_webhook_secret="s3cret" if webhooks else None,
        slack_bot_token=SLACK_TOKEN,
        slack_signing_secret=SIGNING_SECRET if webhooks else None,
        slack_app_token=None if webhooks else "xapp-1-socket-mode",
        slack_api_url=slack_api.api_url,
    )
    async with throwaway_database(backend, tmp_path) as database:
        await add_due_rows(database, Platform.TELEGRAM, TELEGRAM_CHAT, 3)
        await add_due_rows(database, Platform.SLACK, SLACK_CHANNEL, 2)
        async with running(settings, database, ServiceRole.WORKER) as url:

            async def all_sent() -> bool:
                return await count_in(database, OutboxState.SENT) == 5

            await until(all_sent)
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:
                async with client.get(f"{url}/healthz") as response:
                    assert response.status == 200
                    assert (await response.json())["transports"] == {
                        "telegram": "up",
                        "slack": "up",
                    }
                assert await status_of(client, "GET", f"{url}/metrics") == 200
                # The webhook routes belong to the web process, even when configured.
                assert await status_of(client, "POST", f"{url}/telegram/webhook") == 404
                assert await status_of(client, "POST", f"{url}/slack/events") == 404
    sent = sorted(call.params["text"] for call in bot_api.of("sendMessage"))
    assert len(sent) == 3
    assert all(f"roles {TELEGRAM_CHAT} " in text for text in sent)
    assert {str(call.params["chat_id"]) for call in bot_api.of("sendMessage")} == {TELEGRAM_CHAT}
    assert [p["channel"] for p in slack_api.called("chat.postMessage")] == [SLACK_CHANNEL] * 2
    assert bot_api.of("getMe")  # the token was checked
    assert bot_api.polls == 0
    for method in ("setWebhook", "deleteWebhook", "setMyCommands"):
        assert not bot_api.of(method), method
    assert slack_api.called("auth.test")
    assert not slack_api.called("apps.connections.open")  # no Socket Mode


async def test_web_answers_messages_and_sends_no_outbox_rows(
    demo_db: Database, bot_api: CountingBotApi
) -> None:
    await add_due_rows(demo_db, Platform.TELEGRAM, TELEGRAM_CHAT, 2)
    settings = role_settings(telegram_token=TOKEN, telegram_api_url=bot_api.base_url)
    async with running(settings, demo_db, ServiceRole.WEB) as url:
        await bot_api.inject(message_update("/start", STRANGER))
        [welcome] = await bot_api.wait_calls("sendMessage")
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:
            assert await status_of(client, "GET", f"{url}/healthz") == 200
    assert welcome.params["chat_id"] == STRANGER
    assert bot_api.polls > 0
    assert bot_api.of("setMyCommands")
    assert await count_in(demo_db, OutboxState.PENDING) == 2
    assert len(bot_api.of("sendMessage")) == 1  # the answer, and no reminder


@pytest.mark.parametrize("only", ["worker", "web"])
def test_only_without_a_chat_platform_is_one_line_and_exit_2(tmp_path: Path, only: str) -> None:
    result = run_cli("run", "--only", only, database_url=f"sqlite:///{tmp_path}/e.db", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"eudesk: --only {only} needs a chat platform"), line
    assert not (tmp_path / "e.db").exists()  # refused before touching the database


def test_run_help_explains_the_roles(tmp_path: Path) -> None:
    result = run_cli("run", "--help", database_url=f"sqlite:///{tmp_path}/e.db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "--only web: receive and answer messages" in text
    assert "--only worker: plan reminders and send the outbox" in text
    assert "EUDESK_HTTP_PORT=0" in text


def cli_env(**variables: str) -> dict[str, str]:
    """The environment `run_cli` gives the CLI, for a process this test runs itself."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EUDESK_")}
    env = {k: v for k, v in env.items() if k not in PROXIES}
    env["COLUMNS"] = "200"
    env.update({f"EUDESK_{name.upper()}": value for name, value in variables.items()})
    return env


async def test_two_worker_processes_on_one_machine(tmp_path: Path, bot_api: CountingBotApi) -> None:
    """The CLI contract the crash test relies on: port 0 picks a port and prints it; SIGTERM
    stops a worker with exit 0; neither worker polls."""
    database_url = f"sqlite:///{tmp_path}/eudesk.db"
    upgraded = run_cli("db", "upgrade", database_url=database_url, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    env = cli_env(
        database_url=database_url,
        telegram_token=TOKEN,
        telegram_api_url=bot_api.base_url,
        http_port="0",
    )
    workers: list[asyncio.subprocess.Process] = []
    ports: list[int] = []
    try:
        for _ in range(2):
            worker = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "eudesk", "run", "--only", "worker",
                cwd=tmp_path, env=env, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            workers.append(worker)
            ports.append(await asyncio.wait_for(announced_port(worker), WAIT))
        assert len(set(ports)) == 2
        assert 0 not in ports
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:
            for port in ports:
                assert await status_of(client, "GET", f"http://127.0.0.1:{port}/healthz") == 200
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(worker.wait(), WAIT) == 0
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
    assert bot_api.polls == 0
    assert not bot_api.of("setMyCommands")


async def announced_port(worker: asyncio.subprocess.Process) -> int:
    """The port from the worker's "HTTP on port N" line on stderr."""
    assert worker.stderr is not None
    seen = []
    while line := (await worker.stderr.readline()).decode():
        seen.append(line)
        found = re.search(r"HTTP on port (\d+)", line)
        if found:
            return int(found.group(1))
    pytest.fail("the worker ended before it was ready:\n" + "".join(seen))


# --- a data change plans at once --------------------------------------------------------------


class RecordingTransport:
    """Our own seam: a started transport that records what it sends; and the factory that
    hands it to run_service, keeping the dispatcher run_service built."""

    platform = "telegram"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.dispatcher: Dispatcher | None = None

    def __call__(
        self, _settings: Settings, dispatcher: Dispatcher, _receive: bool
    ) -> ChatTransports:
        self.dispatcher = dispatcher
        return ChatTransports(in_order=[self])

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def send(self, chat_id: str, reply: Reply) -> str:
        self.sent.append((chat_id, reply.plain()))
        return str(len(self.sent))


class PlanRuns:
    """Counts the planner's runs (the real planner, observed), and waits for them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = 0
        self.finished = 0
        self._changed = asyncio.Event()
        original = Planner.plan_once

        async def counted(planner: Planner) -> PlanReport:
            self.started += 1
            try:
                return await original(planner)
            finally:
                self.finished += 1
                self._changed.set()

        monkeypatch.setattr(Planner, "plan_once", counted)

    async def until(self, condition: Callable[[], bool]) -> None:
        async def reached() -> None:
            while not condition():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(reached(), WAIT)


async def far_deadline(database: Database) -> tuple[int, str]:
    """An open demo deadline of a project, beyond every lead time (nothing planned for it),
    and its project's code, to which chat 4242 subscribes."""
    async with database.transaction() as session:
        row = (
            await session.execute(
                select(Deadline.id, Project.code)
                .join(Project, Project.id == Deadline.project_id)
                .where(
                    Deadline.status == DeadlineStatus.OPEN,
                    Deadline.due_at > datetime.now(UTC) + timedelta(days=40),
                )
                .order_by(Deadline.due_at)
                .limit(1)
            )
        ).one()
        await Repositories(session).subscriptions.subscribe(
            platform=Platform.TELEGRAM, chat_id=TELEGRAM_CHAT,
            topic=SubscriptionTopic.PROJECT_DEADLINES, topic_key=row[1], locale=Locale.EN,
        )  # fmt: skip
    return int(row[0]), str(row[1])


async def reminders_for(database: Database, deadline_id: int) -> list[int]:
    """The versions of the deadline that outbox rows were planned for."""
    async with database.transaction() as session:
        rows = await session.scalars(
            select(OutboxEntry.item_version).where(
                OutboxEntry.item_type == "deadline", OutboxEntry.item_id == deadline_id
            )
        )
        return [int(version) for version in rows if version is not None]


@pytest.mark.parametrize("where", ["same process", "another process"])
async def test_a_moved_deadline_is_planned_at_once_not_at_the_next_tick(
    tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """/deadline_move into the lead window: the running planner plans it without its tick
    (made an hour long here). "another process": the change comes through a Database of its
    own, as from a web process, so only PostgreSQL's NOTIFY can wake the worker."""
    if where == "another process" and backend != "postgresql":
        pytest.skip("processes share changes through PostgreSQL's LISTEN/NOTIFY")
    monkeypatch.setattr("eudesk.schedules.reminders.PLAN_EVERY_SECONDS", 3600)
    runs = PlanRuns(monkeypatch)
    transport = RecordingTransport()
    settings = role_settings()
    today = datetime.now(UTC).date()
    async with throwaway_database(backend, tmp_path, demo_today=today) as database:
        deadline_id, _project = await far_deadline(database)
        role = ServiceRole.ALL if where == "same process" else ServiceRole.WORKER
        async with running(settings, database, role, transports=transport):
            # Start-up plans, then the tick's first run follows at once; a wake that comes
            # while a run is going is dropped (the run may have read the data already), so
            # move only once both are over.
            await runs.until(lambda: runs.finished >= 2 and runs.started == runs.finished)
            assert await reminders_for(database, deadline_id) == []
            web = Database.from_url(database.url) if where == "another process" else database
            try:
                dispatcher = build_dispatcher(settings, web)
                if where == "same process":
                    assert transport.dispatcher is not None
                    dispatcher = transport.dispatcher
                mark = runs.finished
                new_due = (datetime.now(UTC) + timedelta(days=5)).strftime("%d.%m.%Y")
                reply = await dispatcher.handle(
                    Incoming(
                        platform=Platform.CONSOLE, chat_id="chat-demo", sender_id="demo",
                        text=f"/deadline_move {deadline_id} {new_due} 12:00",
                    )
                )  # fmt: skip
                assert f"#{deadline_id}" in reply.plain()
                await runs.until(lambda: runs.finished > mark)
            finally:
                if web is not database:
                    await web.dispose()
            versions = await reminders_for(database, deadline_id)
    assert versions  # planned by the run the change woke
    assert set(versions) == {2}  # the moved deadline's new version
