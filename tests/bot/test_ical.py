"""/ical/TOKEN.ics over real HTTP, and `eudesk ical rotate` as an operator runs it."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import aiohttp
import icalendar
import pytest

from eudesk.bot.app import feed_source
from eudesk.bot.http import HttpServer, build_http_app
from eudesk.bot.metrics import Metrics
from eudesk.bot.settings import Settings
from eudesk.storage.db import Database
from eudesk.storage.models import Locale, Platform, Subscription, SubscriptionTopic, User
from eudesk.storage.repositories import Repositories
from eudesk.storage.seed import seed_reference
from tests.cli import run_cli
from tests.databases import throwaway_database
from tests.handlers.rfc5545 import problems

TIMEOUT = aiohttp.ClientTimeout(total=10)


async def _make_feed(db: Database, chat_id: str = "555001") -> str:
    async with db.transaction() as session:
        session.add(User(name="ana"))
        session.add(
            Subscription(
                platform=Platform.TELEGRAM,
                chat_id=chat_id,
                topic=SubscriptionTopic.CALLS,
                locale=Locale.EN,
            )
        )
        await session.flush()
        user = await Repositories(session).users.get("ana")
        feed = await Repositories(session).feeds.for_chat(
            Platform.TELEGRAM, chat_id, user_id=user.id, locale=Locale.EN
        )
        return feed.token


async def test_the_feed_over_http(
    backend: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A database of its own: the feed is read through the pool, so its rows must commit.
    async with throwaway_database(backend, tmp_path) as database:
        await _serve_a_feed(database, caplog)


async def _serve_a_feed(database: Database, caplog: pytest.LogCaptureFixture) -> None:
    # Our server's and aiohttp's own logs (the database driver's DEBUG lines are pinned to
    # WARNING in production by configure_logging; test_logging covers those).
    caplog.set_level(logging.DEBUG, logger="eudesk")
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    token = await _make_feed(database)
    settings = Settings(_env_file=None)
    app = build_http_app(
        database, Metrics([]), feeds=feed_source(settings, database),
        transports_up=dict,
    )  # fmt: skip
    server = HttpServer(app, "127.0.0.1", 0)
    await server.start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as client:
            async with client.get(f"{base}/ical/{token}.ics") as response:
                assert response.status == 200
                assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
                body = await response.read()
            for path in (f"/ical/{token}.txt", "/ical/" + "a" * 43 + ".ics", f"/ical/{token}"):
                async with client.get(base + path) as response:
                    assert response.status == 404, path
    finally:
        await server.stop()
    assert problems(body) == []
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["X-WR-CALNAME"]) == "eudesk: deadlines and meetings"
    assert token not in caplog.text


async def test_rotate_from_the_cli(empty_database_url: str, tmp_path: Path) -> None:
    def cli(*args: str) -> tuple[int, str, str]:
        result = run_cli(*args, database_url=empty_database_url, cwd=tmp_path,
                         extra_env={"EUDESK_PUBLIC_URL": "https://eudesk.example/"})  # fmt: skip
        return result.returncode, result.stdout, result.stderr

    assert cli("db", "upgrade")[0] == 0
    database = Database.from_url(empty_database_url)
    try:
        async with database.transaction() as session:
            await seed_reference(session)
        old = await _make_feed(database)
        code, _out, err = cli("ical", "rotate")
        assert code == 1
        assert "exactly one of" in err
        code, _out, err = cli("ical", "rotate", "--chat", "telegram:999")
        assert code == 1
        assert "no calendar feed for telegram:999" in err
        code, out, err = cli("ical", "rotate", "--chat", "telegram:555001")
        assert code == 0, err
        found = re.fullmatch(
            r"telegram:555001  https://eudesk\.example/ical/([A-Za-z0-9_-]{43})\.ics\n", out
        )
        assert found is not None, out
        new = found.group(1)
        assert new != old
        code, out, err = cli("ical", "rotate", "--user", "ana")
        assert code == 0, err
        assert new not in out
        async with database.transaction() as session:
            repos = Repositories(session)
            assert await repos.feeds.by_token(old) is None
            assert await repos.feeds.by_token(new) is None  # rotated again by --user
            entries = await repos.audit.recent()
        assert [e.action for e in entries] == ["ical.rotate", "ical.rotate"]
        assert all(old not in (e.detail or "") and new not in (e.target_ref or "")
                   for e in entries)  # fmt: skip
    finally:
        await database.dispose()
