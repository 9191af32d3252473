"""Log lines: text or one JSON object a line, secrets masked, and no secret or personal data
in the logs of a whole Telegram conversation (lookups, refusals, a reminder) at DEBUG."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from eudesk.bot.http import TELEGRAM_SECRET_HEADER, HttpServer, build_http_app
from eudesk.bot.lifecycle import ChatTransports, run_service
from eudesk.bot.logging_setup import HANDLER_NAME, MASK, QUIET, configure_logging
from eudesk.bot.metrics import Metrics
from eudesk.bot.runtime import log_format, secrets_of
from eudesk.bot.settings import Settings, SettingsError, load_settings
from eudesk.bot.transports.slack import SlackTransport
from eudesk.bot.transports.telegram import TelegramTransport
from eudesk.handlers import command_table
from eudesk.handlers.context import HandlerConfig
from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.messages import Reply
from eudesk.schedules.delivery import TransportError
from eudesk.schedules.reminders import ReminderService
from eudesk.schedules.scheduler import Ticker
from eudesk.storage.changes import announce_now
from eudesk.storage.db import Database
from eudesk.storage.models import (
    DocumentStatus,
    Locale,
    OutboxEntry,
    OutboxState,
    PassportRecord,
    Platform,
    SubscriptionTopic,
    VisaRecord,
)
from eudesk.storage.repositories import Repositories
from tests.bot import slack_signing
from tests.bot.fake_slack import TEAM_ID, FakeSlack
from tests.bot.fake_slack import TOKEN as FAKE_SLACK_TOKEN
from tests.bot.fake_telegram import Call, FakeBotApi, message_update
from tests.conftest import NOW
from tests.databases import throwaway_database

TOKEN = "123456:AAF-logged-nowhere_Token"
WEBHOOK_SECRET = "webhook-secret-never-logged"
SLACK_BOT_TOKEN = "xoxb-1111-2222-never-logged"
SLACK_SIGNING_SECRET = "signing-secret-never-logged"
SLACK_APP_TOKEN = "xapp-1-never-logged"
OFFICER, STAFF, STRANGER = 4242, 4343, 777
UTC_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes the root logger and QUIET's loggers: put them back after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in QUIET}
    yield
    for handler in root.handlers:
        if handler.get_name() == HANDLER_NAME:
            root.removeHandler(handler)
    root.handlers[:0] = [h for h in handlers if h not in root.handlers]
    root.setLevel(level)
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)


def json_lines(stream: io.StringIO) -> list[dict[str, object]]:
    """Each line of the stream as a JSON object (fails on a line that is not one)."""
    entries = []
    for line in stream.getvalue().splitlines():
        entry = json.loads(line)
        assert isinstance(entry, dict), line
        entries.append(entry)
    return entries


# The formatters ----------------------------------------------------------------------------------


def test_json_lines_carry_time_level_logger_message_and_extras(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    log = logging.getLogger("eudesk.test")
    log.info("sent %d reminders to %s", 3, "Бачка Топола", extra={"chat": "4242", "rows": 3})
    log.debug("below the level")
    [entry] = json_lines(out)
    assert UTC_ISO.match(str(entry["time"]))
    assert entry["level"] == "INFO"
    assert entry["logger"] == "eudesk.test"
    assert entry["message"] == "sent 3 reminders to Бачка Топола"
    assert entry["chat"] == "4242"
    assert entry["rows"] == 3
    assert "exc" not in entry


def test_a_traceback_is_one_exc_field_of_one_line(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    try:
        raise KeyError("missing")
    except KeyError:
        logging.getLogger("eudesk.test").exception("handler for /%s failed", "deadlines")
    assert len(out.getvalue().splitlines()) == 1
    [entry] = json_lines(out)
    assert entry["message"] == "handler for /deadlines failed"
    exc = str(entry["exc"])
    assert exc.startswith("Traceback (most recent call last):")
    assert exc.endswith("KeyError: 'missing'")


def test_text_lines_stay_readable(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("INFO", "text", stream=out)
    logging.getLogger("eudesk.test").warning("outbox: row %d dead", 7)
    assert re.fullmatch(r"\S+ \S+ WARNING eudesk\.test: outbox: row 7 dead\n", out.getvalue())


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_configured_secrets_are_masked_in_messages_tracebacks_and_extras(
    restore_logging: None, fmt: str
) -> None:
    out = io.StringIO()
    configure_logging("DEBUG", fmt, secrets=[TOKEN, TOKEN.partition(":")[2], ""], stream=out)
    log = logging.getLogger("telegram.ext.SomeLibrary")
    log.debug("POST https://api.telegram.org/bot%s/getMe", TOKEN)
    log.debug("half of it: %s", TOKEN.partition(":")[2], extra={"url": f"/bot{TOKEN}/x"})
    try:
        raise RuntimeError(f"Unauthorized: /bot{TOKEN}/getMe")
    except RuntimeError:
        log.exception("initialize failed")
    written = out.getvalue()
    assert TOKEN.partition(":")[2] not in written
    assert f"/bot{MASK}/getMe" in written
    assert f"half of it: {MASK}" in written
    assert f"Unauthorized: /bot{MASK}/getMe" in written  # the traceback too


def test_configuring_twice_leaves_one_handler(restore_logging: None) -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("INFO", "text", stream=first)
    configure_logging("INFO", "json", stream=second)
    assert [h.get_name() for h in logging.getLogger().handlers].count(HANDLER_NAME) == 1
    logging.getLogger("eudesk.test").info("once")
    assert first.getvalue() == ""
    assert json_lines(second)[0]["message"] == "once"


def test_noisy_loggers_are_held_down_but_never_below_the_root(restore_logging: None) -> None:
    configure_logging("DEBUG", "text", stream=io.StringIO())
    assert logging.getLogger("httpx").level == logging.WARNING
    assert logging.getLogger("sqlalchemy").level == logging.WARNING
    assert logging.getLogger("telegram.Bot").level == logging.INFO
    configure_logging("ERROR", "text", stream=io.StringIO())
    assert logging.getLogger("telegram.Bot").level == logging.ERROR


def test_an_unknown_format_is_refused(restore_logging: None) -> None:
    with pytest.raises(ValueError, match="unknown log format 'xml'"):
        configure_logging("INFO", "xml")


def test_the_format_comes_from_eudesk_log_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EUDESK_LOG_FORMAT", raising=False)
    assert log_format(load_settings(_env_file=None)) == "text"
    monkeypatch.setenv("EUDESK_LOG_FORMAT", "JSON")
    assert log_format(load_settings(_env_file=None)) == "json"
    monkeypatch.setenv("EUDESK_LOG_FORMAT", "yaml")
    with pytest.raises(SettingsError, match="EUDESK_LOG_FORMAT"):
        load_settings(_env_file=None)


def test_the_secrets_to_mask_are_every_token_and_the_database_password() -> None:
    config = Settings(
        _env_file=None,
        telegram_token=SecretStr(TOKEN),
        telegram_webhook_secret=SecretStr(WEBHOOK_SECRET),
        slack_bot_token=SecretStr(SLACK_BOT_TOKEN),
        slack_signing_secret=SecretStr(SLACK_SIGNING_SECRET),
        slack_app_token=SecretStr(SLACK_APP_TOKEN),
        database_url="postgresql://eudesk:db-pass-word@db.example/eudesk",
    )
    assert set(secrets_of(config)) == {
        TOKEN,
        TOKEN.partition(":")[2],
        WEBHOOK_SECRET,
        SLACK_BOT_TOKEN,
        SLACK_SIGNING_SECRET,
        SLACK_APP_TOKEN,
        "db-pass-word",
    }


# A whole conversation at DEBUG -------------------------------------------------------------------


@pytest.fixture
async def database(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    """Demo data in a database of its own: the reminder service commits and sends for real."""
    async with throwaway_database(backend, tmp_path, demo_today=date(2026, 11, 27)) as db:
        yield db


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi(TOKEN)
    await api.start()
    yield api
    await api.close()


def conversation_settings(fake: FakeBotApi) -> Settings:
    """Telegram by webhook against the fake; Slack configured too, so its secrets exist."""
    return Settings(
        _env_file=None,
        telegram_token=SecretStr(TOKEN),
        telegram_api_url=fake.base_url,
        telegram_webhook_url="https://eudesk.example/telegram/webhook",
        telegram_webhook_secret=SecretStr(WEBHOOK_SECRET),
        slack_bot_token=SecretStr(SLACK_BOT_TOKEN),
        slack_signing_secret=SecretStr(SLACK_SIGNING_SECRET),
        slack_app_token=SecretStr(SLACK_APP_TOKEN),
    )


async def link_people(database: Database) -> None:
    """The officer and a staff member on Telegram; the officer's chat follows calls (en)."""
    async with database.transaction() as session:
        repos = Repositories(session)
        await repos.users.add_identity(
            await repos.users.get("demo-officer"), Platform.TELEGRAM, str(OFFICER)
        )
        await repos.users.add_identity(
            await repos.users.get("demo-staff"), Platform.TELEGRAM, str(STAFF)
        )
        await repos.subscriptions.subscribe(
            platform=Platform.TELEGRAM, chat_id=str(OFFICER), topic=SubscriptionTopic.CALLS,
            locale=Locale.EN,
        )  # fmt: skip


async def personal_data(database: Database) -> set[str]:
    """Every passport number, visa number and holder name in the database."""
    async with database.transaction() as session:
        found: set[str | None] = set()
        for column in (
            PassportRecord.passport_number,
            PassportRecord.holder_name,
            VisaRecord.visa_number,
            VisaRecord.holder_name,
        ):
            found.update(await session.scalars(select(column)))
    return {value for value in found if value}


class Webhook:
    """Telegram's side: updates POSTed to the HTTP server, replies read at the fake Bot API."""

    def __init__(self, fake: FakeBotApi, client: aiohttp.ClientSession, url: str) -> None:
        self.fake = fake
        self.client = client
        self.url = url

    async def say(self, text: str, user_id: int) -> str:
        """The text of the message the bot sent back."""
        mark = len(self.fake.calls)
        body = {"update_id": self.fake.next_update_id(), **message_update(text, user_id)}
        headers = {TELEGRAM_SECRET_HEADER: WEBHOOK_SECRET}
        async with self.client.post(self.url, json=body, headers=headers) as response:
            assert response.status == 200
        [sent, *_] = await self.fake.wait_calls("sendMessage", since=mark)
        return str(sent.params["text"])


async def reminded(fake: FakeBotApi, chat_id: int) -> Call:
    """The first reminder the outbox sent to a chat (bounded wait, no sleep)."""
    count = 1
    while True:
        calls = await fake.wait_calls("sendMessage", count=count)
        for call in calls:
            if call.params["chat_id"] == chat_id and "Reminder" in str(call.params["text"]):
                return call
        count = len(calls) + 1


async def test_a_whole_conversation_logs_no_secret_and_no_personal_data(
    restore_logging: None,
    caplog: pytest.LogCaptureFixture,
    database: Database,
    fake: FakeBotApi,
) -> None:
    await link_people(database)
    personal = await personal_data(database)  # read before the capture starts: not logged
    async with database.transaction() as session:
        passport = await session.scalar(
            select(PassportRecord)
            .where(PassportRecord.status == DocumentStatus.DELIVERED)
            .order_by(PassportRecord.reference)
            .limit(1)
        )
        visa = await session.scalar(
            select(VisaRecord)
            .where(VisaRecord.visa_number.is_not(None))
            .order_by(VisaRecord.reference)
            .limit(1)
        )
    assert passport is not None
    assert visa is not None
    settings = conversation_settings(fake)
    out = io.StringIO()
    configure_logging("DEBUG", "json", secrets=secrets_of(settings), stream=out)
    caplog.set_level(logging.DEBUG)  # the raw records, before the formatter masks anything

    dispatcher = Dispatcher(database, command_table(), HandlerConfig(), clock=lambda: NOW)
    transport = TelegramTransport(settings, dispatcher)
    http = HttpServer(
        build_http_app(
            database,
            Metrics(c.name for c in command_table().commands),
            telegram=transport,
            transports_up=lambda: {"telegram": True},
        ),
        "127.0.0.1",
        0,
    )
    await transport.start()
    await http.start()
    service = ReminderService(
        database, {"telegram": transport}, zone=ZoneInfo("Europe/Belgrade"), clock=lambda: NOW
    )
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:
            chat = Webhook(fake, client, f"http://127.0.0.1:{http.port}/telegram/webhook")
            assert "/start" in await chat.say("/start", STRANGER)
            assert "•" in await chat.say("/deadlines month", OFFICER)
            assert passport.holder_name in await chat.say(
                f"/passport {passport.reference}", OFFICER
            )
            assert visa.holder_name in await chat.say(f"/visa {visa.reference}", OFFICER)
            refused = await chat.say(f"/passport {passport.reference}", STAFF)
            assert passport.holder_name not in refused
            # What people type may be personal too: a lookup by name instead of reference.
            assert passport.holder_name not in await chat.say(
                f"/passport {passport.holder_name}", OFFICER
            )
            async with client.get(f"http://127.0.0.1:{http.port}/healthz") as response:
                assert response.status == 200
        await service.start()
        await asyncio.wait_for(reminded(fake, OFFICER), 20)
    finally:
        await service.stop()
        await http.stop()
        await transport.stop()

    entries = json_lines(out)
    messages = [str(e["message"]) for e in entries]
    # The capture works: eudesk's DEBUG lines and the start-up, planning lines are there.
    assert any(m.startswith("answered in") for m in messages)
    assert "telegram: @eudesk_test_bot started (webhook)" in messages
    assert any(m.startswith("planned ") for m in messages)
    assert all(UTC_ISO.match(str(e["time"])) for e in entries)

    needles = {
        TOKEN,
        TOKEN.partition(":")[2],
        WEBHOOK_SECRET,
        SLACK_BOT_TOKEN,
        SLACK_SIGNING_SECRET,
        SLACK_APP_TOKEN,
        *personal,
    }
    assert leaks_in(caplog, out, needles) == {}


def leaks_in(
    caplog: pytest.LogCaptureFixture, out: io.StringIO, needles: set[str]
) -> dict[str, list[str]]:
    """Each needle found in a raw record or a formatted line, with the lines it is in."""
    raw = [f"{r.name}: {r.getMessage()}" for r in caplog.records]
    formatted = caplog.text.splitlines() + out.getvalue().splitlines()
    found = {n: [line for line in raw + formatted if n in line] for n in needles}
    return {n: lines for n, lines in found.items() if lines}


async def test_a_slack_conversation_logs_no_secret_and_no_personal_data(
    restore_logging: None,
    caplog: pytest.LogCaptureFixture,
    demo_db: Database,
    dispatcher: Dispatcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # slack-sdk copies these into its client and ignores NO_PROXY (STYLE.md).
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    user = "U0OFFICER"
    async with demo_db.transaction() as session:
        repos = Repositories(session)
        await repos.users.add_identity(
            await repos.users.get("demo-officer"), Platform.SLACK, f"{TEAM_ID}:{user}"
        )
    personal = await personal_data(demo_db)
    passport_ref = await demo_db_reference(demo_db)
    api = FakeSlack()
    await api.start()
    settings = Settings(
        _env_file=None,
        slack_bot_token=SecretStr(FAKE_SLACK_TOKEN),
        slack_signing_secret=SecretStr(slack_signing.SIGNING_SECRET),
        slack_api_url=api.api_url,
    )
    out = io.StringIO()
    configure_logging("DEBUG", "json", secrets=secrets_of(settings), stream=out)
    caplog.set_level(logging.DEBUG)
    transport = SlackTransport(settings, dispatcher)
    http = HttpServer(
        build_http_app(
            demo_db,
            Metrics(c.name for c in command_table().commands),
            slack=transport,
            transports_up=lambda: {"slack": True},
        ),
        "127.0.0.1",
        0,
    )
    await transport.start()
    await http.start()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:
            for text in (f"passport {passport_ref}", "deadlines week"):
                body, headers = slack_signing.slash_command(
                    text, team=TEAM_ID, user=user, channel="D0OFFICER",
                    response_url=api.response_url(),
                )  # fmt: skip
                headers = {**headers, **slack_signing.signed_headers(body)}
                url = f"http://127.0.0.1:{http.port}/slack/events"
                async with client.post(url, data=body, headers=headers) as response:
                    assert response.status == 200
                await asyncio.wait_for(transport.drain(), 10)
    finally:
        await http.stop()
        await transport.stop()
        await api.stop()
    posted = " ".join(str(m["text"]) for m in api.called("chat.postMessage"))
    assert any(name in posted for name in personal)  # the lookup did show a holder
    messages = [str(e["message"]) for e in json_lines(out)]
    assert any(m.startswith("answered in") for m in messages)
    secrets = {FAKE_SLACK_TOKEN, slack_signing.SIGNING_SECRET}
    assert leaks_in(caplog, out, secrets | personal) == {}


async def demo_db_reference(database: Database) -> str:
    """A delivered passport's reference: its lookup shows the holder and the masked number."""
    async with database.transaction() as session:
        reference = await session.scalar(
            select(PassportRecord.reference)
            .where(PassportRecord.status == DocumentStatus.DELIVERED)
            .order_by(PassportRecord.reference)
            .limit(1)
        )
    assert reference is not None
    return reference


# -- quiet at INFO: what an operator acts on, nothing per tick ---------------------------------


def per_tick(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.INFO and r.name.startswith("apscheduler")
    ]


async def run_ticks(count: int) -> None:
    """A Ticker job every 20 ms until it ran `count` times (the planner's job, made quick)."""
    runs = 0
    enough = asyncio.Event()

    async def job() -> None:
        nonlocal runs
        runs += 1
        if runs >= count:
            enough.set()

    ticker = Ticker(ZoneInfo("Europe/Belgrade"))
    ticker.every("planner", 0.02, job)
    ticker.start()
    try:
        await asyncio.wait_for(enough.wait(), 30)
    finally:
        await ticker.stop()


async def test_scheduler_ticks_write_nothing_at_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    await run_ticks(5)
    assert per_tick(caplog) == []


async def test_scheduler_ticks_still_show_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    """The lines are demoted, not lost: EUDESK_LOG_LEVEL=DEBUG shows each run."""
    caplog.set_level(logging.DEBUG)
    await run_ticks(3)
    running = [r for r in caplog.records if r.name.startswith("apscheduler")]
    assert any(r.getMessage().startswith("Running job") for r in running)
    assert all(r.levelno < logging.INFO for r in running)


class RefusingTransport:
    """Telegram as the service sees it, but every send fails."""

    platform = "telegram"

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, chat_id: str, reply: Reply) -> str:
        raise TransportError("telegram", "Bad Request: chat says no")


async def test_at_info_the_service_logs_start_dead_letters_and_stop_only(
    backend: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with throwaway_database(backend, tmp_path) as database:
        async with database.transaction() as session:
            entry = OutboxEntry(
                dedupe_key="test:quiet-logs", platform=Platform.TELEGRAM, chat_id="4242",
                kind="reminder", payload=json.dumps({"title": "Izveštaj", "ref": "D-1"}),
                due_at=datetime.now(UTC) - timedelta(minutes=1),
            )  # fmt: skip
            session.add(entry)
        settings = Settings(
            _env_file=None, database_url="sqlite://", http_host="127.0.0.1", http_port=0,
            telegram_token=None, slack_bot_token=None, outbox_max_attempts=1,
        )  # fmt: skip
        transport = RefusingTransport()

        def only_telegram(_s: Settings, _d: Dispatcher, _r: bool) -> ChatTransports:
            return ChatTransports(in_order=[transport])

        stop = asyncio.Event()
        task = asyncio.create_task(
            run_service(settings, database, stop_event=stop, transports=only_telegram)
        )
        try:
            for _ in range(300):  # until the dispatcher gave the row up (at most 30 s)
                async with database.transaction() as session:
                    state = await session.scalar(
                        select(OutboxEntry.state).where(OutboxEntry.id == entry.id)
                    )
                if state == OutboxState.DEAD or task.done():
                    break
                await asyncio.sleep(0.1)
            # A few planner runs more, woken as a data change would wake them.
            for _ in range(3):
                await announce_now(database)
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
    assert state == OutboxState.DEAD
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert any(
        line.startswith("started (all): telegram, reminders, http on port") for line in lines
    )
    assert any(f"row {entry.id} dead after 1 attempts" in line for line in lines), lines
    assert lines[-1] == "stopped"
    assert per_tick(caplog) == []
